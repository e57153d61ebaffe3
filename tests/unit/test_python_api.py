"""The Python scenario API without a network: loader, declarations, custom metrics, errors."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from agentload.engine._python_bind import MAX_SCRIPT_MESSAGES, Bindings, script_message
from agentload.errors import ScenarioError
from agentload.metrics import MetricKind, Recorder
from agentload.metrics.custom import Counter, DeclarationError, Gauge, Rate, Trend, bind_sink
from agentload.metrics.custom import reset_sink as unbind
from agentload.profiles import ClosedModel
from agentload.reports.summary import RunInfo, build_summary
from agentload.scenario.model import RunConfig
from agentload.scenario.model_python import PythonStep
from agentload.scenario.python import (
    SETUP_DATA_KEY,
    declared_metrics,
    load_python_scenario,
    python_hooks,
    scenario,
    setup_overrides,
    uniform,
    with_setup_data,
)
from agentload.thresholds import evaluate, parse_threshold

HEAD = """\
from agentload.scenario.python import Counter, Rate, Trend, scenario, on_start, on_stop, setup
from agentload.scenario.python import teardown
"""


def write(tmp_path: Path, body: str, name: str = "s.py") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + textwrap.dedent(body))
    return path


def load(path: Path, **overrides: str) -> object:
    return load_python_scenario(path, env={"TOKEN": "t0k"}, overrides=overrides)


def issues(path: Path, **overrides: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_python_scenario(path, env={}, overrides=overrides)
    return [str(i) for i in info.value.issues]


GOOD = """\
completion = Rate("completion", "conversations completed")
turn_time = Trend("turn_time", time=True)
phases = Counter("phases")

config = {"target": "http://127.0.0.1:9/", "headers": {"X-Token": "${env.TOKEN}"},
          "variables": {"tenant": "ngx"}}
load = {"vus": 3, "duration": "10s"}
thresholds = {completion: ["rate>0.9"], "turn_time": ["p(95)<300"], "http_reqs": ["count>0"]}

@setup
async def prepare(ctx):
    return {"n": 1}

@on_start
async def login(ctx):
    ctx.vars["token"] = "x"

@on_stop
async def bye(ctx):
    pass

@scenario(weight=3)
async def chat(ctx):
    pass

@scenario(name="browse")
async def other(ctx):
    pass

@teardown
async def done(ctx):
    pass
