"""Every preset scales with --scale and keeps its shape; Locust-style tick shapes. No I/O."""

from __future__ import annotations

import math

import pytest

from agentload.profiles import (
    PRESETS,
    ClosedModel,
    OpenModel,
    Stage,
    build_preset,
    compile_plan,
    scale_model,
    shape_from_tick,
    whole_vus,
)


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("factor", [0.5, 2.0, 0.01])
def test_every_preset_scales_its_level_and_keeps_its_timing(name: str, factor: float) -> None:
    model = build_preset(name)
    scaled = scale_model(model, factor)
    assert [s.duration for s in scaled.stages] == [s.duration for s in model.stages]
    plan, scaled_plan = compile_plan(model, [("s", 1)]), compile_plan(scaled, [("s", 1)])
    assert scaled_plan.duration == plan.duration
    if isinstance(model, ClosedModel):
        assert isinstance(scaled, ClosedModel)
        assert [s.target for s in scaled.stages] == [
            float(whole_vus(s.target * factor)) for s in model.stages
        ]
        assert scaled_plan.max_vus() == whole_vus(plan.max_vus() * factor)
    else:
        assert isinstance(scaled, OpenModel) and scaled.breakpoint
        assert scaled.stages[-1].target == pytest.approx(model.stages[-1].target * factor)
        assert scaled.max_vus == math.ceil(model.max_vus * factor)


def test_spike_goes_1_100_1_and_scales_to_1_50_1() -> None:
    plan = compile_plan(build_preset("spike"), [("s", 1)])
    assert [plan.vus_at(t) for t in (0, 30, 60, 90)] == [1, 1, 100, 1]
    half = compile_plan(scale_model(build_preset("spike"), 0.5), [("s", 1)])
    assert [half.vus_at(t) for t in (0, 30, 60, 90)] == [1, 1, 50, 1]


def test_step_adds_n_every_interval() -> None:
    plan = compile_plan(build_preset("step", {"vus": 100, "steps": 5, "interval": 60}), [("s", 1)])
    assert [plan.vus_at(60 * k + 1) for k in range(5)] == [20, 40, 60, 80, 100]
    assert plan.duration == 300


def test_realistic_day_has_morning_ramp_lunch_spike_evening_decline() -> None:
    plan = compile_plan(build_preset("realistic", {"vus": 100, "duration": 720}), [("s", 1)])
    minute = 60.0  # one hour of the day
    morning = [plan.vus_at(h * minute) for h in (0, 1, 2, 3)]
    assert morning == sorted(morning) and morning[0] == 10 and morning[-1] == 60
    assert plan.vus_at(4.5 * minute) == 100  # lunch
    assert plan.vus_at(7 * minute) == 60  # afternoon
    evening = [plan.vus_at(h * minute) for h in (8, 10, 12)]
    assert evening == sorted(evening, reverse=True) and evening[-1] == 10


def test_tick_samples_until_none_and_holds_like_locust() -> None:
    def tick(t: float) -> tuple[int, float] | None:
        return None if t >= 30 else (10 if t >= 10 else 2, 5.0)

    model = shape_from_tick(tick, step=5)
    assert model == ClosedModel(stages=(Stage(10, 2), Stage(0, 10), Stage(20, 10)), start_vus=2)
    assert compile_plan(model, [("s", 1)]).duration == 30


def test_tick_lines_open_model_and_limits() -> None:
    model = shape_from_tick(lambda t: t if t <= 4 else None, step=1, model="open", hold=False)
    assert isinstance(model, OpenModel)
    assert model.start_rate == 0 and model.stages == (Stage(4, 4), Stage(1, 4))
    capped = shape_from_tick(lambda t: 3, step=1, max_duration=10)
    assert compile_plan(capped, [("s", 1)]).duration == 10
    with pytest.raises(ValueError, match="returned None at 0s"):
        shape_from_tick(lambda t: None)
    with pytest.raises(ValueError, match="at 2s the function returned -1"):
        shape_from_tick(lambda t: -1 if t == 2 else (1 if t < 5 else None))
