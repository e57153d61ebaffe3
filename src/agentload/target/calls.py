"""The scheduled-call queue and the worker that drains it at a configured rate."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence

__all__ = ["CallQueue"]

_log = logging.getLogger(__name__)

# How often the worker wakes while calls are waiting. 10 ms keeps the drain smooth
# (rate × 10 ms calls per tick) without measurable CPU when idle: an empty queue
# parks the worker on an event instead of ticking.
_TICK_S = 0.01


class CallQueue:
    """A FIFO of call ids, drained by :meth:`drain_forever` at ``rate()`` calls per second.

    The queue is deliberately unbounded: under load faster than the drain rate its
    depth grows, which is exactly what a load test should be able to observe.
    """

    __slots__ = ("_pending", "_wakeup")

    def __init__(self) -> None:
        self._pending: deque[str] = deque()
        self._wakeup = asyncio.Event()

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, call_id: str) -> int:
        """Queue a call; return the depth including it."""
        self._pending.append(call_id)
        self._wakeup.set()
        return len(self._pending)

    async def drain_forever(
        self, rate: Callable[[], float], on_done: Callable[[Sequence[str]], None]
    ) -> None:
        """Complete queued calls at ``rate()`` per second, passing each batch to ``on_done``.

        ``rate`` is read on every tick so a configuration change applies at once.
        Runs until cancelled; an error in ``on_done`` is logged and the drain goes on.
        """
        loop = asyncio.get_running_loop()
        budget = 0.0
        last = loop.time()
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
                # Idle time earns no credit: a burst after a pause drains at the rate.
                budget = 0.0
                last = loop.time()
            await asyncio.sleep(_TICK_S)
            now = loop.time()
            budget += rate() * (now - last)
            last = now
            count = min(int(budget), len(self._pending))
            if count == 0:
                continue
            budget -= count
            done = [self._pending.popleft() for _ in range(count)]
            try:
                on_done(done)
            except Exception:
                _log.exception("could not record %d completed calls", len(done))
