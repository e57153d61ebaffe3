"""The ``llm`` step: one chat-completions request, its reply streamed, timed and checked.

Per request: render (or reuse) the request bytes, hand a
:class:`~agentload.protocols.llm.ChatResponse` to ``HttpClient.stream`` (it
sees every chunk with its arrival time), then record the ``http_*`` metrics
of the request and the ``llm_*`` metrics of the reply (docs/metrics.md, "LLM
streaming"), run the checks and captures on the assembled reply.

What counts as failed (``llm_requests_failed``, and ``http_req_failed`` of the
step): no response, a status other than ``expect.status`` (default: 2xx), an
error in the stream, a malformed stream, or a stream cut short. Latency and
token metrics come from successful requests only: a time to failure is not a
latency (as for ``http_req_duration``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from agentload.engine._checks import capture_fn, check_fn, run_captures
from agentload.engine._failures import FailureSampler
from agentload.engine._streamed import (
    HttpSeries,
    StreamedRequest,
    draw_think,
    merge_headers,
    status_error,
)
from agentload.engine.vu import VU
from agentload.errors import ErrorKind
from agentload.metrics import Recorder
from agentload.protocols.http import HttpError, Response
from agentload.protocols.llm import ChatReply, ChatResponse, chat_request_body, token_metrics
from agentload.scenario.model import (
    FinishReasonCheck,
    JsonBody,
    JsonObject,
    JsonValue,
    LlmCheck,
    LlmStep,
    RunConfig,
    StatusCheck,
)

__all__ = ["LlmRequest"]

_OK_STATUS = range(200, 300)  # a 3xx carries no completion


class _Outcome:
    """The checks' and captures' subject: the reply, its document built at most once."""

    __slots__ = ("_doc", "reply")

    def __init__(self, reply: ChatReply) -> None:
        self.reply = reply
        self._doc: dict[str, Any] | None = None

    def json(self) -> dict[str, Any]:
        """The reply as one chat-completion document (``ChatReply.document``)."""
        if self._doc is None:
            self._doc = self.reply.document()
        return self._doc

    def text(self) -> str:
        """The reply's content ("" when it has none)."""
        return self.reply.content or ""


_Checker = Callable[[Response, _Outcome], bool]
_Capturer = Callable[[Response, _Outcome], object | None]


def _check_fn(check: LlmCheck) -> tuple[str, _Checker]:
    """A check's label (as request steps label theirs) and its test on the reply.

    ``body contains`` and regex captures read the reply's content, JSONPath its
    document (engine/_checks.py).
    """
    if isinstance(check, FinishReasonCheck):
        reasons = frozenset(check.expected)
        label = "finish_reason is " + "|".join(check.expected)
        return label, lambda _r, o: o.reply.finish_reason in reasons
    return check_fn(check, search_text=True)


def _as_json(value: object) -> JsonValue:
    # chat_request_body returns plain dicts for what it adds (stream_options).
    if isinstance(value, dict):
        return JsonObject(tuple((str(k), _as_json(v)) for k, v in value.items()))
    return value  # type: ignore[return-value]  # already a JsonValue (templates, numbers, …)


