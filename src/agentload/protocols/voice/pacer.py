"""A drift-free real-time pacer for caller audio (protocols.md §1.8, §2.6).

Frame ``k`` is due at ``start + k · period`` on the monotonic clock
(``time.perf_counter_ns``, the WebSocket driver's receive clock), never at
"previous send + period": a late wake-up delays one frame, not every frame
after it. The pacer records its own lateness (actual − scheduled send time) so
an overloaded tester is visible (``voice_send_lateness``). Sans-I/O: the driver
asks :meth:`Pacer.due_ns`, waits, sends, then calls :meth:`Pacer.sent`.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["Pacer", "sleep_until"]


class Pacer:
    """Schedules frames at ``start_ns + k · period_ns`` and records send lateness."""

    __slots__ = (
        "_last_ns",
        "count",
        "jitter_ns",
        "late_ns",
        "max_late_ns",
        "period_ns",
        "start_ns",
    )

    def __init__(self, start_ns: int, period_ns: int) -> None:
        if period_ns <= 0:
            raise ValueError("the frame period must be positive")
        self.start_ns = start_ns
        self.period_ns = period_ns
        self.count = 0
        """Frames sent so far (the index of the next frame)."""
        self.late_ns: list[int] = []
        """Lateness of each send not yet collected by the caller (see :meth:`take_lateness`)."""
        self.max_late_ns = 0
        self.jitter_ns = 0.0
        """RFC 3550 interarrival-jitter form on the send times: ``J += (|D| − J)/16`` with
        ``D = (s_i − s_{i−1}) − period``."""
        self._last_ns = 0

    def due_ns(self) -> int:
        """When the next frame is due."""
        return self.start_ns + self.count * self.period_ns

    def sent(self, actual_ns: int) -> int:
        """Record that the next frame went out at ``actual_ns``; return its lateness (≥ 0)."""
        count = self.count
        late = max(0, actual_ns - self.due_ns())
        if count:
            d = actual_ns - self._last_ns - self.period_ns
            self.jitter_ns += ((d if d >= 0 else -d) - self.jitter_ns) / 16
        self._last_ns = actual_ns
        self.count = count + 1
        self.late_ns.append(late)
        self.max_late_ns = max(self.max_late_ns, late)
        return late

    def take_lateness(self) -> list[int]:
        """The lateness values recorded since the last call (and forget them)."""
        out, self.late_ns = self.late_ns, []
        return out


async def sleep_until(due_ns: int) -> None:
    """Sleep until ``time.perf_counter_ns() >= due_ns``.

    Loop timers may fire up to a millisecond early (uvloop counts whole
    milliseconds from a clock cached at the start of each loop iteration). After
    an early wake-up this sleeps again in 1 ms steps rather than yielding in a
    loop: a spin costs the CPU that 1,000 concurrent calls need, a step costs at
    most 1 ms of lateness, and a frame is never sent before it is due.
    """
    delay = due_ns - time.perf_counter_ns()
    if delay > 0:
        await asyncio.sleep(delay / 1e9)
        while time.perf_counter_ns() < due_ns:
            await asyncio.sleep(0.001)
