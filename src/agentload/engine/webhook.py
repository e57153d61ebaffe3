"""The ``webhook`` step: build the event body, sign it, POST it, record it as a request.

Per delivery: render the template (:func:`agentload.protocols.webhooks.payload`)
with the VU's variables, lay ``payload`` over it (RFC 7386), encode it once,
sign those exact bytes with the wall-clock time of the delivery, and send.
The request records the ``http_*`` metrics under the step's ``name``, like a
request step (docs/metrics.md, "HTTP"); a status outside ``expect.status``
(default: any 2xx — a platform treats everything else as a failed delivery)
is a failed request counted as ``errors{kind: http_4xx|http_5xx}``, so a
rejected signature (401) shows as an ``http_4xx`` error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from agentload._redact import MASK
from agentload.engine._checks import BodyCache, capture_fn, check_fn
from agentload.engine._failures import FailureSampler
from agentload.engine._streamed import (
    HttpSeries,
    draw_think,
    merge_headers,
    render_json,
    resolve_target,
    status_error,
)
from agentload.engine.vu import VU
from agentload.errors import ErrorKind
from agentload.metrics import Recorder
from agentload.protocols.http import HttpError, Origin, Response, encode_request
from agentload.protocols.webhooks import ToolCallSpec, merge_patch, payload, sign
from agentload.scenario.model import (
    RunConfig,
    StatusCheck,
    WebhookStep,
)

__all__ = ["WebhookRequest"]

_OK_STATUS = range(200, 300)

_Checker = Callable[[Response, BodyCache], bool]
_Capturer = Callable[[Response, BodyCache], object | None]


def _arguments(value: object) -> Mapping[str, Any]:
    """Tool-call arguments as an object; a JSON string (a captured ``arguments``) is decoded."""
    if isinstance(value, str | bytes):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise KeyError("arguments") from None
    if not isinstance(value, dict):
        raise KeyError("arguments")
    return value


class WebhookRequest:
    """A compiled ``webhook`` step (see the module docstring)."""

    __slots__ = (
        "_base",
        "_captures",
        "_checks",
        "_expected",
        "_headers",
        "_http",
        "_samples",
        "_step",
        "_timeouts",
        "name",
    )

    def __init__(
        self, step: WebhookStep, *, scenario: str, config: RunConfig, recorder: Recorder
    ) -> None:
        self.name = step.name
        self._step = step
        self._base = config.target
        self._headers = merge_headers(config.headers, step.headers)
        self._timeouts = step.timeouts or config.timeouts
        self._http = HttpSeries(
            recorder, (("method", "POST"), ("name", step.name), ("scenario", scenario))
        )
        statuses = [s for c in step.checks if isinstance(c, StatusCheck) for s in c.expected]
        self._expected = frozenset(statuses) if statuses else None
        self._checks: tuple[tuple[_Checker, Callable[[bool], None]], ...] = tuple(
            (fn, self._http.check(label)) for label, fn in map(check_fn, step.checks)
        )
        self._captures: tuple[tuple[str, _Capturer], ...] = tuple(
            (c.var, capture_fn(c)) for c in step.captures
        )
        self._samples = FailureSampler(recorder, self._http.tags)

    def body(self, vu: VU, now_ms: int) -> bytes:
        """The delivery's body; raises ``KeyError`` for an unset variable."""
        step, variables = self._step, vu.variables
        doc: Any = {}
        if step.event is not None:
            if step.call_id is not None:
                call_id = step.call_id.render(variables)
            else:
                call_id = f"call_{vu.rng.getrandbits(64):016x}"
            calls = [
                ToolCallSpec(
                    id=c.id.render(variables) if c.id else f"toolu_{vu.rng.getrandbits(64):016x}",
                    name=c.name.render(variables),
                    arguments=_arguments(render_json(c.arguments, variables)),
                )
                for c in step.tool_calls
            ]
            doc = payload(step.event, call_id=call_id, timestamp_ms=now_ms, tool_calls=calls)
        if step.payload is not None:
            doc = merge_patch(doc, render_json(step.payload, variables))
        return orjson.dumps(doc)

    def encode(self, vu: VU, now_ms: int) -> tuple[Origin, bytes, tuple[str, ...]]:
        """The origin, the signed request bytes and the signature header's value.

        Raises ``KeyError`` for an unset variable.
        """
        variables = vu.variables
        step = self._step
        origin, target = resolve_target(self._base, step.url, step.query, variables)
        body = self.body(vu, now_ms)
        headers = [(k, v.render(variables)) for k, v in self._headers]
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        signature = sign(body, step.signing, now_ms)
        headers.extend(signature)
        raw = encode_request("POST", target, host=origin.authority, headers=headers, body=body)
        return origin, raw, tuple(value for _, value in signature[-1:])  # not a timestamp

    async def run(self, vu: VU, intended_ns: int) -> bool:
        """Deliver the webhook and record it; ``False`` stops the iteration."""
        try:
            origin, raw, signature = self.encode(vu, time.time_ns() // 1_000_000)
        except KeyError as exc:
            self._fail(ErrorKind.SCRIPT)
            self._samples.capture(ErrorKind.SCRIPT, f"variable {exc.args[0]!r} is not set")
            return False
        try:
            resp = await vu.http.send(origin, raw, timeouts=self._timeouts)
        except HttpError as exc:
            self._fail(exc.kind)
            self._sample(exc.kind, str(exc), origin, raw, signature=signature)
            return False
        expected = self._expected
        ok = resp.status in (_OK_STATUS if expected is None else expected)
        self._http.response(resp, intended_ns, failed=not ok)
        if not ok:
            kind = status_error(resp.status)
            self._http.error(kind)
            self._sample(
                kind,
                f"unexpected status {resp.status}",
                origin,
                raw,
                signature=signature,
                response=resp,
            )
        cache = BodyCache(resp)
        for check, add in self._checks:
            passed = check(resp, cache)
            add(passed)
            if not passed and ok:
                self._http.error(ErrorKind.CHECK_FAILED)
                self._sample(
                    ErrorKind.CHECK_FAILED,
                    "a check failed",
                    origin,
                    raw,
                    signature=signature,
                    response=resp,
                )
        for var, capture in self._captures:
            value = capture(resp, cache)
            if value is None:
                self._http.error(ErrorKind.CAPTURE_FAILED)
                return False
            vu.variables[var] = value
        if self._step.think is not None:
            await asyncio.sleep(draw_think(self._step.think, vu))
        return True

    def _sample(
        self,
        kind: ErrorKind,
        message: str,
        origin: Origin,
        raw: bytes,
        *,
        signature: tuple[str, ...],
        response: Response | None = None,
    ) -> None:
        """A failure sample, with every signature value masked whatever its header's name
        (a custom ``hmac`` header need not look like a credential to the redactor)."""
        for value in signature:
            raw = raw.replace(value.encode(), MASK.encode())
        self._samples.capture(kind, message, origin=origin, raw=raw, response=response)

    def _fail(self, kind: ErrorKind) -> None:
        # No response: counted as a failed request under status "0", every check fails.
        self._http.error(kind)
        self._http.failure(0)
        for _check, add in self._checks:
            add(False)
