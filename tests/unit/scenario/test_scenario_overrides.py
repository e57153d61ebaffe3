"""Command-line overrides: --target, --vus, --rate and --duration."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentload.profiles.model import ClosedModel, LoadModel, OpenModel, Stage
from agentload.scenario import ScenarioFile, load_scenario_text

FLOW = "flow: [{get: /a}]\n"
CONSTANT = "load: {vus: 4, duration: 20s, graceful_stop: 3s}\n"
STAGED = "load: {stages: [{duration: 10s, target: 5}, {duration: 20s, target: 0}]}\n"
OPEN = "load: {rate: 5, duration: 10s, max_vus: 7, poisson: true, seed: 3}\n"


def load(text: str, **overrides: str) -> ScenarioFile:
    return load_scenario_text(
        text, filename="s.yaml", env={}, base_dir=Path("."), overrides=overrides
    )


def test_target_override_replaces_and_skips_the_files_target() -> None:
    # The file's target uses an unset variable; --target makes it irrelevant.
    text = 'config: {target: "${env.UNSET}"}\n' + FLOW
    assert load(text, target="https://staging.example.com/").config.target == (
        "https://staging.example.com"
    )


def test_target_override_supplies_a_missing_target() -> None:
    assert load(FLOW, target="http://127.0.0.1:9000").config.target == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("load_text", "overrides", "expected"),
    [
        (
            CONSTANT,
            {"duration": "1m"},
            ClosedModel(stages=(Stage(60.0, 4.0),), start_vus=4, graceful_stop=3.0),
        ),
        (
            CONSTANT,
            {"vus": "9"},
            ClosedModel(stages=(Stage(20.0, 9.0),), start_vus=9, graceful_stop=3.0),
        ),
        ("", {"duration": "30s"}, ClosedModel(stages=(Stage(30.0, 1.0),), start_vus=1)),
        (STAGED, {"vus": "3"}, ClosedModel(stages=(Stage(30.0, 3.0),), start_vus=3)),
        (
            STAGED,
            {"vus": "3", "duration": "5s"},
            ClosedModel(stages=(Stage(5.0, 3.0),), start_vus=3),
        ),
        (
            OPEN,
            {"duration": "1m"},
            OpenModel(
                stages=(Stage(60.0, 5.0),),
                start_rate=5.0,
                max_vus=7,
                pre_allocated_vus=7,
                poisson=True,
                seed=3,
            ),
        ),
        (
            OPEN,
            {"rate": "120/m", "duration": "2m"},
            OpenModel(
                stages=(Stage(120.0, 2.0),),
                start_rate=2.0,
                max_vus=7,
                pre_allocated_vus=7,
                poisson=True,
                seed=3,
            ),
        ),
        (
            CONSTANT,
            {"rate": "50"},
            OpenModel(stages=(Stage(20.0, 50.0),), start_rate=50.0, graceful_stop=3.0),
        ),
        (OPEN, {"vus": "2"}, ClosedModel(stages=(Stage(10.0, 2.0),), start_vus=2)),
    ],
)
def test_load_overrides(load_text: str, overrides: dict[str, str], expected: LoadModel) -> None:
    text = "config: {target: http://h}\n" + load_text + FLOW
    assert load(text, **overrides).load == expected
