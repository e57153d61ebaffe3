"""Presets and custom shapes in the load section; --preset, --scale and their precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentload.errors import ScenarioError
from agentload.profiles import ClosedModel, LoadModel, OpenModel, Stage, build_preset
from agentload.scenario import ScenarioFile, load_scenario_text

HEAD = "config: {target: http://h}\nflow: [{get: /a}]\n"


def load(load_text: str, **overrides: str) -> ScenarioFile:
    return load_scenario_text(
        HEAD + load_text, filename="s.yaml", env={}, base_dir=Path("."), overrides=overrides
    )


def issues(load_text: str, **overrides: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load(load_text, **overrides)
    return [str(issue) for issue in info.value.issues]


def closed(start: int, *stages: tuple[float, float]) -> ClosedModel:
    return ClosedModel(stages=tuple(Stage(d, t) for d, t in stages), start_vus=start)


# -- presets in the file ------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["smoke", "average", "stress", "spike", "soak", "step", "breakpoint", "realistic"]
)
def test_every_preset_by_name(name: str) -> None:
    assert load(f"load: {{preset: {name}}}\n").load == build_preset(name)


def test_preset_with_overridden_fields() -> None:
    assert load("load: {preset: spike, peak: 200, duration: 2m}\n").load == closed(
        1, (40, 1), (40, 200), (40, 1)
    )
    text = "load:\n  preset: average\n  vus: 30\n  ramp_up: 0s\n  hold: 90s\n  ramp_down: 10s\n"
    assert load(text).load == closed(30, (90, 30), (10, 0))


def test_preset_takes_model_options() -> None:
    text = "load: {preset: stress, graceful_stop: 5s, graceful_ramp_down: 1s}\n"
    assert load(text).load == ClosedModel(
        stages=(Stage(120, 50), Stage(600, 50), Stage(120, 0)),
        graceful_stop=5,
        graceful_ramp_down=1,
    )
    model = load("load: {preset: breakpoint, rate: 600/m, max_vus: 20, poisson: true}\n").load
    assert model == OpenModel(
        stages=(Stage(600, 10),),
        start_rate=1,
        max_vus=20,
        pre_allocated_vus=20,  # the preset's 50, capped by the max_vus given
        poisson=True,
        breakpoint=True,
    )


# -- the command line ---------------------------------------------------------------


CONSTANT = "load: {vus: 4, duration: 20s}\n"
OPEN = "load: {rate: 5, duration: 10s, max_vus: 7}\n"


@pytest.mark.parametrize(
    ("load_text", "overrides", "expected"),
    [
        # --preset replaces the file's load, at the preset's defaults.
        (CONSTANT, {"preset": "smoke"}, closed(1, (30, 1))),
        ("load: {preset: spike, peak: 500}\n", {"preset": "spike"}, build_preset("spike")),
        # --vus/--rate set the preset's level; --duration its total length.
        ("", {"preset": "stress", "vus": "80"}, closed(0, (120, 80), (600, 80), (120, 0))),
        ("load: {preset: spike}\n", {"vus": "300"}, build_preset("spike", {"peak": 300})),
        (
            "",
            {"preset": "breakpoint", "rate": "1000/m", "duration": "5m"},
            build_preset("breakpoint", {"rate": 1000 / 60, "duration": 300}),
        ),
        ("", {"preset": "spike", "duration": "3m"}, closed(1, (60, 1), (60, 100), (60, 1))),
        # The file's phases stay; the others stretch to --duration.
        (
            "load: {preset: average, ramp_up: 1m}\n",
            {"duration": "10m"},
            closed(0, (60, 10), (450, 10), (90, 0)),
        ),
        # The file fixed every phase: the command line wins, all stretch in proportion.
        (
            "load: {preset: average, ramp_up: 1m, hold: 1m, ramp_down: 1m, duration: 3m}\n",
            {"duration": "6m"},
            closed(0, (120, 10), (120, 10), (120, 0)),
        ),
        # --scale comes last, on whatever resulted.
        ("", {"preset": "soak", "scale": "0.5"}, closed(0, (60, 10), (3600, 10), (60, 0))),
        ("", {"preset": "soak", "vus": "40", "scale": "0.5"}, build_preset("soak")),
        ("", {"preset": "smoke", "scale": "0.1"}, closed(1, (30, 1))),
        (CONSTANT, {"scale": "2.5"}, closed(10, (20, 10))),
        (CONSTANT, {"vus": "3", "scale": "2"}, closed(6, (20, 6))),
        (
            OPEN,
            {"scale": "0.5"},
            OpenModel(stages=(Stage(10, 2.5),), start_rate=2.5, max_vus=4, pre_allocated_vus=4),
        ),
        (
            "load: {stages: [{duration: 10s, target: 5}, {duration: 10s, target: 0}]}\n",
            {"scale": "3"},
            closed(0, (10, 15), (10, 0)),
        ),
    ],
)
def test_overrides(load_text: str, overrides: dict[str, str], expected: LoadModel) -> None:
    assert load(load_text, **overrides).load == expected


def test_preset_flag_does_not_read_the_files_load() -> None:
    broken = 'load: {vus: "${env.UNSET}", duration: nonsense}\n'
    assert load(broken, preset="smoke").load == build_preset("smoke")


# -- custom shapes -----------------------------------------------------------------


def test_shape_points_closed_by_default() -> None:
    text = "load: {shape: [[0s, 0], [30s, 50], [60s, 50], [90s, 0]]}\n"
    assert load(text).load == closed(0, (30, 50), (30, 50), (30, 0))
    assert load(text.replace("]]}", "]], model: closed}")).load == load(text).load


def test_shape_points_open_with_rates_jumps_and_options() -> None:
    text = "load:\n  shape: [[0s, 5/s], [30s, 600/m], [30s, 2], [1m, 0]]\n  model: open\n"
    text += "  max_vus: 5\n  graceful_stop: 1s\n"
    assert load(text).load == OpenModel(
        stages=(Stage(30, 10), Stage(0, 2), Stage(30, 0)),
        start_rate=5,
        max_vus=5,
        pre_allocated_vus=5,
        graceful_stop=1,
    )


def test_shape_overrides_like_stages() -> None:
    text = "load: {shape: [[0s, 1], [10s, 5]]}\n"
    assert load(text, vus="2").load == closed(2, (10, 2))
    assert issues(text, duration="1m") == [
        "s.yaml: --duration: cannot override stages; use --vus/--rate or edit the stages"
    ]


# -- mistakes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("load_text", "overrides", "expected"),
    [
        (
            "load: {preset: strss}\n",
            {},
            "s.yaml:3: load.preset: unknown preset 'strss'; did you mean 'stress'? "
            "(see docs/scenario-format.md#presets)",
        ),
        (
            "",
            {"preset": "spkie"},
            "s.yaml: --preset: unknown preset 'spkie'; did you mean 'spike'? "
            "(see docs/scenario-format.md#presets)",
        ),
        (
            "load: {preset: qqq}\n",
            {},
            "s.yaml:3: load.preset: unknown preset 'qqq'; use one of smoke, average, stress, "
            "spike, soak, step, breakpoint, realistic (see docs/scenario-format.md#presets)",
        ),
        (
            "load: {preset: [spike]}\n",
            {},
            "s.yaml:3: load.preset: expected a preset name such as stress, found a list; "
            "see docs/scenario-format.md for the format",
        ),
        (
            "load: {preset: spike, base: 50, peak: 10}\n",
            {},
            "s.yaml:3: load: peak (10) is below base (50); raise peak",
        ),
        (
            "load: {preset: breakpoint, max_vus: 20, pre_allocated_vus: 30}\n",
            {},
            "s.yaml:3: load: max_vus (20) is less than pre_allocated_vus (30): "
            "raise max_vus or lower pre_allocated_vus",
        ),
        (
            "load: {preset: average, ramp_up: 5m, ramp_down: 5m}\n",
            {"duration": "10m"},
            "s.yaml:3: load with --duration: ramp_up and ramp_down take 10m, which leaves "
            "nothing of duration 10m for hold; lengthen duration or shorten ramp_up and ramp_down",
        ),
        (
            "load: {preset: spike}\n",
            {"rate": "5"},
            "s.yaml: --rate: the spike preset runs virtual users (closed model); "
            "use --vus to set its peak",
        ),
        (
            "",
            {"preset": "breakpoint", "vus": "5"},
            "s.yaml: --vus: the breakpoint preset runs an arrival rate (open model); "
            "use --rate to set its rate",
        ),
        (
            "",
            {"scale": "0"},
            "s.yaml: --scale: expected a number above 0, got '0'; e.g. --scale 0.5",
        ),
        (
            "",
            {"scale": "half"},
            "s.yaml: --scale: expected a number above 0, got 'half'; e.g. --scale 0.5",
        ),
    ],
)
def test_one_problem(load_text: str, overrides: dict[str, str], expected: str) -> None:
    assert issues(load_text, **overrides) == [expected]


def test_preset_keys_are_checked_with_lines() -> None:
    text = (
        "load:\n  preset: spike\n  peek: 3\n  stages: []\n  max_vus: 4\n  peak: 0\n  before: -1s\n"
    )
    assert issues(text) == [
        "s.yaml:5: load: unknown key 'peek'; did you mean 'peak'?",
        "s.yaml:6: load: 'stages' does not apply to the spike preset; remove it (its "
        "parameters are base, peak, before, ramp_up, ramp_down, after, duration; "
        "see docs/scenario-format.md#presets)",
        "s.yaml:7: load: 'max_vus' does not apply to the spike preset; remove it (its "
        "parameters are base, peak, before, ramp_up, ramp_down, after, duration; "
        "see docs/scenario-format.md#presets)",
        "s.yaml:8: load.peak: must be at least 1, found 0; use 1 or more",
        "s.yaml:9: load.before: a duration cannot be negative, got '-1s'; "
        "use a positive duration such as 30s",
    ]


def test_shape_mistakes_each_with_its_line() -> None:
    text = (
        "load:\n"
        "  model: opn\n"
        "  start_vus: 2\n"
        "  duration: 1m\n"
        "  shape:\n"
        "    - [5s, 0]\n"
        "    - [3s, 50]\n"
        "    - [60s]\n"
        "    - [70s, 1.5]\n"
        "    - x\n"
    )
    assert issues(text) == [
        "s.yaml:4: load.model: unknown value 'opn'; did you mean 'open'?",
        "s.yaml:5: load.start_vus: does not apply to shape (its first point is the start); "
        "remove it",
        "s.yaml:6: load.duration: does not apply to shape (the points give the times); remove it",
        "s.yaml:8: load.shape[0]: the first point is at 5s; start the shape at 0s",
        "s.yaml:9: load.shape[1]: 3s comes before the previous point's 5s; "
        "list the points in time order",
        "s.yaml:10: load.shape[2]: has 1 value; write [time, target]",
        "s.yaml:11: load.shape[3][1]: expected a VU count, found the number 1.5; "
        "see docs/scenario-format.md for the format",
        "s.yaml:12: load.shape[4]: expected a [time, target] point such as [30s, 50], "
        "found the text 'x'; see docs/scenario-format.md for the format",
    ]


@pytest.mark.parametrize(
    ("load_text", "expected"),
    [
        (
            "load: {shape: [[0s, 1], [1s, 2]], stages: [{duration: 1s, target: 1}]}\n",
            "s.yaml:3: load: stages and shape cannot be used together; keep one of vus, "
            "stages, rate, rate_stages or shape",
        ),
        (
            "load: {vus: 2, duration: 1s, model: open}\n",
            "s.yaml:3: load.model: only applies to shape; remove it",
        ),
        (
            "load: {shape: [[0s, 1]]}\n",
            "s.yaml:3: load.shape: a shape needs at least 2 points; "
            "e.g. [[0s, 0], [30s, 50], [60s, 50], [90s, 0]]",
        ),
        (
            "load: {shape: [[0s, 1], [0s, 2]]}\n",
            "s.yaml:3: load.shape: the points all are at 0s; spread them over time",
        ),
        (
            "load: {shape: [[0s, 0], [9s, 0]]}\n",
            "s.yaml:3: load: every stage targets 0 VUs; give a stage a target",
        ),
        (
            "load: {shape: [[0s, 1], [9s, 2]], max_vus: 3}\n",
            "s.yaml:3: load.max_vus: only applies to open (model: open) loads; remove it",
        ),
    ],
)
def test_shape_conflicts(load_text: str, expected: str) -> None:
    assert issues(load_text) == [expected]
