"""Small HTTP helpers shared by the target's handlers: JSON in, JSON out, JSON errors."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

import orjson
from aiohttp import web

__all__ = [
    "bad_request",
    "error_response",
    "http_error",
    "json_response",
    "knob",
    "new_id",
    "read_json_object",
]

_JSON = "application/json"


def json_response(
    data: object, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response encoded with orjson (several times faster than ``json``)."""
    return web.Response(body=orjson.dumps(data), status=status, content_type=_JSON, headers=headers)


def error_response(
    status: int, message: str, *, headers: Mapping[str, str] | None = None
) -> web.Response:
    """The target's one error shape: ``{"error": message, "status": status}``."""
    return json_response({"error": message, "status": status}, status=status, headers=headers)


def http_error(
    cls: type[web.HTTPException], message: str, *, headers: Mapping[str, str] | None = None
) -> web.HTTPException:
    """An ``HTTPException`` of class ``cls`` carrying the JSON error body, to ``raise``."""
    text = orjson.dumps({"error": message, "status": cls.status_code}).decode()
    return cls(text=text, content_type=_JSON, headers=headers)


def bad_request(message: str) -> web.HTTPException:
    """A 400 with a JSON error, to ``raise`` from a handler."""
    return http_error(web.HTTPBadRequest, message)


def knob(query: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    """The number the query gives for the knob ``name`` (``default`` when absent).

    Raises a 400 naming the knob when the value is not a finite number within
    ``[low, high]``.
    """
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"knob {name}={raw!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise bad_request(f"knob {name}={raw!r} must be between {low:g} and {high:g}")
    return value


async def read_json_object(request: web.Request) -> dict[str, object]:
    """The request body as a JSON object; raises a JSON 400 for anything else."""
    raw = await request.read()
    if not raw:
        raise bad_request("the body is empty; send a JSON object")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    return data


def new_id(rng: random.Random, prefix: str) -> str:
    """A short random id such as ``call_3f9a...``; drawn from ``rng`` so seeds replay."""
    return f"{prefix}_{rng.getrandbits(64):016x}"
