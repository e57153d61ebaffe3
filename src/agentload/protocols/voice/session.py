"""The asyncio driver of one voice call: :class:`VoiceSession` (a thin shell over the codec).

It connects a :class:`~agentload.protocols.ws.WsConnection`, sends the
codec's opening messages, then streams caller audio on the drift-free pacer
for the whole call — an utterance when one is queued, digital silence
otherwise (server VADs must hear the silence that ends a turn; protocols.md
§6.2). One :class:`~agentload.protocols.voice.clock.FrameClock` per event
loop sends the due frames of every call (docs/decisions.md D22). Agent
messages are decoded in the connection's listener and fed to
:class:`~agentload.protocols.voice.call.CallState`, which keeps the metrics.

Methods (also the Python API's ``ctx.voice``; docs/scenario-format.md "Voice"):

* ``await VoiceSession.open(url, codec, headers=…, timeout=…)`` — connect and start;
* ``s.utterance("hello")`` — a shipped utterance or WAV file, prepared for the codec;
* ``await s.greeting(timeout)`` — wait for the agent's greeting to finish;
* ``await s.say(utterance, timeout=…)`` — speak one utterance and wait for the
  first agent audio of its reply (a failed turn if none comes in time);
* ``await s.barge_in(utterance, after=…, timeout=…)`` — speak ``after``
  seconds after the previous reply began, interrupting it;
* ``await s.wait_reply_end(timeout)`` — wait until the last reply has played;
* ``await s.silence(seconds)`` — keep streaming silence;
* ``await s.close()`` → :class:`CallReport` — end the session and collect.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agentload.errors import ErrorKind
from agentload.protocols.voice.audio import Audio
from agentload.protocols.voice.call import CallState, PreparedUtterance, TurnResult
from agentload.protocols.voice.clock import FrameClock
from agentload.protocols.voice.codec import Outgoing, VoiceCodec
from agentload.protocols.voice.events import (
    AgentAudio,
    AgentMark,
    EndOfSpeech,
    Interrupted,
    ResponseDone,
    ServerError,
    SessionReady,
    ToolCall,
    VoiceProtocolError,
)
from agentload.protocols.voice.pacer import Pacer, sleep_until
from agentload.protocols.voice.utterances import load_audio, prepare_for
from agentload.protocols.ws import WsConnection, WsError, WsMessage

__all__ = ["CallReport", "ToolHandler", "VoiceSession"]

ToolHandler = Callable[[str, str], str]
"""``(tool name, JSON arguments) → JSON result`` for the agent's tool calls."""

_CLOSE_QUIET_NS = 50_000_000


@dataclass(frozen=True, slots=True)
class CallReport:
    """Everything one call measured (ns), for the engine to record."""

    connect_ns: int
    greeting_ns: int | None
    turns: tuple[TurnResult, ...]
    send_lateness_ns: tuple[int, ...]
    send_jitter_ns: float
    frames_sent: int
    tool_calls: int
    protocol_errors: int
    server_errors: int
    greeting_timed_out: bool = False
    """A greeting was awaited (:meth:`VoiceSession.greeting`) and no agent audio came."""
    error: ErrorKind | None = None
    """Why the call ended early (connection dropped, refused, …), or ``None``."""
    error_message: str = ""


