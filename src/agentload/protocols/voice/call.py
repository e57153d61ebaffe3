"""One call's bookkeeping (sans-I/O): caller frames out, agent events in, turn results.

The driver tells :class:`CallState` when caller frames went out and what the
agent sent, with their times; :class:`CallState` assigns agent audio to the
response of a turn, runs the emulated player, and computes the metrics of
protocols.md §8 (docs/metrics.md, "Voice"):

* a turn's response is the agent audio that arrives after the caller's
  utterance ended (``t_user_end``) and before the next utterance ends; audio
  before the first utterance is the greeting (turn 0). A Realtime delta whose
  ``response_id`` belongs to an earlier turn stays with that turn;
* V2V = onset playout time − ``t_user_end``; V2V first byte = first audio
  arrival − ``t_user_end``; endpointing = the agent's end-of-turn signal −
  ``t_user_end``; greeting = onset playout time of turn 0 − session start;
* barge-in (an utterance started while the previous response was still
  arriving or playing): detection = the agent's interruption signal − the
  interrupting utterance's onset; stop = last audio frame of the interrupted
  response − that onset; residual = audio still queued in the player at
  detection.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from agentload.protocols.voice.onset import voiced_bounds
from agentload.protocols.voice.player import Playout, ResponseStats

__all__ = ["CallState", "PreparedUtterance", "TurnResult", "prepare_utterance"]


@dataclass(frozen=True, slots=True, eq=False)
class PreparedUtterance:
    """Caller audio ready for one codec: frames, and where the voiced samples are.

    ``first``/``last`` are ``(frame index, offset in ns within the frame)`` of
    the first and last voiced sample (``onset.voiced_bounds``), ``None`` for
    silence.
    """

    name: str
    payloads: tuple[Any, ...]
    frame_ns: int
    first: tuple[int, int] | None
    last: tuple[int, int] | None

    @property
    def duration_ns(self) -> int:
        """Length of the audio sent."""
        return len(self.payloads) * self.frame_ns


def prepare_utterance(
    name: str, samples: npt.NDArray[np.int16], rate: int, frame_samples: int, payloads: list[Any]
) -> PreparedUtterance:
    """Bundle prepared frames with the voiced boundaries of ``samples`` (at the wire rate)."""
    frame_ns = frame_samples * 1_000_000_000 // rate
    bounds = voiced_bounds(samples)

    def where(index: int) -> tuple[int, int]:
        frame, offset = divmod(index, frame_samples)
        return frame, offset * 1_000_000_000 // rate

    if bounds is None:
        return PreparedUtterance(name, tuple(payloads), frame_ns, None, None)
    return PreparedUtterance(name, tuple(payloads), frame_ns, where(bounds[0]), where(bounds[1]))


@dataclass(frozen=True, slots=True)
class TurnResult:
    """What one turn measured (ns; ``None`` when not applicable or not observed)."""

    index: int
    failed: bool
    v2v_ns: int | None = None
    v2v_first_byte_ns: int | None = None
    endpointing_ns: int | None = None
    barge_in: bool = False
    barge_detect_ns: int | None = None
    barge_stop_ns: int | None = None
    barge_residual_ns: int | None = None
    response: ResponseStats | None = None


@dataclass(slots=True)
class _Turn:
    index: int
    barge_in: bool = False
    user_start: int | None = None
    user_end: int | None = None
    endpoint: int | None = None
    interrupt: int | None = None
    residual: int | None = None
    played: int = 0
    response_id: str = ""
    item: str = ""
    done: bool = False
    timed_out: bool = False
    player: Playout | None = None


@dataclass(slots=True)
class CallState:
    """The turns of one call (module docstring). Times are ``perf_counter_ns`` values."""

    agent_rate: int
    start_ns: int = 0
    turns: list[_Turn] = field(default_factory=list)
    _current: int = 0
    tool_calls: int = 0
    server_errors: int = 0
    protocol_errors: int = 0

    def __post_init__(self) -> None:
        self.turns.append(_Turn(0))  # the greeting

    # ----------------------------------------------------------- caller side
    def begin_turn(self, *, barge_in: bool = False) -> int:
        """A new caller utterance is about to be sent; return its turn index."""
        self.turns.append(_Turn(len(self.turns), barge_in=barge_in))
        return len(self.turns) - 1

    def user_started(self, turn: int, t_ns: int) -> None:
        """The frame holding the turn's first voiced sample went out; ``t_ns`` is that sample."""
        self.turns[turn].user_start = t_ns

    def user_ended(self, turn: int, t_ns: int) -> None:
        """The frame holding the turn's last voiced sample went out; ``t_ns`` is that sample."""
        self.turns[turn].user_end = t_ns

    def timed_out(self, turn: int) -> None:
        """No agent audio came for ``turn`` within its timeout: a failed turn."""
        self.turns[turn].timed_out = True

    # ------------------------------------------------------------ agent side
    def _turn_for(self, t_ns: int, response: str) -> _Turn:
        turns = self.turns
        if response:
            for turn in reversed(turns):
                if turn.response_id == response:
                    return turn
        current = self._current
        for j in range(len(turns) - 1, current, -1):
            end = turns[j].user_end
            if end is not None and end <= t_ns:
                self._current = current = j
                break
        return turns[current]

    def audio(
        self, t_ns: int, samples: npt.NDArray[np.int16], response: str = "", item: str = ""
    ) -> int:
        """Agent audio arrived at ``t_ns``; return the turn it was assigned to."""
        turn = self._turn_for(t_ns, response)
        if turn.player is None:
            turn.player = Playout(self.agent_rate)
            turn.response_id = response
            turn.item = item
        turn.player.add(t_ns, samples)
        return turn.index

    def interrupted(self, t_ns: int) -> int | None:
        """The agent's barge-in signal at ``t_ns``; return the interrupted turn, if any.

        It counts for the latest barge-in utterance that has begun and not yet
        been answered; the interrupted response's player drops its queue.
        """
        turns = self.turns
        for j in range(len(turns) - 1, 0, -1):
            turn = turns[j]
            if turn.user_start is None or turn.user_start > t_ns:
                continue
            if not turn.barge_in or turn.interrupt is not None or turn.player is not None:
                return None
            turn.interrupt = t_ns
            player = turns[j - 1].player
            if player is not None:
                turn.residual = player.queued_ns(t_ns)
                turn.played = player.played_ns(t_ns)
                player.clear(t_ns)
            return j - 1
        return None

    def end_of_speech(self, t_ns: int) -> None:
        """The agent's end-of-turn signal for the caller (first one per turn counts)."""
        for turn in reversed(self.turns[1:]):
            if turn.user_start is not None and turn.user_start <= t_ns:
                if turn.endpoint is None:
                    turn.endpoint = t_ns
                return

    def response_done(self, response: str) -> None:
        """A response ended (Realtime ``response.done``)."""
        for turn in reversed(self.turns):
            if turn.response_id == response or (not response and turn.player is not None):
                turn.done = True
                return

    # --------------------------------------------------------------- queries
    def player(self, turn: int) -> Playout | None:
        """The player of ``turn``'s response (``None`` before its first audio)."""
        return self.turns[turn].player

    def result(self, index: int) -> TurnResult:
        """The metrics of one turn as known now."""
        turn = self.turns[index]
        player = turn.player
        stats = player.stats() if player is not None else None
        failed = turn.timed_out or (index > 0 and stats is None)
        out = TurnResult(index, failed, response=stats, barge_in=turn.barge_in)
        end = turn.user_end
        if stats is not None and end is not None:
            out = _with(
                out,
                v2v_ns=None if stats.onset_ns is None else stats.onset_ns - end,
                v2v_first_byte_ns=stats.first_arrival_ns - end,
            )
        if turn.endpoint is not None and end is not None:
            out = _with(out, endpointing_ns=turn.endpoint - end)
        if turn.barge_in and turn.user_start is not None and index > 0:
            before = self.turns[index - 1].player
            onset = turn.user_start
            if before is not None and before.stats().last_arrival_ns >= onset:
                out = _with(out, barge_stop_ns=before.stats().last_arrival_ns - onset)
            if turn.interrupt is not None:
                out = _with(
                    out, barge_detect_ns=turn.interrupt - onset, barge_residual_ns=turn.residual
                )
        return out

    def greeting_ns(self) -> int | None:
        """Greeting latency: the greeting's onset playout time − session start."""
        player = self.turns[0].player
        onset = player.onset_ns() if player is not None else None
        return None if onset is None else onset - self.start_ns


def _with(result: TurnResult, **changes: Any) -> TurnResult:
    return replace(result, **changes)
