"""``ctx.llm``: OpenAI-compatible chat completions from Python, measured like the ``llm`` step.

Each call goes through the engine's own compiled ``llm`` step
(:class:`agentload.engine.llm.LlmRequest`), so it records exactly the
``http_*`` and ``llm_*`` metrics a YAML ``llm:`` step records (docs/metrics.md,
"LLM streaming"): TTFT, inter-token latency, TPOT, tokens, goodput. The step
is compiled once per (name, url, model, stream, parameter names, SLO) and
cached; the messages and parameter values are handed to it as VU variables
under private names (``__agentload_llm_*``), which are removed after the call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agentload.engine.llm import LlmRequest
from agentload.protocols.llm.timing import LlmSlo
from agentload.scenario.model import (
    Capture,
    CaptureSource,
    LlmStep,
    RunConfig,
    Template,
    Timeouts,
    VarRef,
)

if TYPE_CHECKING:
    from agentload.engine.context import VuContext

__all__ = ["LlmApi", "LlmReply"]

_PREFIX = "__agentload_llm_"
_MESSAGES = _PREFIX + "messages"
_REPLY = _PREFIX + "reply"


def _ref(name: str) -> Template:
    return Template((VarRef(name),), "${" + name + "}")


class LlmReply:
    """What ``ctx.llm.chat`` returns: ``ok``, ``text``, ``tool_calls``, ``finish_reason``…"""

    __slots__ = ("document", "ok")

    def __init__(self, ok: bool, document: Mapping[str, Any] | None) -> None:
        self.ok = ok
        """True when the request succeeded (the step's ``llm_requests_failed`` was false)."""
        self.document: Mapping[str, Any] = document or {}
        """The assembled reply: ``id, model, role, content, reasoning, tool_calls,
        finish_reason, usage`` (as the ``llm`` step's JSON checks see it)."""

    @property
    def text(self) -> str:
        """The reply's content ("" when none came)."""
        return str(self.document.get("content") or "")

    @property
    def tool_calls(self) -> list[Any]:
        """The tool calls, as ``{"id", "type", "function": {"name", "arguments"}}``."""
        return list(self.document.get("tool_calls") or [])

    @property
    def finish_reason(self) -> str | None:
        """Why the reply ended (``stop``, ``length``, ``tool_calls``…)."""
        value = self.document.get("finish_reason")
        return str(value) if value is not None else None

    def __repr__(self) -> str:
        return f"<LlmReply ok={self.ok} {self.text[:40]!r}>"


class LlmApi:
    """``ctx.llm``."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: VuContext) -> None:
        self._ctx = ctx

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        model: str = "gpt-4o-mini",
        url: str = "/v1/chat/completions",
        name: str | None = None,
        stream: bool = True,
        slo: LlmSlo | None = None,
        timeout: float | None = None,
        **params: Any,
    ) -> LlmReply:
        """Send one chat completion; ``params`` are further body fields (``max_tokens``…).

        ``slo`` (``LlmSlo(ttft=0.5, …)``, seconds) decides ``llm_goodput``.
        """
        ctx = self._ctx
        b = ctx.bindings
        tag = name if name is not None else f"llm {model}"
        keys = tuple(sorted(params))
        total = None if timeout is None else float(timeout)
        key = ("llm", tag, url, model, str(stream), repr(keys), repr(slo), repr(total))
        config = RunConfig(target=b.base, headers=b.headers, timeouts=b.timeouts, variables={})

        def compile_step() -> LlmRequest:
            step = LlmStep(
                name=tag,
                url=Template.literal(url),
                model=Template.literal(model),
                messages=_ref(_MESSAGES),
                params=tuple((k, _ref(_PREFIX + "p_" + k)) for k in keys),
                stream=stream,
                slo=slo,
                captures=(Capture(CaptureSource.JSON, "$", _REPLY),),
                timeouts=None
                if total is None
                else Timeouts(b.timeouts.connect, b.timeouts.read, total),
            )
            return LlmRequest(step, scenario=b.scenario, config=config, recorder=b.recorder)

        request = b.cached(key, compile_step)
        variables = ctx.vars
        variables[_MESSAGES] = [dict(m) for m in messages]
        for k in keys:
            variables[_PREFIX + "p_" + k] = params[k]
        failed = b.recorder.rate("llm_requests_failed", (("name", tag), ("scenario", b.scenario)))
        before = failed.passes
        intended, ctx.intended_ns = ctx.intended_ns, 0
        try:
            await request.run(ctx.vu_state, intended)
            document = variables.get(_REPLY)
        finally:
            for var in [v for v in variables if v.startswith(_PREFIX)]:
                del variables[var]
        ok = failed.passes == before
        return LlmReply(ok, document if isinstance(document, Mapping) else None)
