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
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import jsonpath
import orjson

from agentload._redact import MASK
from agentload.engine._failures import FailureSampler
from agentload.engine._streamed import (
    HttpSeries,
    draw_think,
    merge_headers,
    render_json,
    status_error,
)
from agentload.engine.vu import VU
from agentload.errors import ErrorKind
from agentload.metrics import Recorder
from agentload.protocols.http import (
    HttpError,
    Origin,
    Response,
    build_target,
    encode_request,
    parse_url,
)
from agentload.protocols.webhooks import ToolCallSpec, merge_patch, payload, sign
from agentload.scenario.model import (
    BodyContainsCheck,
    Capture,
    CaptureSource,
    Check,
    HeaderCheck,
    JsonCheck,
    RunConfig,
    StatusCheck,
    WebhookStep,
)

__all__ = ["WebhookRequest"]

_OK_STATUS = range(200, 300)


class _Doc:
    """The response and its body parsed as JSON at most once."""

    __slots__ = ("_json", "response")

    _UNSET: Any = object()

    def __init__(self, response: Response) -> None:
        self.response = response
        self._json: Any = self._UNSET

    def json(self) -> Any:
        if self._json is self._UNSET:
            try:
                self._json = orjson.loads(self.response.body)
            except orjson.JSONDecodeError:
                self._json = None
        return self._json


def _check_fn(check: Check) -> tuple[str, Callable[[_Doc], bool]]:
    """A check's label (as request steps label theirs) and its test."""
    if isinstance(check, StatusCheck):
        codes = frozenset(check.expected)
        label = "status is " + "|".join(str(s) for s in check.expected)
        return label, lambda d: d.response.status in codes
    if isinstance(check, JsonCheck):
        path = jsonpath.compile(check.path)
        if check.exists_only:
            return f"{check.path} exists", lambda d: path.match(d.json()) is not None
        want = check.expected

        def json_eq(d: _Doc) -> bool:
            m = path.match(d.json())
            return m is not None and bool(m.obj == want)

        return f"{check.path} == {orjson.dumps(want).decode()}", json_eq
    if isinstance(check, BodyContainsCheck):
        needle = check.text.encode()
        return f"body contains {check.text!r}", lambda d: needle in d.response.body
    assert isinstance(check, HeaderCheck)
    name, value = check.name, check.expected
    if value is None:
        return f"header {name} present", lambda d: d.response.header(name) is not None
    return f"header {name} == {value!r}", lambda d: d.response.header(name) == value


def _capture_fn(capture: Capture) -> Callable[[_Doc], object | None]:
    if capture.source is CaptureSource.JSON:
        path = jsonpath.compile(capture.expr)

        def from_json(d: _Doc) -> object | None:
            m = path.match(d.json())
            return None if m is None else m.obj

        return from_json
    if capture.source is CaptureSource.REGEX:
        pattern = re.compile(capture.expr)

        def from_regex(d: _Doc) -> object | None:
            m = pattern.search(d.response.text())
            if m is None:
                return None
            return m.group(1) if pattern.groups else m.group(0)

        return from_regex
    header = capture.expr
    return lambda d: d.response.header(header)


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
        self._checks = tuple(
            (fn, self._http.check(label)) for label, fn in map(_check_fn, step.checks)
        )
        self._captures = tuple((c.var, _capture_fn(c)) for c in step.captures)
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
        url = step.url.render(variables)
        if url.startswith("/"):
            url = self._base.rstrip("/") + url
        origin, target = parse_url(url)
        if step.query:
            target = build_target(target, [(k, v.render(variables)) for k, v in step.query])
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
        doc = _Doc(resp)
        for check, add in self._checks:
            passed = check(doc)
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
            value = capture(doc)
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
