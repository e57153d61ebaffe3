"""validate_model: every problem, each an actionable message; compile_plan raises on them."""

from __future__ import annotations

import math

import pytest

from agentload.profiles import ClosedModel, OpenModel, Stage, compile_plan, validate_model

NAN, INF = math.nan, math.inf


def test_valid_models_have_no_problems() -> None:
    assert validate_model(ClosedModel(stages=(Stage(10, 5),))) == []
    assert validate_model(ClosedModel(stages=(Stage(10, 0),), start_vus=2)) == []
    assert validate_model(OpenModel(stages=(Stage(10, 0.5),))) == []
    jump_then_hold = OpenModel(stages=(Stage(0, 5), Stage(1, 5)), max_vus=1, pre_allocated_vus=0)
    assert validate_model(jump_then_hold) == []


@pytest.mark.parametrize(
    ("model", "problems"),
    [
        (
            ClosedModel(stages=()),
            ["no stages: add at least one stage with a duration and a target"],
        ),
        (
            ClosedModel(stages=(Stage(-5, 3), Stage(1, -2), Stage(1, 2.5))),
            [
                "stage 1: duration -5s is negative; use 0 to jump to the target or a positive "
                "number of seconds to ramp to it",
                "stage 2: target -2 VUs is negative; use 0 or more",
                "stage 3: target 2.5 VUs is not a whole number; a closed model runs whole VUs",
            ],
        ),
        (
            ClosedModel(stages=(Stage(NAN, INF),)),
            [
                "stage 1: duration nan is not a finite number of seconds",
                "stage 1: target inf is not a finite number",
            ],
        ),
        (
            ClosedModel(stages=(Stage(0, 3), Stage(0, 4))),
            ["the stages last 0s in total: give at least one stage a positive duration"],
        ),
        (
            ClosedModel(stages=(Stage(5, 0),)),
            [
                "the VU target is 0 throughout, so no VU would run: "
                "raise start_vus or a stage target"
            ],
        ),
        (
            ClosedModel(
                stages=(Stage(5, 1),), start_vus=-1, graceful_ramp_down=-1, graceful_stop=NAN
            ),
            [
                "start_vus -1 must be a whole number, 0 or more",
                "graceful_ramp_down -1 must be a finite number of seconds, 0 or more",
                "graceful_stop nan must be a finite number of seconds, 0 or more",
            ],
        ),
        (
            OpenModel(stages=(Stage(10, 50),), pre_allocated_vus=20, max_vus=5),
            [
                "max_vus (5) is less than pre_allocated_vus (20): "
                "raise max_vus or lower pre_allocated_vus"
            ],
        ),
        (
            OpenModel(stages=(Stage(10, 50),), pre_allocated_vus=0, max_vus=0),
            [
                "max_vus is 0 but the rate reaches 50 it/s, so no VU could run an iteration: "
                "set max_vus to 1 or more"
            ],
        ),
        (
            OpenModel(stages=(Stage(10, 0),)),
            [
                "the arrival rate is 0 throughout, so no iteration would start: "
                "raise start_rate or a stage target"
            ],
        ),
        (
            OpenModel(stages=(Stage(10, 1),), start_rate=-1, max_queue=-1, seed=1.5),  # type: ignore[arg-type]
            [
                "start_rate -1 must be a finite number of iterations/s, 0 or more",
                "max_queue -1 must be a whole number, 0 or more",
                "seed 1.5 must be a whole number",
            ],
        ),
        (
            OpenModel(stages=(Stage(10, 1.5),), pre_allocated_vus=-1, max_vus=2.5),  # type: ignore[arg-type]
            [
                "pre_allocated_vus -1 must be a whole number, 0 or more",
                "max_vus 2.5 must be a whole number, 0 or more",
            ],
        ),
    ],
)
def test_problems(model: ClosedModel | OpenModel, problems: list[str]) -> None:
    assert validate_model(model) == problems


def test_unknown_model() -> None:
    assert validate_model("closed") == [  # type: ignore[arg-type]
        "unknown load model str: use ClosedModel or OpenModel"
    ]


def test_compile_plan_lists_every_problem() -> None:
    model = OpenModel(stages=(Stage(-1, 5), Stage(1, NAN)), pre_allocated_vus=9, max_vus=3)
    with pytest.raises(ValueError) as caught:
        compile_plan(model, [("a", 0)])
    assert str(caught.value) == (
        "invalid load plan:\n"
        "- stage 1: duration -1s is negative; use 0 to jump to the target or a positive "
        "number of seconds to ramp to it\n"
        "- stage 2: target nan is not a finite number\n"
        "- max_vus (3) is less than pre_allocated_vus (9): "
        "raise max_vus or lower pre_allocated_vus\n"
        "- scenario 'a': weight 0 must be a whole number ≥ 1"
    )
