"""Handlers of the background-work endpoints: scheduled calls and contact imports."""

from __future__ import annotations

import time
from datetime import datetime

import orjson
from aiohttp import BodyPartReader, web

from agentload.target._http import bad_request, http_error, json_response, new_id, read_json_object
from agentload.target.imports import ImportRequest, check_csv_header
from agentload.target.state import STATE

__all__ = ["call_queue", "import_contacts", "import_status", "schedule_call"]

_MAX_PHONE_CHARS = 40
_CHUNK = 64 * 1024


async def schedule_call(request: web.Request) -> web.Response:
    """``POST /api/calls/schedule``: queue a call; 202 with its id and the queue depth.

    ``at`` is validated and stored but does not delay the call: the queue is FIFO,
    so its depth reflects load alone.
    """
    state = request.app[STATE]
    body = await read_json_object(request)
    phone = body.get("phone")
    if not isinstance(phone, str) or not phone.strip() or len(phone) > _MAX_PHONE_CHARS:
        raise bad_request(f"'phone' is required: a non-empty string of at most {_MAX_PHONE_CHARS}")
    at = body.get("at")
    if at is not None:
        if not isinstance(at, str):
            raise bad_request("'at' must be an ISO 8601 date-time string")
        try:
            datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f"'at' is not an ISO 8601 date-time: {at!r}") from None
    call_id = new_id(state.rng, "call")
    state.store.add_call(call_id, phone.strip(), at, time.time())
    depth = state.calls.push(call_id)
    return json_response({"call_id": call_id, "queue_depth": depth}, status=202)


async def call_queue(request: web.Request) -> web.Response:
    """``GET /api/calls/queue``: how many scheduled calls wait for the worker."""
    return json_response({"queue_depth": len(request.app[STATE].calls)})


async def _read_file_field(request: web.Request, limit: int) -> bytes | None:
    """The bytes of the multipart field ``file``, or ``None`` when there is none."""
    reader = await request.multipart()
    found: bytes | None = None
    while True:
        part = await reader.next()
        if part is None:
            return found
        if isinstance(part, BodyPartReader) and part.name == "file" and found is None:
            data = bytearray()
            while chunk := await part.read_chunk(_CHUNK):
                data += chunk
                if len(data) > limit:
                    # client_max_size does not cover streamed multipart parts: check here.
                    raise web.HTTPRequestEntityTooLarge(
                        max_size=limit,
                        actual_size=len(data),
                        text=orjson.dumps(
                            {"error": f"the file is larger than {limit} bytes", "status": 413}
                        ).decode(),
                        content_type="application/json",
                    )
            found = bytes(data)
        else:
            await part.release()


async def import_contacts(request: web.Request) -> web.Response:
    """``POST /api/contacts/import``: accept a CSV upload (field ``file``); 202 with a job id."""
    state = request.app[STATE]
    if not request.content_type.startswith("multipart/"):
        raise bad_request("send multipart/form-data with the CSV in a field named 'file'")
    try:
        raw = await _read_file_field(request, state.config.max_upload_bytes)
    except (ValueError, AssertionError) as exc:
        # aiohttp's multipart reader signals malformed bodies with these.
        raise bad_request(f"the multipart body does not parse: {exc}") from None
    if raw is None:
        raise bad_request("no field named 'file' in the form; attach the CSV as 'file'")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_request("the file is not UTF-8 text; expected a CSV") from None
    problem = check_csv_header(text)
    if problem is not None:
        raise bad_request(problem)
    job_id = new_id(state.rng, "job")
    state.imports.submit(ImportRequest(job_id, text))
    return json_response({"job_id": job_id, "status": "queued"}, status=202)


async def import_status(request: web.Request) -> web.Response:
    """``GET /api/contacts/import/{job_id}``: progress of one import job (404 if unknown)."""
    job_id = request.match_info["job_id"]
    status = request.app[STATE].store.get_import_job(job_id)
    if status is None:
        raise http_error(web.HTTPNotFound, f"no import job {job_id!r}")
    return json_response(status.as_json())
