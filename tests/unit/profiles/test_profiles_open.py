"""Open-model plans: exact arrival times, counts, Poisson arrivals, laziness."""

from __future__ import annotations

import itertools
import math
import time

import pytest

from agentload.profiles import OpenModel, Stage, compile_plan
from agentload.profiles.plan import Plan

WEIGHTS = [("s", 1)]


def plan(
    *stages: tuple[float, float],
    start_rate: float = 0.0,
    poisson: bool = False,
    seed: int = 0,
    max_vus: int = 100,
    pre_allocated_vus: int = 10,
) -> Plan:
    model = OpenModel(
        stages=tuple(Stage(d, t) for d, t in stages),
        start_rate=start_rate,
        poisson=poisson,
        seed=seed,
        max_vus=max_vus,
        pre_allocated_vus=pre_allocated_vus,
    )
    return compile_plan(model, WEIGHTS)


def times(p: Plan) -> list[float]:
    return [t for _, t in p.arrivals()]


def test_constant_rate_is_evenly_spaced_from_zero() -> None:
    got = list(plan((30, 50), start_rate=50).arrivals())
    assert len(got) == 1500
    assert [i for i, _ in got] == list(range(1500))
    assert [t for _, t in got] == pytest.approx([i / 50 for i in range(1500)], abs=1e-12)
    assert got[0] == (0, 0.0)
    assert got[-1][1] == pytest.approx(29.98)


def test_ramp_up_from_zero() -> None:
    # r = t, Λ = t²/2: arrival i at √(2i); Λ(10) = 50 and the one at t=10 is past the end.
    got = times(plan((10, 10)))
    assert got == pytest.approx([math.sqrt(2 * i) for i in range(50)], abs=1e-12)


def test_ramp_down_to_zero() -> None:
    # r = 10 - t, Λ = 10t - t²/2: arrival i at 10 - √(100 - 2i).
    got = times(plan((10, 0), start_rate=10))
    assert got == pytest.approx([10 - math.sqrt(100 - 2 * i) for i in range(50)], abs=1e-12)


def test_ramp_between_positive_rates() -> None:
    # r = 10 + 2t, Λ = 10t + t²: arrival i at √(25 + i) - 5; Λ(10) = 200.
    got = times(plan((10, 30), start_rate=10))
    assert got == pytest.approx([math.sqrt(25 + i) - 5 for i in range(200)], abs=1e-12)
    assert got[11] == pytest.approx(1.0) and got[24] == pytest.approx(2.0)


def test_no_arrivals_while_the_rate_is_zero() -> None:
    # 10 it/s for 1s, 0 for 2s, 10 it/s for 1s: the 11th arrival waits for the rate to resume.
    got = times(plan((1, 10), (0, 0), (2, 0), (0, 10), (1, 10), start_rate=10))
    expected = [i / 10 for i in range(10)] + [3 + i / 10 for i in range(10)]
    assert got == pytest.approx(expected, abs=1e-12)
    assert got[10] == 3.0


def test_a_plan_starting_at_rate_zero_waits_for_the_rate() -> None:
    got = times(plan((5, 0), (0, 4), (1, 4)))
    assert got == pytest.approx([5, 5.25, 5.5, 5.75])


def test_fractional_rate_is_not_rounded_past_the_end() -> None:
    # Λ(30) = 0.1·30 rounds to 3.0000000000000004; the arrival it would add is at the end.
    got = times(plan((30, 0.1), start_rate=0.1))
    assert got == pytest.approx([0, 10, 20])


@pytest.mark.parametrize(
    ("stages", "start"),
    [
        (((7.3, 13.1), (2.2, 0.0), (5.5, 44.4)), 3.3),
        (((1, 1000), (0, 3), (9.9, 3)), 0.0),
        (((0.37, 0.7),), 2.9),
    ],
)
def test_count_is_the_integral_rounded_up(
    stages: tuple[tuple[float, float], ...], start: float
) -> None:
    p = plan(*stages, start_rate=start)
    integral = 0.0
    rate = start
    for duration, target in stages:
        integral += (rate + target) / 2 * duration
        rate = target
    count = len(times(p))
    assert abs(count - integral) <= 1
    assert count == math.ceil(integral - 1e-9)
    assert p.expected_iterations() == pytest.approx(integral)
    arrivals = times(p)
    assert all(a <= b for a, b in itertools.pairwise(arrivals))
    assert all(0 <= t < p.duration for t in arrivals)


def test_poisson_is_reproducible_and_has_the_mean_rate() -> None:
    p = plan((50, 1000), start_rate=1000, poisson=True, seed=42)
    first = list(p.arrivals())
    assert first == list(p.arrivals())
    assert abs(len(first) - 50_000) < 3 * math.sqrt(50_000)
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(first)]
    assert sum(gaps) / len(gaps) == pytest.approx(1e-3, rel=0.02)
    # Exponential gaps: the standard deviation equals the mean.
    mean = sum(gaps) / len(gaps)
    std = math.sqrt(sum((g - mean) ** 2 for g in gaps) / len(gaps))
    assert std == pytest.approx(mean, rel=0.05)
    other = list(plan((50, 1000), start_rate=1000, poisson=True, seed=43).arrivals())
    assert other[:10] != first[:10]


def test_poisson_follows_a_ramping_rate() -> None:
    # r = 100·t/10 over 10s: Λ(5) = 125 of Λ(10) = 500 arrive in the first half.
    got = times(plan((10, 100), poisson=True, seed=7))
    assert abs(len(got) - 500) < 3 * math.sqrt(500)
    first_half = sum(1 for t in got if t < 5)
    assert abs(first_half - 125) < 3 * math.sqrt(125)
    assert all(a <= b for a, b in itertools.pairwise(got))


def test_arrivals_are_lazy() -> None:
    # Ten hours at 10k/s: 360 million arrivals; taking a few must be instant.
    p = plan((36_000, 10_000), start_rate=10_000)
    before = time.perf_counter()
    head = list(itertools.islice(p.arrivals(), 3))
    poisson = list(itertools.islice(plan((36_000, 10_000), poisson=True).arrivals(), 3))
    assert time.perf_counter() - before < 0.5
    assert head == [(0, 0.0), (1, 1e-4), (2, 2e-4)]
    assert len(poisson) == 3


def test_rate_timeline_and_shares() -> None:
    p = plan((4, 8), (0, 2), (2, 2), start_rate=0, max_vus=7, pre_allocated_vus=3)
    assert [p.rate_at(t) for t in (0, 2, 4, 5, 6, 7)] == [0, 4, 2, 2, 2, 2]
    assert p.timeline(2) == ((0, 0), (2, 4), (4, 2), (6, 2))
    assert p.max_vus() == 7 and p.pre_allocated_vus() == 3
    halves = p.split(2)
    assert [h.rate_at(2) for h in halves] == [2, 2]
    assert [h.max_vus() for h in halves] == [4, 3]
    assert [h.pre_allocated_vus() for h in halves] == [2, 1]
    assert sum(h.expected_iterations() for h in halves) == pytest.approx(p.expected_iterations())


def test_closed_only_methods_raise() -> None:
    p = plan((1, 1), start_rate=1)
    with pytest.raises(TypeError, match="closed-model"):
        p.vu_changes()
    with pytest.raises(TypeError, match="closed-model"):
        p.vus_at(0)
