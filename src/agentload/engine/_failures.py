"""Building failure samples on the engine's failure paths (never on the success path).

A step holds one :class:`FailureSampler`; its failure branches call
:meth:`FailureSampler.capture`, which returns at once (one dict lookup) once
this process holds enough samples of that kind. A sample is redacted here,
before it leaves the process: header values of credential-bearing headers,
secrets in URLs and bodies (:mod:`agentload._redact`); bodies are cut to
:data:`MAX_BODY` characters. The request is rebuilt from the bytes that were
sent, so it shows exactly what the target received.
"""

from __future__ import annotations

import time

from agentload._redact import redact, redact_body, redact_header
from agentload.errors import ErrorKind
from agentload.metrics import FailureSample, Recorder
from agentload.protocols.http import Origin, Response

__all__ = ["MAX_BODY", "MAX_HEADERS", "FailureSampler"]

MAX_BODY = 2048
"""Characters of a request or response body kept in a sample."""
MAX_HEADERS = 40
"""Header fields kept per request or response."""
_SCAN = 16 * MAX_BODY  # redact a little more than is kept, so a cut never splits a secret


def _text(data: bytes) -> str:
    text = redact_body(data[:_SCAN].decode("utf-8", errors="replace"))
    if len(text) > MAX_BODY or len(data) > _SCAN:
        return f"{text[:MAX_BODY]}… ({len(data):,} bytes in all)"
    return text


def _headers(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((name, redact_header(name, value)) for name, value in pairs[:MAX_HEADERS])


def _parse_request(raw: bytes) -> tuple[str, str, list[tuple[str, str]], bytes]:
    """Method, request target, header fields and body of encoded request bytes."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, _, rest = lines[0].partition(" ")
    target = rest.rpartition(" ")[0] or rest
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return method, target, headers, body


class FailureSampler:
    """Captures failure samples of one step into its recorder's failure log."""

    __slots__ = ("_log", "_tags")

    def __init__(self, recorder: Recorder, tags: tuple[tuple[str, str], ...]) -> None:
        self._log = recorder.failures
        self._tags = dict(tags)

    def capture(
        self,
        kind: ErrorKind,
        message: str,
        *,
        origin: Origin | None = None,
        raw: bytes = b"",
        response: Response | None = None,
        status: int = 0,
        body: str | None = None,
    ) -> None:
        """Take a sample of a failed request when its kind is not full yet.

        ``body`` replaces the response body (streamed steps keep no body, but
        know what the stream said); ``status`` is used when there is no response.
        """
        log = self._log
        if not log.wants(kind.value):
            return
        tags = self._tags
        method, target, req_headers, req_body = (
            _parse_request(raw) if raw else (tags.get("method", ""), "", [], b"")
        )
        url = f"{origin}{target}" if origin is not None else target
        resp_headers: tuple[tuple[str, str], ...] = ()
        resp_body = ""
        if response is not None:
            status = response.status
            resp_headers = _headers(
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers]
            )
            resp_body = _text(response.body)
        if body is not None:
            resp_body = _text(body.encode())
        log.add(
            FailureSample(
                time=time.time(),
                kind=kind.value,
                scenario=tags.get("scenario", ""),
                name=redact(tags.get("name", "")),
                method=method,
                url=redact(url),
                request_headers=_headers(req_headers),
                request_body=_text(req_body),
                status=status,
                response_headers=resp_headers,
                response_body=resp_body,
                error=redact(message)[:500],
            )
        )
