"""The reference voice agent's behaviour, shared by every dialect.

Energy VAD on the caller's audio: a frame is voiced when a sample reaches
−40 dBFS (:data:`~._dsp.GATE`). The caller *starts* speaking at the first
voiced sample and *stops* at the last voiced sample before ``vad_silence_ms``
of silence; sample times are the frame's arrival time plus the sample's
offset in the frame, so they match the tester's ``t_user_end`` up to the
network delay (docs/metrics.md, "Voice": the reference agent).

The agent answers with a canned utterance ``reply_delay_ms`` after the caller
stopped (or at once, if the VAD only noticed later), streamed at ``speed`` ×
real time on a drift-free clock. Caller speech while it talks is a barge-in:
``barge_in_ms`` after the interrupting speech began it signals the
interruption (dialect-specific) and stops. Fault knobs: ``stall_ms`` pauses
each reply once after ``stall_at_ms`` of audio; ``drop_after_ms`` drops the
connection (no close frame) that long after it opened, or closes it with
``drop_code`` when given.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agentload.target._http import bad_request, knob
from agentload.target.voice._dsp import load_utterance, voiced

__all__ = ["Output", "VoiceAgent", "VoiceKnobs"]

_MAX_MS = 600_000.0


@dataclass(frozen=True, slots=True)
class VoiceKnobs:
    """Per-connection behaviour, from the WebSocket URL's query (module docstring)."""

    reply_delay_ms: float = 400.0
    vad_silence_ms: float = 250.0
    barge_in_ms: float = 0.0
    greeting: bool = False
    greeting_ms: float = 200.0
    speed: float = 1.0
    stall_ms: float = 0.0
    stall_at_ms: float = 500.0
    drop_after_ms: float | None = None
    drop_code: int | None = None
    tool_call: bool = False
    reply: str = "agent_reply"

    @classmethod
    def parse(cls, query: Mapping[str, str], *, speed: float = 1.0) -> VoiceKnobs:
        """Read the knobs; a bad value is a 400 naming it."""

        def number(name: str, default: float, low: float = 0.0, high: float = _MAX_MS) -> float:
            return knob(query, name, default, low, high)

        drop = query.get("drop_after_ms")
        code = query.get("drop_code")
        reply = query.get("reply", "agent_reply")
        if reply not in ("agent_reply", "agent_greeting"):
            raise bad_request("knob reply must be agent_reply or agent_greeting")
        return cls(
            reply_delay_ms=number("reply_delay_ms", 400.0),
            vad_silence_ms=number("vad_silence_ms", 250.0, 20.0, 10_000.0),
            barge_in_ms=number("barge_in_ms", 0.0),
            greeting=number("greeting", 0, 0, 1) >= 1,
            greeting_ms=number("greeting_ms", 200.0),
            speed=number("speed", speed, 0.1, 100.0),
            stall_ms=number("stall_ms", 0.0),
            stall_at_ms=number("stall_at_ms", 500.0),
            drop_after_ms=None if drop is None else number("drop_after_ms", 0.0),
            drop_code=None if code is None else int(number("drop_code", 1011, 1000, 4999)),
            tool_call=number("tool_call", 0, 0, 1) >= 1,
            reply=reply,
        )


class Output:
    """What a dialect does for the agent (defaults: nothing)."""

    out_rate = 16000
    frame_ms = 20

    def audio(self, samples: npt.NDArray[np.int16]) -> None:
        """Send one frame of agent audio."""
        raise NotImplementedError

    def response_started(self) -> None:
        """A reply begins."""

    def response_ended(self, interrupted: bool) -> None:
        """A reply ended (played out, or cut by a barge-in)."""

    def interrupt(self) -> None:
        """Signal a barge-in (Twilio ``clear``, Realtime ``speech_started``, …)."""

    def caller_started(self) -> None:
        """The caller began speaking while the agent was silent."""

    def caller_stopped(self, end_ns: int) -> None:
        """The VAD decided the caller stopped (last voiced sample at ``end_ns``)."""

    async def tool_round_trip(self) -> None:
        """Ask the caller's side to run a tool and wait for the result (Realtime)."""


