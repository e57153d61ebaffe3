"""Presets: each one's exact stages, duration fitting, problems, the breakpoint flag."""

from __future__ import annotations

import json

import pytest

from agentload.profiles import (
    PRESETS,
    ClosedModel,
    LoadModel,
    OpenModel,
    Plan,
    Stage,
    build_preset,
    compile_plan,
    find_preset,
    preset_problems,
    resolve_preset,
    validate_model,
)

W = [("chat", 1)]


def closed(start: int, *stages: tuple[float, float]) -> ClosedModel:
    return ClosedModel(stages=tuple(Stage(d, t) for d, t in stages), start_vus=start)


def test_the_presets_and_their_order() -> None:
    assert list(PRESETS) == [
        "smoke",
        "average",
        "stress",
        "spike",
        "soak",
        "step",
        "breakpoint",
        "realistic",
    ]
    for preset in PRESETS.values():
        names = [p.name for p in preset.params]
        assert "duration" in names
        assert preset.level in names
        assert set(preset.phases) <= set(names)
        # Every default compiles to a valid model of the declared kind.
        model = build_preset(preset.name)
        assert validate_model(model) == []
        assert isinstance(model, ClosedModel if preset.model == "closed" else OpenModel)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Seed 001: k6 --vus 1 --duration 30s.
        ("smoke", closed(1, (30, 1))),
        ("average", closed(0, (60, 10), (300, 10), (60, 0))),
        ("stress", closed(0, (120, 50), (600, 50), (120, 0))),
        # Seed 001: --vus 1 --stage 30s:1 --stage 30s:100 --stage 30s:1.
        ("spike", closed(1, (30, 1), (30, 100), (30, 1))),
        ("soak", closed(0, (60, 20), (3600, 20), (60, 0))),
        # Seed 004: +20 users every minute for 10 minutes.
        (
            "step",
            closed(
                20,
                (60, 20),
                *[pair for k in range(2, 11) for pair in ((0, 20 * k), (60, 20 * k))],
            ),
        ),
        (
            "breakpoint",
            OpenModel(
                stages=(Stage(600, 200),),
                start_rate=1,
                max_vus=1000,
                pre_allocated_vus=50,
                breakpoint=True,
            ),
        ),
        # Seed 004: a 12-hour day in 12 minutes: morning ramp, lunch spike, decline.
        (
            "realistic",
            closed(10, (180, 60), (30, 60), (30, 100), (60, 100), (30, 60), (150, 60), (240, 10)),
        ),
    ],
)
def test_default_stages(name: str, expected: LoadModel) -> None:
    assert build_preset(name) == expected


def test_parameters_override_defaults() -> None:
    assert build_preset("smoke", {"vus": 3, "duration": 5}) == closed(3, (5, 3))
    assert build_preset("stress", {"vus": 80}) == closed(0, (120, 80), (600, 80), (120, 0))
    assert build_preset("spike", {"base": 0, "peak": 20, "after": 10}) == closed(
        0, (30, 0), (30, 20), (30, 0), (10, 0)
    )
    assert build_preset("breakpoint", {"start_rate": 0, "rate": 50, "duration": 60}) == (
        OpenModel(stages=(Stage(60, 50),), max_vus=1000, pre_allocated_vus=50, breakpoint=True)
    )


def test_zero_length_phases_are_jumps() -> None:
    # A jump at the start is the start value; one at the end changes nothing.
    assert build_preset("average", {"ramp_up": 0, "ramp_down": 0}) == closed(10, (300, 10))
    assert build_preset("spike", {"before": 0}) == closed(1, (30, 100), (30, 1))


def test_step_rounds_uneven_steps_half_up() -> None:
    model = build_preset("step", {"vus": 100, "steps": 3, "interval": 10})
    assert model == closed(33, (10, 33), (0, 67), (10, 67), (0, 100), (10, 100))
    # Fewer VUs than steps: no step rounds down to 0, repeated levels are no jump.
    few = build_preset("step", {"vus": 2, "steps": 4, "interval": 10})
    assert few == closed(1, (10, 1), (10, 1), (0, 2), (10, 2), (10, 2))


def test_realistic_scales_the_day() -> None:
    model = build_preset("realistic", {"vus": 5, "duration": 1200})
    assert model.start_vus == 1  # 10 % of 5 is 0.5: halves round up
    assert [s.target for s in model.stages] == [3, 3, 5, 5, 3, 3, 1]
    assert sum(s.duration for s in model.stages) == 1200
    assert compile_plan(model, W).max_vus() == 5


# -- duration fitting -----------------------------------------------------------


def test_duration_stretches_every_phase_in_proportion() -> None:
    # Seed 001's spike in 2 minutes: 40 s each.
    assert build_preset("spike", {"peak": 200, "duration": 120}) == closed(
        1, (40, 1), (40, 200), (40, 1)
    )
    assert build_preset("step", {"duration": 300}) == build_preset("step", {"interval": 30})


