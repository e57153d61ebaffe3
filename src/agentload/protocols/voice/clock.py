"""One frame clock per event loop: a single timer sends the due frames of every call.

A sleep per call per frame (a future, a timer handle and a task step through
two coroutines, 50 times a second per call) cost more CPU than the frame's
own encoding and write at 1,000 calls (docs/decisions.md D22). The clock
keeps the calls in 1 ms buckets keyed by when their next frame is due; one
loop timer wakes when the earliest frame is due and sends every frame that
is due by then (and those that fall due meanwhile), in due order, each through its call's
:meth:`FrameSource.send_frame`, which returns when the call's next frame is due.

Timing rules are the pacer's (:mod:`agentload.protocols.voice.pacer`): a
frame is never sent before it is due; loop timers may fire up to a
millisecond early (uvloop counts whole milliseconds from a clock cached at
the start of each loop iteration), and after an early wake-up the clock waits
at least 1 ms rather than spinning — the CPU a spin costs is what 1,000 calls
need, and the step costs at most 1 ms of lateness, which the pacer records.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Protocol

__all__ = ["FrameClock", "FrameSource"]

_MS = 1_000_000
_MIN_WAIT_S = 0.001
_PASSES = 4


class FrameSource(Protocol):
    """A call whose frames the clock sends."""

    @property
    def next_frame_ns(self) -> int:
        """When its next frame is due (``time.perf_counter_ns`` clock)."""
        ...

    def send_frame(self) -> int:
        """Send the due frame; return when the next one is due, or 0 to stop."""
        ...


# One clock per running loop, dropped with the loop: the single timer is the point.
_CLOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FrameClock] = (
    weakref.WeakKeyDictionary()
)


class FrameClock:
    """The frame timer of one event loop (module docstring). Get it with :meth:`of`."""

    __slots__ = ("_buckets", "_handle", "_loop", "_wake_key")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._buckets: dict[int, list[FrameSource]] = {}
        """Sources by the millisecond (``due_ns // 1 ms``) their next frame is due."""
        self._handle: asyncio.TimerHandle | asyncio.Handle | None = None
        self._wake_key = 0
        """The bucket the pending timer was set for."""

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop | None = None) -> FrameClock:
        """The clock of ``loop`` (default: the running loop), created on first use."""
        loop = loop or asyncio.get_running_loop()
        clock = _CLOCKS.get(loop)
        if clock is None:
            clock = _CLOCKS[loop] = cls(loop)
        return clock

    def __len__(self) -> int:
        return sum(len(b) for b in self._buckets.values())

    def add(self, source: FrameSource) -> None:
        """Send ``source``'s frames from its :attr:`~FrameSource.next_frame_ns` on, until
        its :meth:`~FrameSource.send_frame` returns 0."""
        due = source.next_frame_ns
        key = due // _MS
        self._put(key, source)
        now = time.perf_counter_ns()
        if due <= now:  # a new call's first frame: on the next loop turn, as a task would
            if self._wake_key >= 0 or self._handle is None:
                self._cancel()
                self._wake_key = -1
                self._handle = self._loop.call_soon(self._tick)
        elif self._handle is None or key < self._wake_key:
            self._schedule(now)

    def _put(self, key: int, source: FrameSource) -> None:
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = [source]
        else:
            bucket.append(source)

    def _cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _schedule(self, now: int) -> None:
        self._cancel()
        buckets = self._buckets
        if not buckets:
            return
        key = self._wake_key = min(buckets)
        # Wake when the earliest frame is due; at least 1 ms ahead unless it is
        # overdue (module docstring).
        wait = (min(s.next_frame_ns for s in buckets[key]) - now) / 1e9
        self._handle = self._loop.call_later(max(_MIN_WAIT_S, wait) if wait > 0 else 0, self._tick)

    def _tick(self) -> None:
        self._handle = None
        # Frames that fall due while a pass is sending go out in the same tick
        # (a few passes at most, so an overloaded tester still serves its sockets).
        for _ in range(_PASSES):
            if not self._send_due(time.perf_counter_ns()):
                break
        self._schedule(time.perf_counter_ns())

    def _send_due(self, now: int) -> int:
        """Send every frame due by ``now`` (in due order); return how many were sent."""
        buckets = self._buckets
        limit = now // _MS
        sent = 0
        for key in sorted(k for k in buckets if k <= limit):
            for source in buckets.pop(key):
                due = source.next_frame_ns
                if due > now:
                    now = time.perf_counter_ns()
                    if due > now:  # later in its millisecond: the next pass or tick sends it
                        self._put(key, source)
                        continue
                try:
                    nxt = source.send_frame()
                except Exception as exc:  # a bug in one call must not stop the others
                    self._loop.call_exception_handler(
                        {"message": "a voice call's frame sender failed", "exception": exc}
                    )
                    continue
                sent += 1
                if nxt:  # _put, inline (once per frame)
                    bucket = buckets.get(nxt // _MS)
                    if bucket is None:
                        buckets[nxt // _MS] = [source]
                    else:
                        bucket.append(source)
        return sent
