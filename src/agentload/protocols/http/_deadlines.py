"""A coarse deadline sweeper shared by every connection of an event loop.

A timer per request (``loop.call_later`` plus its cancel) costs about 1 µs,
a tenth of our whole per-request budget. Instead each in-flight request only
stores its deadlines on its connection, and one periodic callback per event
loop checks the connections when a deadline may have passed.

Cost: the tick runs every ``interval`` seconds and is a comparison unless the
earliest noted deadline has come; then it visits every watched connection once
and recomputes the earliest deadline. Requests only lower that bound
(:meth:`Deadlines.note`), and read deadlines only move later as bytes arrive,
so in steady state a full sweep happens about once per timeout period.
Precision: a request fails between 0 and ``interval`` (plus event-loop lag)
after its deadline; with the default 50 ms, timeouts are accurate to ±50-100 ms.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["NEVER", "Deadlines", "Expiring"]

NEVER = 1 << 62
"""A ``monotonic_ns`` value no deadline reaches (~146 years of uptime)."""


class Expiring(Protocol):
    """Something with deadlines (a connection with a request in flight)."""

    def check_deadline(self, now_ns: int) -> int:
        """Fail what has expired at ``now_ns``; return the next deadline, or :data:`NEVER`."""
        ...


class Deadlines:
    """Enforces the read and total timeouts of every request on one event loop.

    Create one per event loop and pass it to every :class:`HttpClient` on that
    loop (a client makes its own when given none). It binds to the running loop
    at the first :meth:`watch` and ticks only while something is watched.
    """

    __slots__ = ("_handle", "_interval", "_loop", "_watched", "next_check_ns")

    def __init__(self, interval: float = 0.05) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive, not {interval}")
        self._interval = interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._watched: set[Expiring] = set()
        self.next_check_ns = NEVER
        """No deadline of a watched item is earlier than this (a lower bound)."""

    @property
    def interval(self) -> float:
        """Seconds between ticks: the precision of timeouts."""
        return self._interval

    def watch(self, item: Expiring) -> None:
        """Check ``item`` from now on (call from the event loop's thread)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            if self._loop is not None and not self._loop.is_closed():
                raise RuntimeError("a Deadlines object serves one event loop; make one per loop")
            # First use, or the previous loop is gone (and its items and timer with it).
            self._loop = loop
            self._watched.clear()
            self._handle = None
            self.next_check_ns = NEVER
        self._watched.add(item)
        if self._handle is None:
            self._handle = loop.call_later(self._interval, self._tick)

    def unwatch(self, item: Expiring) -> None:
        """Stop checking ``item``; the tick stops when nothing is watched."""
        self._watched.discard(item)
        if not self._watched and self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def note(self, deadline_ns: int) -> None:
        """Tell the sweeper a watched item now has a deadline at ``deadline_ns``.

        (The client inlines this comparison on its hot path.)
        """
        self.next_check_ns = min(self.next_check_ns, deadline_ns)

    def sweep(self, now_ns: int) -> None:
        """Check every watched item now and recompute :attr:`next_check_ns`."""
        earliest = NEVER
        # A check may fail a request and close its connection, which unwatches
        # it later; iterate over a copy all the same.
        for item in tuple(self._watched):
            earliest = min(earliest, item.check_deadline(now_ns))
        self.next_check_ns = earliest

    def _tick(self) -> None:
        now = time.monotonic_ns()
        if now >= self.next_check_ns:
            self.sweep(now)
        if self._watched and self._loop is not None:
            self._handle = self._loop.call_later(self._interval, self._tick)
        else:
            self._handle = None

    def close(self) -> None:
        """Stop ticking and forget every item (their requests are not failed)."""
        self._watched.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