def test_given_phases_stay_and_the_others_share_the_rest() -> None:
    assert build_preset("average", {"ramp_up": 60, "duration": 600}) == closed(
        0, (60, 10), (450, 10), (90, 0)
    )
    full = resolve_preset("average", {"ramp_up": 60, "duration": 600})
    assert full == {
        "vus": 10,
        "ramp_up": 60,
        "hold": 450,
        "ramp_down": 90,
        "duration": 600,
    }


def test_duration_defaults_to_the_phases_sum() -> None:
    assert resolve_preset("soak", {})["duration"] == 3720
    assert resolve_preset("step", {"steps": 4, "interval": 30})["duration"] == 120
    assert resolve_preset("spike", {"after": 60})["duration"] == 150


def test_every_phase_and_a_matching_duration_is_fine() -> None:
    values = {"ramp_up": 10.0, "hold": 20.0, "ramp_down": 30.0, "duration": 60.0}
    assert build_preset("average", values) == closed(0, (10, 10), (20, 10), (30, 0))


@pytest.mark.parametrize(
    ("name", "values", "problem"),
    [
        (
            "average",
            {"ramp_up": 300, "ramp_down": 300, "duration": 600},
            "ramp_up and ramp_down take 10m, which leaves nothing of duration 10m for hold; "
            "lengthen duration or shorten ramp_up and ramp_down",
        ),
        (
            "average",
            {"ramp_up": 60, "hold": 60, "ramp_down": 60, "duration": 600},
            "ramp_up, hold and ramp_down add up to 3m, not duration 10m; "
            "leave out duration or one of ramp_up, hold and ramp_down",
        ),
        (
            "step",
            {"interval": 60, "duration": 300},
            "interval (×10 steps) adds up to 10m, not duration 5m; leave out duration or interval",
        ),
        (
            "spike",
            {"before": 10, "ramp_up": 10, "ramp_down": 10, "duration": 60},
            # `after` is free but defaults to 0: nothing can stretch.
            "before, ramp_up and ramp_down add up to 30s, not duration 1m; "
            "leave out duration or one of before, ramp_up and ramp_down",
        ),
    ],
)
def test_phases_that_cannot_fit(name: str, values: dict[str, float], problem: str) -> None:
    assert preset_problems(name, values) == [problem]
    with pytest.raises(ValueError, match="invalid preset"):
        build_preset(name, values)


# -- problems -------------------------------------------------------------------


def test_unknown_preset_suggests_the_closest() -> None:
    with pytest.raises(ValueError, match=r"unknown preset 'strss'; did you mean 'stress'\?"):
        find_preset("strss")
    with pytest.raises(ValueError, match="did you mean 'soak'"):
        build_preset("Soak")
    assert preset_problems("zzz", {}) == [
        "unknown preset 'zzz'; use one of smoke, average, stress, spike, soak, step, "
        "breakpoint, realistic"
    ]


@pytest.mark.parametrize(
    ("name", "values", "problem"),
    [
        ("spike", {"peek": 3}, "the spike preset has no parameter 'peek'; did you mean 'peak'?"),
        (
            "smoke",
            {"rate": 3},
            "the smoke preset has no parameter 'rate'; its parameters are vus, duration",
        ),
        ("smoke", {"vus": 0}, "vus must be at least 1, got 0"),
        ("smoke", {"vus": 2.5}, "vus 2.5 must be a whole number"),
        ("smoke", {"duration": 0}, "duration must be above 0, got 0"),
        ("spike", {"base": -1}, "base cannot be negative, got -1; use 0 or more"),
        ("step", {"steps": float("nan")}, "steps nan must be a finite number"),
        ("average", {"vus": True}, "vus True must be a finite number"),
        ("spike", {"base": 50, "peak": 10}, "peak (10) is below base (50); raise peak"),
        (
            "breakpoint",
            {"start_rate": 20, "rate": 20},
            "rate (20/s) must be above start_rate (20/s) for the rate to keep rising",
        ),
    ],
)
def test_bad_parameters(name: str, values: dict[str, float], problem: str) -> None:
    assert problem in preset_problems(name, values)


def test_every_problem_is_listed() -> None:
    problems = preset_problems("spike", {"peek": 3, "base": -1, "ramp_up": -5})
    assert len(problems) == 3


# -- breakpoint -------------------------------------------------------------------


def test_breakpoint_flag_reaches_the_plan_and_survives_json() -> None:
    plan = compile_plan(build_preset("breakpoint"), W)
    assert plan.breakpoint
    assert "breakpoint test" in plan.describe().splitlines()[0]
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["model"]["breakpoint"] is True
    back = Plan.from_dict(data)
    assert back.breakpoint and back == plan
    for part in plan.split(3):
        assert part.breakpoint
    assert not compile_plan(build_preset("stress"), W).breakpoint
    assert not compile_plan(OpenModel(stages=(Stage(10, 5),)), W).breakpoint


def test_a_malformed_breakpoint_flag_is_a_problem() -> None:
    model = OpenModel(stages=(Stage(10, 5),), breakpoint=1)  # type: ignore[arg-type]
    assert validate_model(model) == ["breakpoint 1 must be true or false"]
