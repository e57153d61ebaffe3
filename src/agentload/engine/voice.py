"""The ``voice`` step: one real-time voice call, its turns measured (docs/metrics.md, "Voice").

Per call: render the URL and headers, open a
:class:`~agentload.protocols.voice.VoiceSession` in the step's dialect (caller
audio was resampled, encoded and framed once, at compile time, and is shared by
every call), optionally wait for the greeting, then speak ``turns`` utterances
— each after the previous reply has played and ``pause`` has passed, or, with
``barge_in``, that long after the previous reply began — wait for the last
reply, close, and record the call's :class:`~agentload.protocols.voice.CallReport`.

What counts as failed: a turn with no agent audio before ``timeout.turn``
(``voice_turns_failed``, ``errors{kind: voice_no_reply}``); a call that could
not connect or that the agent's side ended before the last turn
(``voice_calls_failed``, ``errors`` by the connection's kind, e.g.
``ws_abnormal_close``); the turns a dropped call never reached count as failed
turns too. Malformed agent messages count as ``malformed_response`` and the
call goes on.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

from agentload.engine._streamed import (
    ErrorCounts,
    draw_think,
    merge_headers,
    render_json,
    status_error,
)
from agentload.engine.vu import VU
from agentload.engine.ws import ws_url
from agentload.errors import ErrorKind
from agentload.metrics import Recorder
from agentload.protocols.http import HttpError
from agentload.protocols.voice import (
    CallReport,
    Dialect,
    PreparedUtterance,
    VoiceCodec,
    VoiceSession,
    load_audio,
    make_codec,
)
from agentload.protocols.voice.dialects import TwilioCodec
from agentload.protocols.voice.events import VoiceProtocolError
from agentload.protocols.voice.tools import questionnaire_result
from agentload.protocols.voice.twiml import parse_twiml, twiml_form
from agentload.protocols.voice.utterances import prepare_for
from agentload.protocols.ws import WsError
from agentload.scenario.model import RunConfig, VoiceAudio, VoiceStep

__all__ = ["VoiceCall", "VoiceMetrics"]

_NS_PER_US = 1000
_REPLY_END_S = 60.0  # a reply longer than this is cut off by the step (it still counts)


class VoiceMetrics:
    """The ``voice_*`` and ``errors`` series of one step name in one scenario.

    :meth:`record` takes a whole :class:`CallReport`, so the Python API records
    a ``ctx.voice`` session exactly as the YAML step does.
    """

    def __init__(self, recorder: Recorder, *, name: str, scenario: str) -> None:
        tags = (("name", name), ("scenario", scenario))
        r = recorder
        self.connect = r.trend("voice_connect", tags).add
        self.v2v = r.trend("voice_v2v", tags).add
        self.first_byte = r.trend("voice_v2v_first_byte", tags).add
        self.leading = r.trend("voice_leading_silence", tags).add
        self.endpointing = r.trend("voice_endpointing", tags).add
        self.greeting = r.trend("voice_greeting", tags).add
        self.detect = r.trend("voice_barge_in_detect", tags).add
        self.stop = r.trend("voice_barge_in_stop", tags).add
        self.residual = r.trend("voice_barge_in_residual", tags).add
        self.jitter = r.trend("voice_audio_jitter", tags).add
        self.stall_time = r.trend("voice_stall_time", tags).add
        self.stalls = r.counter("voice_stalls", tags).add
        self.rtf = r.trend("voice_rtf_permille", tags).add
        self.turns = r.counter("voice_turns", tags).add
        self.turn_failed = r.rate("voice_turns_failed", tags).add
        self.call_failed = r.rate("voice_calls_failed", tags).add
        self.lateness = r.trend("voice_send_lateness", tags).add
        self.send_jitter = r.trend("voice_send_jitter", tags).add
        self.tool_calls = r.counter("voice_tool_calls", tags).add
        self._errors = ErrorCounts(recorder, tags)

    def error(self, kind: ErrorKind, n: int = 1) -> None:
        """Count ``n`` ``errors{kind}``."""
        self._errors.add(kind, n)

    def lateness_ns(self, values: list[int] | tuple[int, ...]) -> None:
        """Record send lateness values (ns)."""
        add = self.lateness
        for value in values:
            add(value // _NS_PER_US)

    def record(self, report: CallReport, *, planned_turns: int | None = None) -> None:
        """Record everything one call measured (docs/metrics.md, "Voice")."""
        self.connect(report.connect_ns // _NS_PER_US)
        if report.greeting_ns is not None and report.greeting_ns >= 0:
            self.greeting(report.greeting_ns // _NS_PER_US)
        if report.greeting_timed_out:
            self.error(ErrorKind.VOICE_NO_REPLY)
        for turn in report.turns:
            self.turns(1)
            self.turn_failed(turn.failed)
            if turn.failed:
                self.error(ErrorKind.VOICE_NO_REPLY)
            if turn.v2v_first_byte_ns is not None:
                self.first_byte(turn.v2v_first_byte_ns // _NS_PER_US)
            if turn.v2v_ns is not None and turn.v2v_first_byte_ns is not None:
                self.v2v(turn.v2v_ns // _NS_PER_US)
                self.leading((turn.v2v_ns - turn.v2v_first_byte_ns) // _NS_PER_US)
            if turn.endpointing_ns is not None and turn.endpointing_ns >= 0:
                self.endpointing(turn.endpointing_ns // _NS_PER_US)
            if turn.barge_detect_ns is not None:
                self.detect(turn.barge_detect_ns // _NS_PER_US)
            if turn.barge_residual_ns is not None:
                self.residual(turn.barge_residual_ns // _NS_PER_US)
            if turn.barge_stop_ns is not None:
                self.stop(turn.barge_stop_ns // _NS_PER_US)
            stats = turn.response
            if stats is not None:
                self.jitter(round(stats.jitter_ns / _NS_PER_US))
                self.stall_time(stats.stall_ns // _NS_PER_US)
                if stats.stalls:
                    self.stalls(stats.stalls)
                if stats.audio_ns:
                    self.rtf(round(stats.rtf * 1000))
        missing = 0 if planned_turns is None else max(0, planned_turns - len(report.turns))
        for _ in range(missing):  # turns a dropped call never reached
            self.turns(1)
            self.turn_failed(True)
        self.lateness_ns(report.send_lateness_ns)
        if report.frames_sent > 1:
            self.send_jitter(round(report.send_jitter_ns / _NS_PER_US))
        if report.tool_calls:
            self.tool_calls(report.tool_calls)
        if report.protocol_errors:
            self.error(ErrorKind.MALFORMED, report.protocol_errors)
        if report.server_errors:
            self.error(ErrorKind.VOICE_AGENT_ERROR, report.server_errors)
        error = report.error
        if (
            error is ErrorKind.CLOSED
            and planned_turns is not None
            and len(report.turns) >= planned_turns
            and not any(t.failed for t in report.turns)
        ):
            error = None  # the agent hung up cleanly after the last reply: the call is done
        self.call_failed(error is not None)
        if error is not None:
            self.error(error)


def codec_options(step: VoiceStep, variables: dict[str, object]) -> dict[str, Any]:
    """The codec's keyword options for this step (``parameters`` and ``tools`` rendered)."""
    options: dict[str, Any] = {}
    if step.dialect in (Dialect.PCM, Dialect.PCM_JSON):
        if step.sample_rate is not None:
            options["rate"] = step.sample_rate
        if step.agent_rate is not None:
            options["agent_rate"] = step.agent_rate
    if step.chunk_ms is not None:
        options["chunk_ms"] = step.chunk_ms
    if step.dialect is Dialect.TWILIO and step.parameters:
        options["parameters"] = {k: v.render(variables) for k, v in step.parameters}
    if step.dialect is Dialect.REALTIME:
        options["manual_turns"] = step.manual_turns
        if step.tools is not None:
            options["tools"] = render_json(step.tools, variables)
    return options


