"""describe() golden strings and the to_dict/from_dict round trip."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from agentload.profiles import ClosedModel, OpenModel, Plan, Stage, compile_plan

W = [("chat", 3), ("health", 1)]
RAMP = ClosedModel(stages=(Stage(30, 10), Stage(60, 10), Stage(10, 0)))
STEADY = OpenModel(stages=(Stage(30, 50),), start_rate=50)
POISSON = OpenModel(
    stages=(Stage(60, 100), Stage(3600, 100), Stage(0, 0.5), Stage(30, 0)),
    poisson=True,
    seed=7,
    max_vus=200,
    pre_allocated_vus=20,
    max_queue=0,
)


def test_describe_closed() -> None:
    plan = compile_plan(RAMP, W)
    assert plan.describe() == (
        "closed model: 0 → 10 VUs over 30s, hold 10 VUs for 1m, 10 → 0 VUs over 10s\n"
        "peak 10 VUs; duration 1m40s; graceful ramp-down 30s, graceful stop 30s\n"
        "scenarios: chat ×3, health ×1\n"
        "segment: whole plan"
    )
    assert plan.split(4)[3].describe().splitlines()[-1] == (
        "segment 4/4: VUs k with k % 4 == 3; this segment: peak 2 VUs"
    )


def test_describe_closed_jumps_and_singular() -> None:
    model = ClosedModel(
        stages=(Stage(0, 5), Stage(90, 5), Stage(0, 1), Stage(0.5, 1)),
        start_vus=3,
        graceful_ramp_down=0,
        graceful_stop=2.5,
    )
    assert compile_plan(model, [("only", 1)]).describe() == (
        "closed model: jump to 5 VUs, hold 5 VUs for 1m30s, jump to 1 VU, hold 1 VU for 500ms\n"
        "peak 5 VUs; duration 90.5s; graceful ramp-down 0s, graceful stop 2.5s\n"
        "scenarios: only ×1\n"
        "segment: whole plan"
    )


def test_describe_open() -> None:
    plan = compile_plan(STEADY, W)
    assert plan.describe() == (
        "open model: 50 it/s for 30s (evenly spaced)\n"
        "max 100 VUs (10 pre-allocated), queue 10000; ≈1500 iterations; duration 30s; "
        "graceful stop 30s\n"
        "scenarios: chat ×3, health ×1\n"
        "segment: whole plan"
    )
    assert plan.split(4)[3].describe().splitlines()[-1] == (
        "segment 4/4: VUs and iterations k with k % 4 == 3; "
        "this segment: max 25 VUs (2 pre-allocated), ≈375 iterations"
    )


def test_describe_open_poisson_ramps() -> None:
    assert compile_plan(POISSON, W).describe().splitlines()[:2] == [
        "open model: 0 → 100 it/s over 1m, 100 it/s for 1h, jump to 0.5 it/s, "
        "0.5 → 0 it/s over 30s (Poisson, seed 7)",
        "max 200 VUs (20 pre-allocated), queue 0; ≈363008 iterations; duration 1h1m30s; "
        "graceful stop 30s",
    ]


@pytest.mark.parametrize("model", [RAMP, STEADY, POISSON])
def test_round_trip_through_json(model: ClosedModel | OpenModel) -> None:
    whole = compile_plan(model, W)
    for plan in (whole, *whole.split(3)):
        data = json.loads(json.dumps(plan.to_dict()))
        back = Plan.from_dict(data)
        assert back == plan
        assert back.describe() == plan.describe()


def test_to_dict_layout() -> None:
    plan = compile_plan(RAMP, W).split(2)[1]
    assert plan.to_dict() == {
        "version": 1,
        "model": {
            "kind": "closed",
            "stages": [
                {"duration": 30.0, "target": 10.0},
                {"duration": 60.0, "target": 10.0},
                {"duration": 10.0, "target": 0.0},
            ],
            "start_vus": 0,
            "graceful_ramp_down": 30.0,
            "graceful_stop": 30.0,
        },
        "weights": [["chat", 3], ["health", 1]],
        "segment": {"index": 1, "count": 2},
        "summary": {"duration": 100.0, "max_vus": 5},
    }
    summary = compile_plan(STEADY, W).to_dict()["summary"]
    assert summary == {
        "duration": 30.0,
        "max_vus": 100,
        "pre_allocated_vus": 10,
        "expected_iterations": 1500.0,
    }


def test_from_dict_accepts_integers_for_floats() -> None:
    data: dict[str, Any] = compile_plan(RAMP, W).to_dict()
    data["model"]["stages"] = [{"duration": 30, "target": 10}]
    data["model"]["graceful_stop"] = 5
    plan = Plan.from_dict(data)
    assert plan.model == ClosedModel(stages=(Stage(30.0, 10.0),), graceful_stop=5.0)
    assert isinstance(plan.model.graceful_stop, float)


def _broken(path: list[str | int], value: object) -> dict[str, Any]:
    data: dict[str, Any] = compile_plan(STEADY, W).to_dict()
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["version"], 2, "version 2 is not supported"),
        (["model", "kind"], "weird", "model.kind must be 'closed' or 'open'"),
        (["model", "max_vus"], True, "model.max_vus must be a number"),
        (["model", "max_vus"], "10", "model.max_vus must be int"),
        (["model", "poisson"], 1, "model.poisson must be bool"),
        (["model", "max_vus"], KeyError, None),
        (["model", "start_vus"], 3, "model: unknown start_vus"),
        (["model", "stages"], KeyError, "model: missing stages"),
        (["model", "stages", 0, "target"], "x", r"model.stages\[0\].target must be"),
        (["weights", 0], ["chat"], r"must be \[name, weight\]"),
        (["segment", "index"], 5, "segment index must be an integer in 0…0"),
        (["segment"], [], "segment must be an object"),
        (["extra"], 1, "plan: unknown extra"),
        (["model", "stages", 0, "duration"], -3, "duration -3s is negative"),
    ],
)
def test_from_dict_rejects_malformed_data(
    path: list[str | int], value: object, message: str | None
) -> None:
    data = _broken(path, value)
    if message is None:  # a missing optional model field takes its default
        assert Plan.from_dict(data).model == OpenModel(stages=STEADY.stages, start_rate=50)
        return
    with pytest.raises(ValueError, match=message):
        Plan.from_dict(data)


def test_pickle_round_trip_keeps_derived_state() -> None:
    # Workers may receive plans through multiprocessing as well as JSON.
    part = compile_plan(RAMP, W).split(3)[2]
    back = pickle.loads(pickle.dumps(part))
    assert back == part
    assert back.vu_changes() == part.vu_changes()
    assert [back.scenario_for(k) for k in range(8)] == [part.scenario_for(k) for k in range(8)]