"""


def test_a_python_file_becomes_the_model(tmp_path: Path) -> None:
    sf = load(write(tmp_path, GOOD))
    assert sf.config.target == "http://127.0.0.1:9"  # type: ignore[attr-defined]
    assert sf.config.variables == {"tenant": "ngx"}  # type: ignore[attr-defined]
    ((key, value),) = sf.config.headers  # type: ignore[attr-defined]
    assert (key, value.render({})) == ("X-Token", "t0k")  # ${env.…} as in YAML
    assert isinstance(sf.load, ClosedModel)  # type: ignore[attr-defined]
    assert [(s.name, s.weight) for s in sf.scenarios] == [("chat", 3), ("browse", 1)]  # type: ignore[attr-defined]
    step = sf.scenarios[0].steps[0]  # type: ignore[attr-defined]
    assert isinstance(step, PythonStep)
    source = (HEAD + GOOD).splitlines()
    assert step.ref == "s.py:chat"
    assert source[step.line - 1] == "@scenario(weight=3)"  # the decorator's line
    assert [(t.metric, t.expression) for t in sf.thresholds] == [  # type: ignore[attr-defined]
        ("completion", "rate>0.9"),
        ("turn_time", "p(95)<300"),
        ("http_reqs", "count>0"),
    ]
    defs = declared_metrics(sf)  # type: ignore[arg-type]
    assert {n: (d.kind, d.unit) for n, d in defs.items()} == {
        "completion": (MetricKind.RATE, ""),
        "turn_time": (MetricKind.TREND, "us"),
        "phases": (MetricKind.COUNTER, ""),
    }
    hooks = python_hooks(sf)  # type: ignore[arg-type]
    assert hooks is not None
    assert hooks.names == ("setup=prepare", "teardown=done", "on_start=login", "on_stop=bye")


def test_loading_twice_gives_the_same_fingerprint(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert repr(load(path)) == repr(load(path))  # what workers compare (D8)


def test_setup_data_travels_as_an_override(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    sf = with_setup_data(load(path), '{"n": 1, "names": ["a"]}')  # type: ignore[arg-type]
    extra = setup_overrides(sf)
    assert extra == {SETUP_DATA_KEY: '{"n": 1, "names": ["a"]}'}
    again = load_python_scenario(path, env={"TOKEN": "t0k"}, overrides=extra)
    assert repr(again) == repr(sf)  # a worker's model equals the coordinator's
    hooks = python_hooks(again)
    assert hooks is not None and hooks.setup_data == {"n": 1, "names": ["a"]}


def test_overrides_apply_as_for_yaml(tmp_path: Path) -> None:
    sf = load(write(tmp_path, GOOD), vus="7", target="http://127.0.0.1:1", only="browse")
    assert sf.config.target == "http://127.0.0.1:1"  # type: ignore[attr-defined]
    assert sf.load.stages[-1].target == 7  # type: ignore[attr-defined]
    assert [s.name for s in sf.scenarios] == ["browse"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("config = {'target': 'http://x'\n", ["s.py:3: Python syntax error: '{' was never closed"]),
        ("import no_such_module_zz\n", ["s.py:3: ModuleNotFoundError: No module named"]),
        ("raise RuntimeError('boom token=abc123')\n", ["s.py:3: RuntimeError: boom token=***"]),
        (
            "@scenario(weight=0)\nasync def a(ctx): pass\n",
            ["s.py:3: @scenario weight must be a whole number >= 1, got 0; write e.g. weight=3"],
        ),
        ("x = Rate('http_reqs')\n", ["s.py:3: 'http_reqs' is a built-in metric"]),
        ("x = Trend('bad name')\n", ["s.py:3: metric name 'bad name' is not valid"]),
    ],
)
def test_import_errors_are_one_line_at_the_users_line(
    tmp_path: Path, body: str, expected: list[str]
) -> None:
    found = issues(write(tmp_path, body))
    assert len(found) == len(expected)
    for line, want in zip(found, expected, strict=True):
        assert line.startswith(str(tmp_path / "s.py")[: -len("s.py")] + want), line


def test_declaration_problems_are_all_reported_with_lines(tmp_path: Path) -> None:
    body = """\
    config = {"target": "http://127.0.0.1:9"}
    load = {
        "vus": 2,
        "duraton": "1s",
    }
    thresholds = {"don": ["rate>0.9"], "done": ["p(95)<3"]}
    done = Rate("done")

    @scenario
    def a(ctx):
        pass
    """
    found = [line.split("s.py:", 1)[1] for line in issues(write(tmp_path, body))]
    assert "6: load: unknown key 'duraton'; did you mean 'duration'?" in found
    assert "8: thresholds: unknown metric 'don'; did you mean 'done'?" in found
    assert any(
        f.startswith("8: thresholds.done[0]: bad threshold 'p(95)<3'") and "use rate" in f
        for f in found
    )
    assert "11: @scenario a: needs an 'async def' function; write 'async def a(ctx)'" in found


def test_a_file_without_scenarios_or_target(tmp_path: Path) -> None:
    found = issues(write(tmp_path, "options = {'vus': 1}\n"))
    assert any("k6's options are split" in f for f in found)
    assert any("config.target: missing" in f for f in found)
    assert any("no scenario; decorate an 'async def f(ctx)'" in f for f in found)


def test_hooks_and_names_must_be_unique(tmp_path: Path) -> None:
    body = """\
    config = {"target": "http://127.0.0.1:9"}
    @setup
    async def one(ctx): pass
    @setup
    async def two(ctx): pass
    @scenario
    async def a(ctx): pass
    @scenario(name="a")
    async def b(ctx): pass
    """
    found = [line.split("s.py:", 1)[1] for line in issues(write(tmp_path, body))]
    assert found == [
        "6: @setup: given twice (one at line 4); keep one",
        "10: @scenario 'a': the name is used twice (first at line 8); give each its own, "
        'e.g. @scenario(name="…")',
    ]


def test_decorators_and_helpers_check_their_arguments() -> None:
    with pytest.raises(DeclarationError, match="weight must be a whole number"):
        scenario(weight=-1)
    with pytest.raises(DeclarationError, match="decorates a function"):
        scenario("chat")  # type: ignore[call-overload]
    with pytest.raises(DeclarationError, match="swap them"):
        uniform(3, 1)


# -- custom metrics: what is recorded ------------------------------------------------


def _bindings(recorder: Recorder) -> Bindings:
    config = RunConfig(target="http://127.0.0.1:9")
    return Bindings(recorder, scenario="chat", config=config)


def test_custom_metrics_record_into_the_bound_vu() -> None:
    recorder = Recorder()
    b = _bindings(recorder)
    completion, turn, phases, level = Rate("c"), Trend("t", time=True), Counter("p"), Gauge("g")
    plain = Trend("n")
    token = bind_sink(b)
    try:
        completion.add(True)
        completion.add(0)
        completion.add("yes")
        turn.add(12.5)  # ms → 12500 µs
        plain.add(3.6)  # rounded
        phases.add()
        phases.add(2, tags={"phase": "close"})
        level.set(4)
        level.set(2)
    finally:
        unbind(token)
    snap = recorder.snapshot(start=0.0, end=1.0)
    from agentload.metrics import Aggregate

    agg = Aggregate()
    agg.add(snap)
    assert agg.rate("c") == (2, 3)
    hist = agg.trend("t")
    assert hist is not None and hist.count == 1 and hist.min == pytest.approx(12500, rel=0.01)
    plain_hist = agg.trend("n")
    assert plain_hist is not None and plain_hist.max == pytest.approx(4, abs=0.01)
    assert agg.counter("p") == 3
    assert agg.counter("p", {"phase": "close"}) == 2
    assert agg.counter("p", {"scenario": "chat"}) == 3
    gauge = agg.gauge("g")
    assert gauge is not None and (gauge.value, gauge.min, gauge.max) == (2, 2, 4)


def test_recording_outside_a_vu_says_so() -> None:
    with pytest.raises(RuntimeError, match="outside a virtual user"):
        Rate("c").add(True)


@pytest.mark.parametrize(
    ("metric", "value"),
    [(Trend("t"), -1), (Trend("t"), "3"), (Counter("c"), -2), (Gauge("g"), True)],
)
def test_bad_samples_raise_value_errors(metric: object, value: object) -> None:
    token = bind_sink(_bindings(Recorder()))
    try:
        with pytest.raises(ValueError, match="takes a number"):
            if isinstance(metric, Gauge):
                metric.set(value)  # type: ignore[arg-type]
            else:
                metric.add(value)  # type: ignore[attr-defined]
    finally:
        unbind(token)


def test_the_time_helper_records_the_block() -> None:
    recorder = Recorder()
    token = bind_sink(_bindings(recorder))
    turn = Trend("t", time=True)
    try:
        with turn.time():
            asyncio.run(asyncio.sleep(0.02))
    finally:
        unbind(token)
    from agentload.metrics import Aggregate

    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))
    hist = agg.trend("t")
    assert hist is not None and hist.count == 1 and hist.min >= 20_000 * 0.99


def test_script_errors_keep_the_first_line_redacted_and_capped() -> None:
    exc = ValueError("Bearer abc.def.ghi rejected\nsecond line")
    assert script_message(exc) == "ValueError: Bearer *** rejected"
    assert len(script_message(ValueError("x" * 500))) == 160
    recorder = Recorder()
    b = _bindings(recorder)
    for i in range(MAX_SCRIPT_MESSAGES + 5):
        b.script_error("s.py:chat", KeyError(f"k{i}"))
    from agentload.metrics import Aggregate

    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))
    assert agg.counter("errors", {"kind": "script_error"}) == MAX_SCRIPT_MESSAGES + 5
    assert agg.counter("errors", {"message": "(other)"}) == 5


def test_custom_metrics_flow_into_summary_and_thresholds(tmp_path: Path) -> None:
    recorder = Recorder()
    token = bind_sink(_bindings(recorder))
    turn = Trend("turn_time", "one turn", time=True)
    try:
        for ms in (100, 200, 300, 400):
            turn.add(ms)
    finally:
        unbind(token)
    from agentload.metrics import Aggregate

    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))
    defs = {"turn_time": turn.definition}
    info = RunInfo("id", "s.py", "http://x", 0.0, 1.0, 1.0, "completed", {}, "", "0")
    summary = build_summary(agg, info, (), exit_code=0, custom=defs)
    m = summary["metrics"]["turn_time"]
    assert m["unit"] == "ms" and m["custom"] is True and m["description"] == "one turn"
    assert m["max"] == pytest.approx(400, rel=0.01)
    (result,) = evaluate([parse_threshold("turn_time", "p(95)<350", metrics=defs)], agg, elapsed=1)
    assert not result.passed  # p95 of 100..400 ms is about 400 ms: 350 is in ms, not µs
    (ok,) = evaluate([parse_threshold("turn_time", "max<=401", metrics=defs)], agg, elapsed=1)
    assert ok.passed


def test_a_scenario_may_have_its_own_load(tmp_path: Path) -> None:
    body = """\
    config = {"target": "http://127.0.0.1:9"}
    load = {"vus": 1, "duration": "10s"}

    @scenario
    async def normal(ctx): pass

    @scenario(load={"vus": 4,
                    "duration": "5s"})
    async def heavy(ctx): pass
    """
    sf = load(write(tmp_path, body), scale="0.5")
    shared, own = sf.scenarios  # type: ignore[attr-defined]
    assert shared.load is None
    assert isinstance(own.load, ClosedModel) and own.load.stages[-1].target == 2  # scaled
    bad = body.replace('"duration": "5s"', '"duraton": "5s"')
    found = [line.split("b.py:", 1)[1] for line in issues(write(tmp_path, bad, "b.py"))]
    assert "10: load: unknown key 'duraton'; did you mean 'duration'?" in found
