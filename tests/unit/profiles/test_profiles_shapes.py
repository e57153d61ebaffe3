"""Custom shapes (points, functions of time) and scaling."""

from __future__ import annotations

import math

import pytest

from agentload.profiles import (
    ClosedModel,
    OpenModel,
    Stage,
    compile_plan,
    scale_model,
    shape_from_function,
    shape_from_points,
    whole_vus,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (-1, 0), (0.2, 1), (0.5, 1), (1.49, 1), (1.5, 2), (2.5, 3), (7.0, 7)],
)
def test_whole_vus(value: float, expected: int) -> None:
    assert whole_vus(value) == expected


# -- points -----------------------------------------------------------------------


def test_points_become_stages() -> None:
    points = [(0.0, 0.0), (30.0, 50.0), (60.0, 50.0), (90.0, 0.0)]
    assert shape_from_points(points) == ClosedModel(
        stages=(Stage(30, 50), Stage(30, 50), Stage(30, 0)), start_vus=0
    )


def test_points_at_one_time_jump_and_open_targets_are_rates() -> None:
    model = shape_from_points([(0, 2.5), (10, 5), (10, 1), (20, 1)], "open")
    assert model == OpenModel(stages=(Stage(10, 5), Stage(0, 1), Stage(10, 1)), start_rate=2.5)
    plan = compile_plan(model, [("a", 1)])
    assert plan.rate_at(9.999) > 4.99
    assert plan.rate_at(10) == 1


@pytest.mark.parametrize(
    ("points", "model", "message"),
    [
        ([(0, 1)], "closed", "a shape needs at least 2 points, got 1"),
        ([(5, 1), (10, 1)], "closed", "the first point is at 5s; start the shape at 0s"),
        (
            [(0, 1), (20, 1), (10, 1)],
            "closed",
            "point 3 is at 10s, before point 2 at 20s; list the points in time order",
        ),
        ([(0, 1.5), (10, 1)], "closed", "the first point's target 1.5 is not a whole number"),
        ([(0, 1), (10, 2.5)], "closed", "target 2.5 VUs is not a whole number"),
        ([(0, 0), (10, 0)], "closed", "the VU target is 0 throughout"),
        ([(0, 1), (0, 2)], "open", "the stages last 0s in total"),
        ([(0, 1), (10, 2)], "both", "model must be 'closed' or 'open'"),
    ],
)
def test_bad_points(points: list[tuple[float, float]], model: str, message: str) -> None:
    with pytest.raises(ValueError, match="invalid shape") as info:
        shape_from_points(points, model)  # type: ignore[arg-type]
    assert message in str(info.value)


# -- functions ----------------------------------------------------------------------


def test_function_is_sampled_and_joined_by_lines() -> None:
    model = shape_from_function(lambda t: t / 2, duration=25, step=10)
    # Samples 0, 5, 10 and 12.5 → 13 (halves up) at the end: the first two stages
    # are on one line and merge.
    assert model == ClosedModel(stages=(Stage(20, 10), Stage(5, 13)), start_vus=0)


def test_flat_stretches_merge_into_one_stage() -> None:
    model = shape_from_function(lambda t: 20.0, duration=3600, step=1)
    assert model == ClosedModel(stages=(Stage(3600, 20),), start_vus=20)


def test_hold_mode_jumps_like_locust_ticks() -> None:
    seen: list[float] = []

    def steps(t: float) -> float:
        seen.append(t)
        return 10 * (1 + t // 60)

    model = shape_from_function(steps, duration=180, step=60, hold=True)
    assert model == ClosedModel(
        stages=(Stage(60, 10), Stage(0, 20), Stage(60, 20), Stage(0, 30), Stage(60, 30)),
        start_vus=10,
    )
    assert seen == [0, 60, 120]  # the end is not sampled when holding


def test_open_function_keeps_fractional_rates() -> None:
    model = shape_from_function(lambda t: 0.5 + t / 8, duration=10, step=5, model="open")
    assert isinstance(model, OpenModel)
    assert model.start_rate == 0.5
    assert model.stages == (Stage(10, 1.75),)
    # Merging is exact: samples off one line by a rounding error stay apart.
    inexact = shape_from_function(lambda t: 0.5 + t / 100, duration=10, step=5, model="open")
    assert inexact.stages == (Stage(5, 0.55), Stage(5, 0.6))


def test_a_sine_wave_compiles_to_a_valid_plan() -> None:
    model = shape_from_function(lambda t: 50 + 40 * math.sin(t / 60), duration=600, step=5)
    plan = compile_plan(model, [("a", 1)])
    assert plan.duration == 600
    assert plan.max_vus() == 90


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda t: -1.0, "at 0s the function returned -1.0; return 0 or more"),
        (lambda t: float("inf"), "at 0s the function returned inf"),
        (lambda t: None, "at 0s the function returned None, not a number"),
        (lambda t: 1.0 if t < 10 else math.nan, "at 10s the function returned nan"),
    ],
)
def test_bad_functions(fn: object, message: str) -> None:
    with pytest.raises(ValueError, match="invalid shape function") as info:
        shape_from_function(fn, duration=20, step=10)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_only_the_first_few_bad_samples_are_listed() -> None:
    with pytest.raises(ValueError) as info:
        shape_from_function(lambda t: -1.0, duration=100, step=1)
    assert str(info.value).count("\n- ") == 5


@pytest.mark.parametrize(
    ("duration", "step", "message"),
    [
        (0, 1, "duration must be a positive number of seconds"),
        (math.inf, 1, "duration must be a positive number"),
        (10, 0, "step must be a positive number of seconds"),
        (3600, 1e-6, "use a larger step"),
    ],
)
def test_bad_sampling(duration: float, step: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shape_from_function(lambda t: 1.0, duration=duration, step=step)


# -- scaling ----------------------------------------------------------------------


def test_scale_rounds_vus_half_up_and_never_to_zero() -> None:
    model = ClosedModel(
        stages=(Stage(10, 3), Stage(10, 5), Stage(10, 0)), start_vus=1, graceful_stop=7
    )
    assert scale_model(model, 0.5) == ClosedModel(
        stages=(Stage(10, 2), Stage(10, 3), Stage(10, 0)), start_vus=1, graceful_stop=7
    )
    assert scale_model(model, 0.01).stages == (Stage(10, 1), Stage(10, 1), Stage(10, 0))
    assert scale_model(model, 2).stages == (Stage(10, 6), Stage(10, 10), Stage(10, 0))


def test_scale_multiplies_rates_exactly_and_rounds_the_pool_up() -> None:
    model = OpenModel(
        stages=(Stage(60, 15),), start_rate=5, max_vus=7, pre_allocated_vus=3, breakpoint=True
    )
    assert scale_model(model, 0.5) == OpenModel(
        stages=(Stage(60, 7.5),),
        start_rate=2.5,
        max_vus=4,
        pre_allocated_vus=2,
        breakpoint=True,
    )


@pytest.mark.parametrize("factor", [0, -1, math.nan, math.inf, True])
def test_bad_scale(factor: float) -> None:
    with pytest.raises(ValueError, match="scale factor"):
        scale_model(ClosedModel(stages=(Stage(1, 1),)), factor)
