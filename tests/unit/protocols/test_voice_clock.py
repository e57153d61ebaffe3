"""The shared frame clock (protocols/voice/clock.py, docs/decisions.md D22)."""

from __future__ import annotations

import asyncio
import time

import pytest

from agentload.protocols.voice.clock import FrameClock

MS = 1_000_000


class _Source:
    """Sends ``frames`` frames every ``period`` ns from ``start``; records send times."""

    def __init__(self, start: int, period: int, frames: int, fail_at: int = -1) -> None:
        self.next_frame_ns = start
        self.period = period
        self.left = frames
        self.fail_at = fail_at
        self.sent: list[tuple[int, int]] = []  # (due, actual)

    def send_frame(self) -> int:
        if len(self.sent) == self.fail_at:
            raise RuntimeError("boom")
        self.sent.append((self.next_frame_ns, time.perf_counter_ns()))
        self.left -= 1
        if not self.left:
            return 0
        self.next_frame_ns += self.period
        return self.next_frame_ns


def test_frames_are_never_early_and_every_frame_is_sent() -> None:
    async def main() -> list[_Source]:
        clock = FrameClock.of()
        now = time.perf_counter_ns()
        # Phases off the millisecond grid, a source due at once, periods of 7 and 20 ms.
        sources = [_Source(now + i * 1_300_000, (7 if i % 2 else 20) * MS, 12) for i in range(9)]
        sources.append(_Source(now, 20 * MS, 5))
        for source in sources:
            clock.add(source)
        await asyncio.sleep(0.35)
        assert len(clock) == 0  # every source returned 0 and was dropped
        return sources

    sources = asyncio.run(main())
    assert [len(s.sent) for s in sources] == [12] * 9 + [5]
    for source in sources:
        assert all(actual >= due for due, actual in source.sent)
        dues = [due for due, _ in source.sent]
        assert dues == sorted(dues)


def test_one_clock_per_loop() -> None:
    async def same() -> bool:
        return FrameClock.of() is FrameClock.of(asyncio.get_running_loop())

    assert asyncio.run(same())


def test_a_failing_source_is_dropped_and_reported_and_the_others_go_on() -> None:
    errors: list[dict[str, object]] = []

    async def main() -> tuple[_Source, _Source]:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: errors.append(context))
        clock = FrameClock.of()
        now = time.perf_counter_ns()
        bad, good = _Source(now, 5 * MS, 10, fail_at=2), _Source(now, 5 * MS, 10)
        clock.add(bad)
        clock.add(good)
        await asyncio.sleep(0.1)
        return bad, good

    bad, good = asyncio.run(main())
    assert len(bad.sent) == 2
    assert len(good.sent) == 10
    assert len(errors) == 1
    assert isinstance(errors[0]["exception"], RuntimeError)


@pytest.mark.parametrize("use_uvloop", [False, True])
def test_late_frames_are_caught_up_in_due_order(use_uvloop: bool) -> None:
    """A loop that was blocked sends every overdue frame on its next turn, oldest first."""

    async def main() -> _Source:
        clock = FrameClock.of()
        source = _Source(time.perf_counter_ns() + 2 * MS, 2 * MS, 20)
        clock.add(source)
        await asyncio.sleep(0.004)
        time.sleep(0.02)  # block the loop: ~10 frames fall due meanwhile
        await asyncio.sleep(0.05)
        return source

    if use_uvloop:
        uvloop = pytest.importorskip("uvloop")
        source = uvloop.run(main())
    else:
        source = asyncio.run(main())
    assert len(source.sent) == 20
    assert [due for due, _ in source.sent] == sorted(due for due, _ in source.sent)
    assert all(actual >= due for due, actual in source.sent)
