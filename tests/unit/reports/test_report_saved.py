"""Reading a results directory back, and every way it can be missing or corrupt."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentload.errors import ExitCode
from agentload.reports import plotly_bundle
from agentload.reports.plotly_bundle import plotly_js_path, read_plotly_js
from agentload.reports.report_files import write_reports
from agentload.reports.saved import ResultsError, load_results
from tests.unit.reports.synthetic import SyntheticRun, make_run


@pytest.fixture
def run(tmp_path: Path) -> SyntheticRun:
    return make_run(tmp_path / "results", seconds=4)


def error_of(path: Path) -> str:
    with pytest.raises(ResultsError) as info:
        load_results(path)
    message = str(info.value)
    assert "\n" not in message  # one line for the user
    assert info.value.exit_code == ExitCode.BAD_INPUT
    return message


def test_loads_what_the_run_wrote(run: SyntheticRun) -> None:
    saved = load_results(run.path)
    assert saved.summary == run.summary
    assert [s.to_dict() for s in saved.snapshots] == [s.to_dict() for s in run.snapshots]
    assert saved.aggregate.to_dict() == run.aggregate.to_dict()


def test_missing_directory_or_a_file(tmp_path: Path) -> None:
    assert "no such directory" in error_of(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    assert "not a directory" in error_of(tmp_path / "file")


@pytest.mark.parametrize("name", ["summary.json", "timeseries.jsonl", "aggregate.json"])
def test_missing_file(run: SyntheticRun, name: str) -> None:
    (run.path / name).unlink()
    message = error_of(run.path)
    assert message.startswith(str(run.path / name)) and "missing" in message


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("summary.json", b"{not json", "not valid JSON"),
        ("summary.json", b'{"schema": "other/1"}', "not an agentload summary"),
        ("summary.json", b'{"schema": "agentload.summary/1", "run": {}}', "incomplete summary"),
        ("aggregate.json", b"[1, 2]", "not an aggregate"),
        ("aggregate.json", b'{"start": 0, "end": 1, "series": [{"metric": "x"}]}', "not a valid"),
    ],
)
def test_corrupt_file(run: SyntheticRun, name: str, content: bytes, needle: str) -> None:
    (run.path / name).write_bytes(content)
    message = error_of(run.path)
    assert message.startswith(str(run.path / name)) and needle in message


def test_corrupt_timeseries_line_is_named(run: SyntheticRun) -> None:
    path = run.path / "timeseries.jsonl"
    lines = path.read_bytes().splitlines()
    lines[2] = lines[2][:40]  # a torn line
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert error_of(run.path).startswith(f"{path}:3: not an interval snapshot")
    lines[2] = b'{"start": 2, "end": 3, "series": [{"metric": "m", "kind": "trend", "hist": "!!"}]}'
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert error_of(run.path).startswith(f"{path}:3: not an interval snapshot")


def test_a_reused_directory_reports_the_last_run(run: SyntheticRun, tmp_path: Path) -> None:
    # A second run with the same --out appends its intervals to timeseries.jsonl.
    other = make_run(tmp_path / "second", seconds=3, seed=1)
    path = run.path / "timeseries.jsonl"
    path.write_bytes(path.read_bytes() + (other.path / "timeseries.jsonl").read_bytes())
    saved = load_results(run.path)
    assert [s.to_dict() for s in saved.snapshots] == [s.to_dict() for s in other.snapshots]


def test_plotly_bundle_is_found_without_importing_plotly() -> None:
    assert plotly_js_path().name == "plotly.min.js"
    assert read_plotly_js().lstrip().startswith("/**")
    # In a fresh interpreter: plotly's Python package (seconds to import) stays unloaded.
    code = (
        "import sys; from agentload.reports.report_files import write_reports; "
        "from agentload.reports.plotly_bundle import read_plotly_js; read_plotly_js(); "
        "print(any(m == 'plotly' or m.startswith('plotly.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_plotly_is_a_clear_error(
    run: SyntheticRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plotly_bundle.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ResultsError, match="pip install plotly"):
        write_reports(run.path)
    assert not (run.path / "report.html").exists()


def test_write_reports_rewrites_in_place(run: SyntheticRun, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run.path, copy)
    first = {p.name: p.read_bytes() for p in write_reports(copy)}
    again = {p.name: p.read_bytes() for p in write_reports(copy)}
    assert first == again  # deterministic: same saved files, same reports
