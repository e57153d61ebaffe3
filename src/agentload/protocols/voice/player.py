"""The emulated playout clock of the agent's audio, and its per-response statistics.

Definitions (protocols.md §8, docs/metrics.md "Voice"): playback of a response
starts when its first audio frame arrives; each later frame plays at
``max(arrival, end of the previous frame)``. From that clock:

* onset — the playout time of the first sample of the sustained speech onset
  (:class:`~agentload.protocols.voice.onset.OnsetTracker`);
* jitter — RFC 3550 §6.4.1 interarrival jitter on media time,
  ``J_i = J_{i−1} + (|D_i| − J_{i−1})/16`` with ``D_i = (a_i − a_{i−1}) − d_{i−1}``;
* stall (underrun) time — total time the player had nothing to play inside the
  response, i.e. ``Σ max(0, a_i − end_{i−1})``; stalls counted when > 20 ms;
* real-time factor — ``(a_last − a_first) / audio duration``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agentload.protocols.voice.onset import OnsetTracker

__all__ = ["STALL_MIN_NS", "Playout", "ResponseStats"]

STALL_MIN_NS = 20_000_000
"""An underrun longer than this counts as a stall (protocols.md §8)."""


@dataclass(frozen=True, slots=True)
class ResponseStats:
    """What the player measured on one response (all times in ns, monotonic clock)."""

    first_arrival_ns: int
    last_arrival_ns: int
    onset_ns: int | None
    audio_ns: int
    jitter_ns: float
    stall_ns: int
    stalls: int
    frames: int
    cleared_ns: int = 0
    """Queued audio dropped by a barge-in (``clear``), 0 if none."""

    @property
    def rtf(self) -> float:
        """Real-time factor: delivery wall time over audio duration."""
        return (
            (self.last_arrival_ns - self.first_arrival_ns) / self.audio_ns if self.audio_ns else 0.0
        )


class Playout:
    """The player of one response: feed frames in arrival order (module docstring)."""

    __slots__ = (
        "_cleared",
        "_first",
        "_jitter",
        "_last",
        "_onset",
        "_prev_dur",
        "_rate",
        "_samples",
        "_segments",
        "_stall",
        "_stalls",
        "end_ns",
        "frames",
    )

    def __init__(self, rate: int) -> None:
        self._rate = rate
        self._onset = OnsetTracker(rate)
        self._segments: list[tuple[int, int]] = []  # (first sample index, playout start ns)
        self._samples = 0
        self._first = self._last = 0
        self._prev_dur = 0
        self._jitter = 0.0
        self._stall = self._stalls = self._cleared = 0
        self.frames = 0
        self.end_ns = 0
        """When the player will have played everything queued so far."""

    def add(self, arrival_ns: int, samples: npt.NDArray[np.int16]) -> None:
        """A frame of ``len(samples)`` samples arrived at ``arrival_ns``."""
        n = len(samples)
        duration = n * 1_000_000_000 // self._rate
        if self.frames == 0:
            self._first = arrival_ns
            start = arrival_ns
        else:
            d = (arrival_ns - self._last) - self._prev_dur
            self._jitter += (abs(d) - self._jitter) / 16
            gap = arrival_ns - self.end_ns
            if gap > 0:
                self._stall += gap
                if gap > STALL_MIN_NS:
                    self._stalls += 1
            start = max(arrival_ns, self.end_ns)
        if self._onset.onset is None and n:
            self._segments.append((self._samples, start))
            self._onset.feed(samples)
        self._samples += n
        self._last = arrival_ns
        self._prev_dur = duration
        self.end_ns = start + duration
        self.frames += 1

    @property
    def last_arrival_ns(self) -> int:
        """Arrival time of the latest frame."""
        return self._last

    def clear(self, now_ns: int) -> int:
        """Drop what is still queued at ``now_ns`` (barge-in); return how much (ns)."""
        left = max(0, self.end_ns - now_ns)
        self._cleared += left
        self.end_ns = min(self.end_ns, now_ns)
        return left

    def queued_ns(self, now_ns: int) -> int:
        """Audio still queued at ``now_ns``."""
        return max(0, self.end_ns - now_ns)

    def played_ns(self, now_ns: int) -> int:
        """Audio played so far at ``now_ns`` (for ``conversation.item.truncate``)."""
        if not self.frames:
            return 0
        total = self._samples * 1_000_000_000 // self._rate
        return max(0, min(total, total - (self.end_ns - now_ns)))

    def onset_ns(self) -> int | None:
        """Playout time of the speech onset, once detected."""
        index = self._onset.onset
        if index is None:
            return None
        seg_first, seg_start = self._segments[0]
        for first, start in self._segments:
            if first > index:
                break
            seg_first, seg_start = first, start
        return seg_start + (index - seg_first) * 1_000_000_000 // self._rate

    def stats(self) -> ResponseStats:
        """The response's statistics so far."""
        return ResponseStats(
            first_arrival_ns=self._first,
            last_arrival_ns=self._last,
            onset_ns=self.onset_ns(),
            audio_ns=self._samples * 1_000_000_000 // self._rate,
            jitter_ns=self._jitter,
            stall_ns=self._stall,
            stalls=self._stalls,
            frames=self.frames,
            cleared_ns=self._cleared,
        )
