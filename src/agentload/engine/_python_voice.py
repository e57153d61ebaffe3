"""``ctx.voice``: real-time voice calls from Python code, recorded like the YAML ``voice`` step.

A thin layer over :class:`agentload.protocols.voice.VoiceSession` (helper
H2's driver) and :class:`agentload.engine.voice.VoiceMetrics`: the call is
opened in a dialect (``pcm``, ``pcm_json``, ``twilio``, ``realtime``),
utterances are spoken by name (a shipped utterance or a WAV file beside the
scenario, prepared once per dialect and cached), and :meth:`PyVoice.close`
records the whole :class:`~agentload.protocols.voice.CallReport` exactly as
the YAML step does (docs/metrics.md, "Voice"). A call the function left open
is closed (and recorded) when the call ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentload.engine.voice import VoiceMetrics
from agentload.engine.ws import ws_url
from agentload.protocols.voice import (
    CallReport,
    Dialect,
    PreparedUtterance,
    TurnResult,
    VoiceSession,
    make_codec,
)
from agentload.protocols.voice.tools import questionnaire_result
from agentload.protocols.ws import WsError

if TYPE_CHECKING:
    from agentload.engine.context import VuContext

__all__ = ["PyVoice", "VoiceApi"]


class PyVoice:
    """One call (``call = await ctx.voice.open(...)``); ``call.ok`` is False if it failed."""

    __slots__ = ("_api", "_closed", "_metrics", "_session", "ok")

    def __init__(self, api: VoiceApi, session: VoiceSession | None, metrics: VoiceMetrics) -> None:
        self._api = api
        self._session = session
        self._metrics = metrics
        self._closed = session is None
        self.ok = session is not None
        """True when the call connected (a failure was counted)."""

    def _live(self) -> VoiceSession:
        if self._session is None or self._closed:
            raise RuntimeError("the voice call is not open (check call.ok; do not reuse it)")
        return self._session

    @property
    def failed(self) -> bool:
        """True once the connection failed or the agent hung up."""
        return self._session is None or self._session.failed

    async def greeting(self, timeout: float = 10.0) -> TurnResult:
        """Wait for the agent's greeting to finish playing."""
        return await self._live().greeting(timeout)

    async def say(self, utterance: str, *, timeout: float = 10.0) -> TurnResult:
        """Speak a shipped utterance (by name) or a WAV file; wait for the reply's first audio."""
        session = self._live()
        return await session.say(self._api.prepared(session, utterance), timeout=timeout)

    async def barge_in(self, utterance: str, *, after: float, timeout: float = 10.0) -> TurnResult:
        """Speak ``after`` seconds after the previous reply began, interrupting it."""
        session = self._live()
        return await session.barge_in(
            self._api.prepared(session, utterance), after=after, timeout=timeout
        )

    async def wait_reply_end(self, timeout: float = 60.0) -> bool:
        """Wait until the last reply has played."""
        return await self._live().wait_reply_end(timeout)

    async def silence(self, seconds: float) -> None:
        """Keep streaming silence."""
        await self._live().silence(seconds)

    async def close(self) -> CallReport | None:
        """End the call and record it; the report (``None`` if it never connected)."""
        if self._closed or self._session is None:
            return None
        self._closed = True
        report = await self._session.close()
        self._metrics.record(report)
        return report


class VoiceApi:
    """``ctx.voice``."""

    __slots__ = ("_ctx", "open_calls")

    def __init__(self, ctx: VuContext) -> None:
        self._ctx = ctx
        self.open_calls: list[PyVoice] = []

    def prepared(self, session: VoiceSession, source: str) -> PreparedUtterance:
        """``source`` prepared for the session's codec (cached per dialect and options)."""
        codec = session.codec
        key = (type(codec).__name__, repr(getattr(codec, "frame_ns", None)), source)
        return self._ctx.bindings.cached(
            ("voice-utterance", *key),
            lambda: session.utterance(source, Path.cwd()),
        )

    async def open(
        self,
        url: str,
        *,
        dialect: str = "twilio",
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        **codec_options: Any,
    ) -> PyVoice:
        """Open a call to ``url`` (relative: ``config.target``, ``http``→``ws``).

        ``codec_options`` go to the dialect's codec (``rate``, ``chunk_ms``,
        ``parameters`` for Twilio, ``tools`` for Realtime: docs/scenario-format.md "Voice").
        """
        ctx = self._ctx
        b = ctx.bindings
        tag = name if name is not None else url.split("?", 1)[0]
        metrics = b.ws_metrics(
            "voice:" + tag, lambda rec: VoiceMetrics(rec, name=tag, scenario=b.scenario)
        )
        codec = make_codec(Dialect(dialect), rng=ctx.rng, **codec_options)
        fields = b.default_headers(ctx.vars, headers)
        try:
            session = await VoiceSession.open(
                ws_url(url, b.base),
                codec,
                headers=fields,
                timeout=timeout,
                tool_handler=questionnaire_result,
            )
        except WsError as exc:
            metrics.error(exc.kind)
            metrics.call_failed(True)
            return PyVoice(self, None, metrics)
        call = PyVoice(self, session, metrics)
        self.open_calls.append(call)
        return call

    async def close_all(self) -> None:
        """Close (and record) the calls the function left open."""
        calls, self.open_calls = self.open_calls, []
        for call in calls:
            await call.close()
