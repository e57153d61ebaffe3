"""Closed-model plans: exact VU changes for hand-checked stage lists."""

from __future__ import annotations

import itertools

import pytest

from agentload.profiles import ClosedModel, Stage, VUChange, compile_plan

WEIGHTS = [("s", 1)]


def changes(*stages: tuple[float, float], start_vus: int = 0) -> list[tuple[float, int]]:
    model = ClosedModel(stages=tuple(Stage(d, t) for d, t in stages), start_vus=start_vus)
    return [(c.at, c.active) for c in compile_plan(model, WEIGHTS).vu_changes()]


def test_ramp_up_adds_a_vu_each_time_the_line_reaches_an_integer() -> None:
    assert changes((10, 5)) == [(0, 0), (2, 1), (4, 2), (6, 3), (8, 4), (10, 5)]


def test_ramp_down_removes_a_vu_each_time_the_line_reaches_an_integer() -> None:
    # ceil while falling: the first VU goes at t=2, not at t=0.
    assert changes((0, 5), (10, 0)) == [(0, 5), (2, 4), (4, 3), (6, 2), (8, 1), (10, 0)]


def test_up_hold_down() -> None:
    assert changes((3, 3), (4, 3), (3, 0)) == [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 3),
        (8, 2),
        (9, 1),
        (10, 0),
    ]


def test_ramps_up_and_down_change_at_the_same_instants() -> None:
    up = changes((7, 4))
    down = changes((0, 4), (7, 0))
    assert [at for at, _ in up] == [at for at, _ in down] == [0, 1.75, 3.5, 5.25, 7]
    # The count going down is n minus the count going up.
    assert [v for _, v in down] == [4 - v for _, v in up]


def test_start_vus_and_final_marker_repeats_the_last_count() -> None:
    assert changes((5, 2), start_vus=2) == [(0, 2), (5, 2)]
    assert changes((4, 4), (6, 4), start_vus=2) == [(0, 2), (2, 3), (4, 4), (10, 4)]


def test_jumps() -> None:
    assert changes((0, 3), (5, 3), (0, 1), (5, 1)) == [(0, 3), (5, 1), (10, 1)]
    # A jump at 0 overrides start_vus at the same instant.
    assert changes((0, 7), (1, 7), start_vus=2) == [(0, 7), (1, 7)]
    # A jump back to the current count changes nothing.
    assert changes((2, 2), (0, 2), (2, 2)) == [(0, 0), (1, 1), (2, 2), (4, 2)]


def test_ramp_after_a_ramp_starts_at_the_exact_boundary() -> None:
    # 0.1 + 0.2 style sums: times come from one fold, so no near-duplicates appear.
    got = changes((0.1, 1), (0.2, 2), (0.3, 3))
    assert [v for _, v in got] == [0, 1, 2, 3]
    assert got[1][0] == 0.1
    assert got[2][0] == 0.1 + 0.2
    assert got[3][0] == 0.1 + 0.2 + 0.3


def test_many_vus_over_a_short_ramp() -> None:
    got = changes((1, 1000))
    assert len(got) == 1001
    assert all(a < b for (a, _), (b, _) in itertools.pairwise(got))
    assert got[500] == (0.5, 500)


def test_vus_at_max_vus_and_timeline() -> None:
    plan = compile_plan(ClosedModel(stages=(Stage(4, 4), Stage(4, 0))), WEIGHTS)
    assert plan.max_vus() == 4
    assert plan.duration == 8
    assert [plan.vus_at(t) for t in (-1, 0, 0.99, 1, 3.5, 4, 4.99, 5, 7.99, 8, 9)] == [
        0,
        0,
        0,
        1,
        3,
        4,
        4,
        3,
        1,
        0,
        0,
    ]
    assert plan.timeline(2) == ((0, 0), (2, 2), (4, 4), (6, 2), (8, 0))
    assert plan.timeline(3) == ((0, 0), (3, 3), (6, 2), (8, 0))
    with pytest.raises(ValueError, match="positive"):
        plan.timeline(0)


def test_vu_changes_type_and_open_only_methods() -> None:
    plan = compile_plan(ClosedModel(stages=(Stage(1, 1),)), WEIGHTS)
    assert plan.vu_changes() == (VUChange(0.0, 0), VUChange(1.0, 1))
    for method in (plan.arrivals, plan.pre_allocated_vus, plan.expected_iterations):
        with pytest.raises(TypeError, match="open-model"):
            method()
    with pytest.raises(TypeError, match="open-model"):
        plan.rate_at(0)


def test_plan_is_frozen_and_hashable() -> None:
    plan = compile_plan(ClosedModel(stages=(Stage(1, 1),)), WEIGHTS)
    with pytest.raises(AttributeError):
        plan.weights = ()  # type: ignore[misc]
    assert hash(plan) == hash(compile_plan(ClosedModel(stages=(Stage(1, 1),)), WEIGHTS))