class VoiceCall:
    """A compiled ``voice`` step (module docstring)."""

    def __init__(
        self, step: VoiceStep, *, scenario: str, config: RunConfig, recorder: Recorder
    ) -> None:
        self.name = step.name
        self._step = step
        self._base = config.target
        self._headers = merge_headers(config.headers, step.headers)
        self.metrics = VoiceMetrics(recorder, name=step.name, scenario=scenario)
        template = make_codec(step.dialect, rng=random.Random(0), **codec_options(step, {}))
        self._utterances = tuple(self._prepare(template, a) for a in step.audio)
        barge = step.barge_in_audio
        self._barge = self._prepare(template, barge) if barge is not None else None

    @staticmethod
    def _prepare(codec: VoiceCodec, audio: VoiceAudio) -> PreparedUtterance:
        source = audio.path or audio.source
        return prepare_for(codec, load_audio(source, Path.cwd()), audio.source)

    async def run(self, vu: VU, intended_ns: int) -> bool:
        """Run one call; ``False`` (skip the rest of the iteration) if it failed to connect."""
        step, metrics = self._step, self.metrics
        variables = vu.variables
        try:
            url = ws_url(step.url.render(variables), self._base)
            headers = [(k, v.render(variables)) for k, v in self._headers]
            options = codec_options(step, variables)
            twiml = None if step.twiml is None else step.twiml.render(variables)
        except KeyError:
            metrics.error(ErrorKind.SCRIPT)
            metrics.call_failed(True)
            return False
        codec = make_codec(step.dialect, rng=vu.rng, **options)
        if twiml is not None:
            assert isinstance(codec, TwilioCodec)
            stream = await self._dial(vu, twiml, headers, codec)
            if stream is None:
                metrics.call_failed(True)
                return False
            url = stream
        try:
            session = await VoiceSession.open(
                url,
                codec,
                headers=headers,
                timeout=step.connect_timeout,
                tool_handler=questionnaire_result,
                reply_quiet=step.reply_quiet,
            )
        except WsError as exc:
            metrics.error(exc.kind)
            metrics.call_failed(True)
            return False
        try:
            await self._converse(session, vu)
        finally:
            report = await session.close()
        metrics.record(report, planned_turns=step.turns)
        return True

    async def _dial(
        self, vu: VU, webhook: str, headers: list[tuple[str, str]], codec: TwilioCodec
    ) -> str | None:
        """Twilio's voice webhook: POST the call, read the TwiML's stream URL and
        parameters (into the codec's ``start.customParameters``); ``None`` if it failed."""
        if webhook.startswith("/"):
            webhook = self._base.rstrip("/") + webhook
        form = twiml_form(
            call_sid=codec.call_sid, account_sid=codec.account_sid,
            caller="+15005550006", called="+15005550001",
        )  # fmt: skip
        try:
            resp = await vu.http.request("POST", webhook, headers=headers, form=form)
        except HttpError as exc:
            self.metrics.error(exc.kind)
            return None
        if not 200 <= resp.status < 300:
            self.metrics.error(status_error(resp.status))
            return None
        try:
            url, params = parse_twiml(resp.body)
        except VoiceProtocolError:
            self.metrics.error(ErrorKind.MALFORMED)
            return None
        codec.parameters = {**params, **codec.parameters}
        return url

    async def _converse(self, session: VoiceSession, vu: VU) -> None:
        step, metrics = self._step, self.metrics
        if step.greeting:
            await session.greeting(step.turn_timeout)
        utterances = self._utterances
        for i in range(step.turns):
            if session.failed:
                return
            utterance = utterances[i % len(utterances)]
            if i > 0 and step.barge_in is not None:
                await session.barge_in(
                    self._barge or utterance, after=step.barge_in, timeout=step.turn_timeout
                )
            else:
                if i > 0:
                    await session.wait_reply_end(_REPLY_END_S)
                    if step.pause is not None:
                        await asyncio.sleep(draw_think(step.pause, vu))
                await session.say(utterance, timeout=step.turn_timeout)
            metrics.lateness_ns(session.take_send_lateness())  # live, not only at the end
        if not session.failed:
            await session.wait_reply_end(_REPLY_END_S)