class VoiceSession:
    """One call (module docstring). Create it with :meth:`open`."""

    def __init__(
        self,
        conn: WsConnection,
        codec: VoiceCodec,
        *,
        tool_handler: ToolHandler | None = None,
        reply_quiet: float = 0.5,
    ) -> None:
        self.conn = conn
        self.codec = codec
        self.state = CallState(codec.agent_rate)
        self._tools = tool_handler
        self._quiet_ns = int(reply_quiet * 1e9)
        self._silence = codec.silence()
        self._utt: PreparedUtterance | None = None
        self._utt_index = 0
        self._utt_turn = 0
        self._utt_done: asyncio.Future[None] | None = None
        self._wake: asyncio.Future[None] | None = None
        self._ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._marks: list[tuple[asyncio.TimerHandle, str]] = []
        self._pacer = Pacer(0, codec.frame_ns)
        self._streaming = False
        """True while the frame clock sends this call's audio (from open to close)."""
        self.next_frame_ns = 0
        """When the next caller frame is due (the frame clock reads it)."""
        self._watcher: asyncio.Task[None] | None = None
        self._last_turn = 0
        self.error: ErrorKind | None = None
        self.error_message = ""
        self.connect_ns = 0

    # ---------------------------------------------------------------- opening
    @classmethod
    async def open(
        cls,
        url: str,
        codec: VoiceCodec,
        *,
        headers: Sequence[tuple[str, str]] = (),
        subprotocols: Sequence[str] = (),
        timeout: float = 10.0,
        tool_handler: ToolHandler | None = None,
        reply_quiet: float = 0.5,
    ) -> VoiceSession:
        """Connect, send the opening messages and start streaming (silence until ``say``).

        Raises :class:`~agentload.protocols.ws.WsError` when the connection or
        (Realtime) the session set-up fails.
        """
        start = time.perf_counter_ns()
        conn = await WsConnection.connect(
            url, headers=headers, subprotocols=subprotocols, timeout=timeout
        )
        session = cls(conn, codec, tool_handler=tool_handler, reply_quiet=reply_quiet)
        session.connect_ns = time.perf_counter_ns() - start
        conn.set_listener(session._on_message)
        while True:  # what arrived before the listener was set (session.created)
            try:
                session._on_message(await conn.recv(timeout=0))
            except WsError:
                break
        session._watcher = asyncio.create_task(session._watch_close())
        try:
            for msg in codec.opening():
                session._send(msg)
            if codec.waits_for_ready:
                async with asyncio.timeout(timeout):
                    await session._ready
                for msg in codec.after_ready():
                    session._send(msg)
        except (TimeoutError, WsError) as exc:
            conn.abort()
            await session._stop_tasks()
            if isinstance(exc, WsError):
                raise
            raise WsError(ErrorKind.WS_TIMEOUT, "the voice session was not ready in time") from None
        now = time.perf_counter_ns()
        session.state.start_ns = now
        session._pacer = Pacer(now, codec.frame_ns)
        session.next_frame_ns = now
        session._streaming = True
        FrameClock.of().add(session)
        return session

    # ---------------------------------------------------------------- sending
    def _send(self, msg: Outgoing) -> None:
        if isinstance(msg, str):
            self.conn.send_text(msg)
        else:
            self.conn.send_bytes(msg)

    def send_frame(self) -> int:
        """Send the due caller frame (the frame clock calls this, :mod:`.clock`): the
        utterance's next frame, else silence; return when the next one is due (0: stop)."""
        if not self._streaming:
            return 0
        utt = self._utt
        i = self._utt_index
        msg = self.codec.audio(self._silence if utt is None else utt.payloads[i])
        now = time.perf_counter_ns()
        pacer = self._pacer
        try:
            self._send(msg)
            pacer.sent(now)
            if utt is not None:
                self._after_utterance_frame(utt, i, now, self.state)
        except WsError as exc:
            self._streaming = False
            self._failed(exc.kind, exc.message)
            return 0
        nxt = self.next_frame_ns = pacer.due_ns()
        return nxt

    def _after_utterance_frame(
        self, utt: PreparedUtterance, i: int, now: int, state: CallState
    ) -> None:
        turn = self._utt_turn
        if utt.first is not None and i == utt.first[0]:
            state.user_started(turn, now + utt.first[1])
        if utt.last is not None and i == utt.last[0]:
            state.user_ended(turn, now + utt.last[1])
        self._utt_index = i + 1
        if i + 1 >= len(utt.payloads):
            self._utt = None
            for msg in self.codec.end_of_utterance():
                self._send(msg)
            done = self._utt_done
            if done is not None and not done.done():
                done.set_result(None)

    def _failed(self, kind: ErrorKind, message: str) -> None:
        if self.error is None:
            self.error, self.error_message = kind, message
        done = self._utt_done
        if done is not None and not done.done():
            done.set_result(None)
        self._notify()

    async def _watch_close(self) -> None:
        await self.conn.wait_closed()
        kind = self.conn.close_error_kind()
        if kind is not None or not self.conn.closed_by_peer:
            if kind is not None:
                self._failed(kind, f"the agent closed the call (code {self.conn.close_code})")
        else:
            self._failed(ErrorKind.CLOSED, "the agent closed the call")
        self._notify()

    # -------------------------------------------------------------- receiving
    def _notify(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _on_message(self, message: WsMessage) -> None:
        t = message.received_ns
        state = self.state
        try:
            events = self.codec.decode(message.data)
        except VoiceProtocolError:
            state.protocol_errors += 1
            return
        for event in events:
            if isinstance(event, AgentAudio):
                self._last_turn = state.audio(t, event.samples, event.response, event.item)
            elif isinstance(event, Interrupted):
                self._interrupted(t)
            elif isinstance(event, EndOfSpeech):
                state.end_of_speech(t)
            elif isinstance(event, ResponseDone):
                state.response_done(event.response)
            elif isinstance(event, AgentMark):
                self._mark(event.name, t)
            elif isinstance(event, ToolCall):
                self._tool(event)
            elif isinstance(event, SessionReady):
                if not self._ready.done():
                    self._ready.set_result(None)
            elif isinstance(event, ServerError):
                state.server_errors += 1
        self._notify()

    def _interrupted(self, t: int) -> None:
        interrupted = self.state.interrupted(t)
        if interrupted is None:
            return
        barge = self.state.turns[interrupted + 1]
        item = self.state.turns[interrupted].item
        with contextlib.suppress(WsError):
            for msg in self.codec.barge_in(item, barge.played // 1_000_000):
                self._send(msg)
        # Twilio-compatible players echo pending marks when clear drops them.
        marks, self._marks = self._marks, []
        for handle, name in marks:
            handle.cancel()
            self._echo(name)

    def _mark(self, name: str, t: int) -> None:
        player = self.state.player(self._last_turn)
        delay = 0 if player is None else max(0, player.end_ns - t)
        handle = asyncio.get_running_loop().call_later(delay / 1e9, self._echo_later, name)
        self._marks.append((handle, name))

    def _echo_later(self, name: str) -> None:
        self._marks = [(h, n) for h, n in self._marks if n != name or h.cancelled()]
        self._echo(name)

    def _echo(self, name: str) -> None:
        with contextlib.suppress(WsError):
            for msg in self.codec.mark_echo(name):
                self._send(msg)

    def _tool(self, call: ToolCall) -> None:
        self.state.tool_calls += 1
        output = self._tools(call.name, call.arguments) if self._tools else '{"ok": true}'
        with contextlib.suppress(WsError):
            for msg in self.codec.tool_result(call.call_id, output):
                self._send(msg)

    # ---------------------------------------------------------------- waiting
    async def _until(self, ready: Callable[[], int], deadline_ns: int) -> bool:
        """Wait until ``ready()`` returns 0 (done), or the deadline; ``ready`` may return
        a time (ns) at which to look again without an event."""
        loop = asyncio.get_running_loop()
        while True:
            when = ready()
            if when == 0:
                return True
            now = time.perf_counter_ns()
            if now >= deadline_ns or self.error is not None:
                return False
            wake_at = min(deadline_ns, when) if when > 0 else deadline_ns
            self._wake = loop.create_future()
            try:
                async with asyncio.timeout(max(0.0, (wake_at - now) / 1e9)):
                    await self._wake
            except TimeoutError:
                pass
            finally:
                self._wake = None

    def utterance(self, source: str | Audio, base: Path | None = None) -> PreparedUtterance:
        """A shipped utterance by name, a WAV file, or :class:`Audio`, ready for :meth:`say`."""
        audio = source if isinstance(source, Audio) else load_audio(source, base)
        return prepare_for(self.codec, audio, source if isinstance(source, str) else "")

    @property
    def failed(self) -> bool:
        """True once the connection failed or the agent hung up."""
        return self.error is not None

    async def greeting(self, timeout: float) -> TurnResult:
        """Wait for the agent's greeting and until it has played; turn 0's result."""
        if await self._first_audio(0, timeout):
            await self._wait_played(0, timeout=60.0)
        return self.state.result(0)

    async def _wait_played(self, turn: int, timeout: float) -> bool:
        state, quiet = self.state, self._quiet_ns

        def ended() -> int:
            player = state.player(turn)
            if player is None:
                return -1
            st = state.turns[turn]
            now = time.perf_counter_ns()
            later = player.end_ns if st.done else max(player.end_ns, player.last_arrival_ns + quiet)
            return 0 if now >= later or self._has_newer(turn) else later

        return await self._until(ended, time.perf_counter_ns() + int(timeout * 1e9))

    def _has_newer(self, turn: int) -> bool:
        return self._last_turn > turn

    async def _speak(self, utterance: PreparedUtterance, *, barge_in: bool) -> int:
        if self.error is not None:
            turn = self.state.begin_turn(barge_in=barge_in)
            self.state.timed_out(turn)
            return turn
        turn = self.state.begin_turn(barge_in=barge_in)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._utt_turn, self._utt_index, self._utt_done = turn, 0, done
        self._utt = utterance
        await done
        return turn

    async def say(self, utterance: PreparedUtterance, *, timeout: float) -> TurnResult:
        """Speak ``utterance`` and wait for the first audio of the reply (up to ``timeout``
        after the caller stopped speaking); the turn's result so far."""
        turn = await self._speak(utterance, barge_in=False)
        await self._first_audio(turn, timeout)
        return self.state.result(turn)

    async def barge_in(
        self, utterance: PreparedUtterance, *, after: float, timeout: float
    ) -> TurnResult:
        """Speak ``utterance`` ``after`` seconds after the previous reply's first audio
        (interrupting it), then wait for the first audio of the new reply."""
        previous = len(self.state.turns) - 1
        player = self.state.player(previous)
        if player is not None:
            await sleep_until(player.stats().first_arrival_ns + int(after * 1e9))
        turn = await self._speak(utterance, barge_in=True)
        await self._first_audio(turn, timeout)
        return self.state.result(turn)

    async def _first_audio(self, turn: int, timeout: float) -> bool:
        state = self.state
        start = state.turns[turn].user_end or time.perf_counter_ns()
        got = await self._until(
            lambda: 0 if state.player(turn) is not None else -1, start + int(timeout * 1e9)
        )
        if not got:
            state.timed_out(turn)
        return got

    async def wait_reply_end(self, timeout: float = 60.0) -> bool:
        """Wait until the latest reply has been delivered and played."""
        return await self._wait_played(len(self.state.turns) - 1, timeout)

    def take_send_lateness(self) -> list[int]:
        """Send lateness (ns) of the frames sent since the last call (for live metrics)."""
        return self._pacer.take_lateness()

    async def silence(self, seconds: float) -> None:
        """Keep streaming silence for ``seconds`` (the pacer keeps running)."""
        await asyncio.sleep(seconds)

    # ---------------------------------------------------------------- closing
    async def _stop_tasks(self) -> None:
        self._streaming = False
        task = self._watcher
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for handle, _ in self._marks:
            handle.cancel()
        self._marks = []

    async def close(self) -> CallReport:
        """Send the closing messages, close the connection, and report the call."""
        self._streaming = False  # no caller frame after this (the clock drops the call)
        if self.error is None:
            with contextlib.suppress(WsError):
                for msg in self.codec.closing():
                    self._send(msg)
            await self.conn.close()
        else:
            self.conn.abort()
        await self._stop_tasks()
        return self.report()

    def report(self) -> CallReport:
        """What the call measured so far."""
        state = self.state
        pacer = self._pacer
        return CallReport(
            connect_ns=self.connect_ns,
            greeting_ns=state.greeting_ns(),
            turns=tuple(state.result(i) for i in range(1, len(state.turns))),
            send_lateness_ns=tuple(pacer.take_lateness()),
            send_jitter_ns=pacer.jitter_ns,
            frames_sent=pacer.count,
            tool_calls=state.tool_calls,
            protocol_errors=state.protocol_errors,
            server_errors=state.server_errors,
            greeting_timed_out=state.turns[0].timed_out,
            error=self.error,
            error_message=self.error_message,
        )
