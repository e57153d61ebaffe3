"""``ctx.sse``: server-sent event streams from Python, measured like the ``sse`` step.

Each call runs the engine's compiled ``sse`` step (:class:`agentload.engine.sse.SseRequest`),
so it records exactly what a YAML ``sse:`` step records (docs/metrics.md, "LLM
streaming": ``sse_first_event``, ``sse_event_gap``, ``sse_stream_duration``,
``sse_events``, ``sse_streams_failed`` and the ``http_*`` metrics). The step is
compiled once per (name, method, url, stop conditions, timeout) and cached; a
JSON body is handed to it as a VU variable under a private name, removed after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentload.engine.sse import SseRequest
from agentload.scenario.model import (
    JsonBody,
    RunConfig,
    SseStep,
    SseUntil,
    Template,
    Timeouts,
    VarRef,
)

if TYPE_CHECKING:
    from agentload.engine.context import VuContext

__all__ = ["SseApi"]

_BODY = "__agentload_sse_body"


class SseApi:
    """``ctx.sse``."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: VuContext) -> None:
        self._ctx = ctx

    async def stream(
        self,
        url: str,
        *,
        name: str | None = None,
        method: str = "GET",
        json: object = None,
        until_event: str | None = None,
        until_contains: str | None = None,
        max_events: int | None = None,
        timeout: float | None = None,
    ) -> bool:
        """Read the stream until an event named ``until_event`` (and/or containing
        ``until_contains``) arrives, ``max_events`` arrived, or it ends; True if it
        succeeded (the step's ``sse_streams_failed`` was false)."""
        ctx = self._ctx
        b = ctx.bindings
        tag = name if name is not None else f"{method.upper()} {url.split('?', 1)[0]}"
        until = (
            SseUntil(event=until_event, data_contains=until_contains)
            if until_event is not None or until_contains is not None
            else None
        )
        total = None if timeout is None else float(timeout)
        key = ("sse", tag, method.upper(), url, repr(until), repr(max_events), repr(total))
        has_body = json is not None

        def compile_step() -> SseRequest:
            step = SseStep(
                name=tag,
                method=method.upper(),
                url=Template.literal(url),
                body=JsonBody(Template((VarRef(_BODY),), "${" + _BODY + "}")) if has_body else None,
                max_events=max_events,
                until=until,
                timeouts=None
                if total is None
                else Timeouts(b.timeouts.connect, b.timeouts.read, total),
            )
            config = RunConfig(target=b.base, headers=b.headers, timeouts=b.timeouts)
            return SseRequest(step, scenario=b.scenario, config=config, recorder=b.recorder)

        request = b.cached((*key, str(has_body)), compile_step)
        variables = ctx.vars
        if has_body:
            variables[_BODY] = json
        failed = b.recorder.rate("sse_streams_failed", (("name", tag), ("scenario", b.scenario)))
        before = failed.passes
        intended, ctx.intended_ns = ctx.intended_ns, 0
        try:
            await request.run(ctx.vu_state, intended)
        finally:
            variables.pop(_BODY, None)
        return failed.passes == before