class LlmRequest:
    """A compiled ``llm`` step (see the module docstring)."""

    __slots__ = (
        "_captures",
        "_checks",
        "_e2e",
        "_explicit_status",
        "_failed",
        "_goodput",
        "_http",
        "_itl",
        "_llm_done",
        "_rate",
        "_request",
        "_samples",
        "_slo",
        "_think",
        "_timeouts",
        "_tokens",
        "_tool_calls",
        "_tpot",
        "_ttfot",
        "_ttft",
        "name",
    )

    def __init__(
        self, step: LlmStep, *, scenario: str, config: RunConfig, recorder: Recorder
    ) -> None:
        self.name = step.name
        body = chat_request_body(
            step.model, step.messages, stream=step.stream, params=dict(step.params)
        )
        self._request = StreamedRequest(
            base=config.target,
            method="POST",
            url=step.url,
            headers=merge_headers(config.headers, step.headers),
            query=step.query,
            body=JsonBody(_as_json(body)),
        )
        self._timeouts = step.timeouts or config.timeouts
        self._think = step.think
        self._http = HttpSeries(
            recorder, (("method", "POST"), ("name", step.name), ("scenario", scenario))
        )
        self._samples = FailureSampler(recorder, self._http.tags)
        tags = (("name", step.name), ("scenario", scenario))
        self._ttft = recorder.trend("llm_ttft", tags).add
        self._ttfot = recorder.trend("llm_ttfot", tags).add
        self._itl = recorder.trend("llm_itl", tags).add
        self._tpot = recorder.trend("llm_tpot", tags).add
        self._e2e = recorder.trend("llm_e2e", tags).add
        self._llm_done = recorder.trend("llm_done", tags).add
        self._rate = recorder.trend("llm_output_tokens_per_s", tags).add
        self._tokens = recorder.counter("llm_output_tokens", tags).add
        self._tool_calls = recorder.counter("llm_tool_calls", tags).add
        self._failed = recorder.rate("llm_requests_failed", tags).add
        self._slo = step.slo
        self._goodput = recorder.rate("llm_goodput", tags).add if step.slo is not None else None
        statuses = [s for c in step.checks if isinstance(c, StatusCheck) for s in c.expected]
        self._explicit_status = frozenset(statuses) if statuses else None
        self._checks = tuple(
            (fn, self._http.check(label)) for label, fn in map(_check_fn, step.checks)
        )
        self._captures: tuple[tuple[str, _Capturer], ...] = tuple(
            (c.var, capture_fn(c)) for c in step.captures
        )

    async def run(self, vu: VU, intended_ns: int) -> bool:
        """Send the request, read the reply, record; ``False`` stops the iteration."""
        try:
            origin, raw = self._request.encode(vu.variables)
        except KeyError as exc:
            self._fail_without_reply(ErrorKind.SCRIPT, 0)
            self._samples.capture(ErrorKind.SCRIPT, f"variable {exc.args[0]!r} is not set")
            return False
        chat = ChatResponse()
        try:
            resp = await vu.http.stream(origin, raw, chat, timeouts=self._timeouts)
        except HttpError as exc:
            kind = exc.kind
            if chat.status and (kind is ErrorKind.CLOSED or kind is ErrorKind.RESET):
                kind = ErrorKind.STREAM_CUT  # the answer had begun: the stream was cut
            self._fail_without_reply(kind, chat.status)
            self._samples.capture(kind, str(exc), origin=origin, raw=raw, status=chat.status)
            return False
        reply = chat.reply(start_ns=resp.start_ns, end_ns=resp.end_ns)
        expected = self._explicit_status
        http_ok = resp.status in (_OK_STATUS if expected is None else expected)
        ok = http_ok and reply.error_kind is None
        self._http.response(resp, intended_ns, failed=not ok)
        self._failed(not ok)
        if not http_ok:
            self._http.error(status_error(resp.status))
            self._samples.capture(
                status_error(resp.status),
                f"unexpected status {resp.status}",
                origin=origin,
                raw=raw,
                response=resp,
                body=reply.error or reply.content or "",
            )
        elif reply.error_kind is not None:
            self._http.error(reply.error_kind)
            self._samples.capture(
                reply.error_kind,
                reply.error or "the reply reported an error",
                origin=origin,
                raw=raw,
                response=resp,
                body=reply.content or "",
            )
        if ok:
            self._record(reply)
        elif self._goodput is not None:
            self._goodput(False)
        outcome = _Outcome(reply)
        for check, add in self._checks:
            passed = check(resp, outcome)
            add(passed)
            if not passed and ok:
                self._http.error(ErrorKind.CHECK_FAILED)
                self._samples.capture(
                    ErrorKind.CHECK_FAILED,
                    "a check failed",
                    origin=origin,
                    raw=raw,
                    response=resp,
                    body=reply.content or "",
                )
        missing = run_captures(self._captures, resp, outcome, vu.variables)
        if missing is not None:
            self._http.error(ErrorKind.CAPTURE_FAILED)
            self._samples.capture(
                ErrorKind.CAPTURE_FAILED,
                missing,
                origin=origin,
                raw=raw,
                response=resp,
                body=reply.content or "",
            )
            return False
        if self._think is not None:
            await asyncio.sleep(draw_think(self._think, vu))
        return True

    def _record(self, reply: ChatReply) -> None:
        m = token_metrics(reply.timing)
        if m.ttft_ns is not None:
            self._ttft(m.ttft_ns // 1000)
        if m.ttfot_ns is not None:
            self._ttfot(m.ttfot_ns // 1000)
        itl = self._itl
        for gap in m.itl_ns:
            itl(gap // 1000)
        if m.tpot_ns is not None:
            self._tpot(round(m.tpot_ns / 1000))
        if m.output_tokens_per_s is not None:
            self._rate(round(m.output_tokens_per_s))
        if m.e2e_ns is not None:
            self._e2e(m.e2e_ns // 1000)
        if m.done_ns is not None:
            self._llm_done(m.done_ns // 1000)
        self._tokens(m.output_tokens)
        if reply.tool_calls:
            self._tool_calls(len(reply.tool_calls))
        if self._goodput is not None and self._slo is not None:
            self._goodput(self._slo.met_by(m))

    def _fail_without_reply(self, kind: ErrorKind, status: int) -> None:
        # No (complete) response: the request counts, as failed, under the
        # status of its head if one came, else "0"; every check fails.
        self._http.error(kind)
        self._http.failure(status)
        self._failed(True)
        if self._goodput is not None:
            self._goodput(False)
        for _check, add in self._checks:
            add(False)