class VoiceAgent:
    """One connection's agent (module docstring)."""

    def __init__(self, knobs: VoiceKnobs, in_rate: int, out: Output) -> None:
        self.knobs = knobs
        self.in_rate = in_rate
        self.out = out
        step = out.out_rate * out.frame_ms // 1000
        reply = load_utterance(knobs.reply, out.out_rate)
        self._reply = [reply[i : i + step] for i in range(0, len(reply), step)]
        greet = load_utterance("agent_greeting", out.out_rate)
        self._greeting = [greet[i : i + step] for i in range(0, len(greet), step)]
        self._caller_speaking = False
        self._last_voiced = 0
        self._speaking: asyncio.Task[None] | None = None
        self._pending: asyncio.Task[None] | None = None
        self._barging = False
        self._playing_until = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self.replies = 0
        self.vad_turns = True
        """False in manual turn mode: only :meth:`end_of_turn` ends the caller's turn."""

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def start(self, drop: Callable[[], Awaitable[None]]) -> None:
        """The session is open: greet if asked, arm the drop fault."""
        k = self.knobs
        now = time.perf_counter_ns()
        if k.greeting:
            self._speaking = self._spawn(
                self._speak(self._greeting, now + int(k.greeting_ms * 1e6))
            )
        if k.drop_after_ms is not None:
            self._spawn(self._drop_later(k.drop_after_ms, drop))

    async def _drop_later(self, ms: float, drop: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(ms / 1000)
        await drop()

    @property
    def sending(self) -> bool:
        """True while a reply is being sent."""
        return self._speaking is not None and not self._speaking.done()

    @property
    def speaking(self) -> bool:
        """True while a reply is being sent or, at real time, would still be playing
        at the caller's end (a Realtime reply is sent faster than it plays)."""
        return self.sending or time.perf_counter_ns() < self._playing_until

    def feed(self, samples: npt.NDArray[np.int16], arrival_ns: int) -> None:
        """Caller audio arrived (``samples`` at ``in_rate``)."""
        span = voiced(samples)
        ns_per_sample = 1e9 / self.in_rate
        if span is not None:
            first = arrival_ns + int(span[0] * ns_per_sample)
            self._last_voiced = arrival_ns + int(span[1] * ns_per_sample)
            if self._pending is not None:
                self._pending.cancel()
                self._pending = None
            if not self._caller_speaking:
                self._caller_speaking = True
                self._onset(first)
            return
        end = arrival_ns + int(len(samples) * ns_per_sample)
        if (
            self.vad_turns
            and self._caller_speaking
            and end - self._last_voiced >= self.knobs.vad_silence_ms * 1e6
        ):
            self.end_of_turn()

    def end_of_turn(self) -> None:
        """The caller's turn ended (the VAD's hangover, or a manual commit)."""
        if not self._caller_speaking:
            return
        self._caller_speaking = False
        self.out.caller_stopped(self._last_voiced)
        self._pending = self._spawn(self._answer(self._last_voiced))

    def _onset(self, onset_ns: int) -> None:
        if self.speaking and not self._barging:
            self._barging = True
            self._spawn(self._barge_in(onset_ns + int(self.knobs.barge_in_ms * 1e6)))
        elif not self.speaking:
            self.out.caller_started()

    async def _barge_in(self, at_ns: int) -> None:
        await _sleep_until(at_ns)
        self._barging = False
        if not self.speaking:
            self.out.caller_started()
            return
        self._playing_until = 0
        self.out.interrupt()
        speaking = self._speaking
        if speaking is None or speaking.done():
            return
        speaking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await speaking
        self.out.response_ended(interrupted=True)

    async def _answer(self, end_ns: int) -> None:
        if self.knobs.tool_call:
            await self.out.tool_round_trip()
        start = max(time.perf_counter_ns(), end_ns + int(self.knobs.reply_delay_ms * 1e6))
        await _sleep_until(start)
        previous = self._speaking
        if previous is not None and not previous.done():
            previous.cancel()
        self._pending = None
        self._speaking = self._spawn(self._speak(self._reply, start))

    async def _speak(self, frames: list[npt.NDArray[np.int16]], start_ns: int) -> None:
        k, out = self.knobs, self.out
        period = out.frame_ms * 1e6 / k.speed
        await _sleep_until(start_ns)
        self.replies += 1
        out.response_started()
        stall = int(k.stall_ms * 1e6) if k.stall_ms > 0 else 0
        self._playing_until = start_ns + stall + len(frames) * out.frame_ms * 1_000_000
        shift = 0
        stalled = k.stall_ms <= 0
        for i, frame in enumerate(frames):
            if not stalled and i * out.frame_ms >= k.stall_at_ms:
                stalled = True
                shift = int(k.stall_ms * 1e6)
            await _sleep_until(start_ns + shift + int(i * period))
            out.audio(frame)
        out.response_ended(interrupted=False)

    async def close(self) -> None:
        """Stop everything this agent started."""
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _sleep_until(due_ns: int) -> None:
    # perf_counter, not loop.time(): uvloop's clock has millisecond steps (target/llm.py).
    delay = (due_ns - time.perf_counter_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)
    while time.perf_counter_ns() < due_ns:
        await asyncio.sleep(0)
