"""What D21 cut from every run must not change what a run does or writes.

- report.html written from plotly.js bytes is the page rendered with the text;
- the modules only some runs need stay unloaded until those runs need them;
- the collector is paused and frozen only inside the console script's ``main``.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentload.cli._startup import imports_done, lean_process
from agentload.reports._html_page import inline_script_bytes, page
from agentload.reports.outputs import REPORT_FILES, render_reports
from agentload.reports.plotly_bundle import read_plotly_js, read_plotly_js_bytes
from agentload.reports.report_files import write_reports
from agentload.reports.saved import load_results
from tests.unit.reports.synthetic import make_run

ROOT = Path(__file__).resolve().parents[2]


def _text_path(results: Path) -> dict[str, bytes]:
    """The files as the text path renders them: plotly.js decoded and inlined."""
    contents = render_reports(load_results(results), read_plotly_js())
    return {name: contents[name].encode("utf-8") for name in REPORT_FILES}


@pytest.mark.parametrize("baseline", [False, True])
def test_report_files_are_the_text_path_bytes(tmp_path: Path, baseline: bool) -> None:
    run = make_run(tmp_path / "run", seconds=3)
    if baseline:  # run --baseline's card and JUnit cases come from the lazily loaded modules
        summary_path = run.path / "summary.json"
        summary = json.loads(summary_path.read_text())
        summary["run"]["baseline"] = {"verdict": "error", "error": "baseline dir vanished"}
        summary_path.write_text(json.dumps(summary))
    written = {p.name: p.read_bytes() for p in write_reports(run.path)}
    assert written == _text_path(run.path)
    html, junit = written["report.html"].decode(), written["junit.xml"].decode()
    assert ("baseline dir vanished" in html) is baseline
    assert ("agentload.baseline" in junit) is baseline


def test_plotly_bytes_are_the_text_encoded() -> None:
    assert read_plotly_js_bytes() == read_plotly_js().encode("utf-8")


def test_script_end_is_escaped_the_same_on_bytes() -> None:
    js = "a</script>b → c</script"
    html = page(title="t", kind="k", where="w", main=[], footer="f", scripts=[], plotly_js=js)
    escaped = inline_script_bytes(js.encode()).decode()
    assert escaped == "a<\\/script>b → c<\\/script"
    assert f"<script>{escaped}</script>" in html


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return out.stdout.split()


def test_run_path_leaves_optional_modules_unloaded() -> None:
    optional = (
        "agentload.distributed",  # --workers N / --cluster, and run.workers at the end
        "agentload.reports.compare",  # --baseline, or a report of such a run
        "agentload.reports.compare_html",
        "agentload.engine.health",  # config.health / --health
        "agentload.engine._python_run",  # a Python file's setup/teardown
        "urllib.request",  # --monitor-prometheus, --out influxdb=
    )
    imports = "import agentload.cli._run, agentload.cli._suite, agentload.cli._observe"
    assert _loaded_after(imports, optional) == []
    # And they are there once asked for.
    assert _loaded_after(f"{imports}\nimport agentload.distributed", optional) != []


def test_http_scenario_loads_without_ws_and_voice_readers(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "config: {target: 'http://127.0.0.1:9'}\n"
        "load: {vus: 1, duration: 1s}\n"
        "scenarios:\n  - name: s\n    flow:\n      - get: {url: /, expect: {status: 200}}\n"
    )
    heavy = ("agentload.scenario._ws", "agentload.scenario._voice", "jsonpath", "picows")
    load = f"load_scenario({str(scenario)!r}, env={{}})"
    code = f"from agentload.scenario import load_scenario\n{load}"
    assert _loaded_after(code, heavy) == []
    # A JSONPath check still validates its path (jsonpath imported on first use).
    scenario.write_text(scenario.read_text().replace("status: 200", "json: {'$.[': 1}"))
    code = (
        "from agentload.scenario import load_scenario\n"
        "from agentload.errors import ScenarioError\n"
        f"try:\n    {load}\n"
        "except ScenarioError as exc:\n    print('bad JSONPath' in str(exc.issues))"
    )
    assert _loaded_after(code, ("jsonpath",)) == ["True", "jsonpath"]


def test_lean_process_pauses_then_freezes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        with lean_process():
            assert not gc.isenabled()
            imports_done()
            assert gc.isenabled()
            assert gc.get_freeze_count() > frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()  # leave this test process's collector as it was
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"


def test_user_blas_threads_and_enabled_collector_are_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    frozen = gc.get_freeze_count()
    imports_done()  # as under click's CliRunner: the collector was never paused
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    try:
        with lean_process():
            pass
    finally:
        gc.unfreeze()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"
