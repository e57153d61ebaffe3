"""stats.csv, history.csv and junit.xml, from a synthetic run built with the real metric APIs."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from agentload.metrics import Aggregate
from agentload.reports.csv_export import (
    HISTORY_COLUMNS,
    STATS_COLUMNS,
    render_history_csv,
    render_stats_csv,
)
from agentload.reports.junit import render_junit
from agentload.reports.timeline import build_timeline
from tests.unit.reports.synthetic import FORMULA_NAME, SECRET, SyntheticRun, make_run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> SyntheticRun:
    return make_run(tmp_path_factory.mktemp("run") / "results")


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_stats_csv_has_one_row_per_endpoint_matching_the_summary(run: SyntheticRun) -> None:
    text = render_stats_csv(run.summary["requests"])
    assert text.splitlines()[0] == ",".join(STATS_COLUMNS)
    table = rows(text)
    assert len(table) == len(run.summary["requests"])
    for row, req in zip(table, run.summary["requests"], strict=True):
        assert int(row["count"]) == req["count"]
        assert int(row["failed"]) == req["failed"]
        assert float(row["p95_ms"]) == pytest.approx(req["duration_ms"]["p95"], abs=1e-3)
        assert float(row["max_ms"]) == pytest.approx(req["duration_ms"]["max"], abs=1e-3)
        assert row["method"] == req["method"]
    failing = next(r for r in table if r["name"] == "send message")
    assert failing["status_codes"].startswith("200:") and " 500:" in failing["status_codes"]
    assert "http_5xx:" in failing["errors"]
    assert float(failing["failed_rate"]) == pytest.approx(
        int(failing["failed"]) / int(failing["count"]), abs=1e-6
    )


def test_stats_csv_neutralises_formulas_and_hides_secrets(run: SyntheticRun) -> None:
    text = render_stats_csv(run.summary["requests"])
    names = [r["name"] for r in rows(text)]
    assert "'" + FORMULA_NAME in names  # a spreadsheet shows it as text, never runs it
    assert SECRET not in text


def test_history_csv_has_one_row_per_interval_that_adds_up(run: SyntheticRun) -> None:
    table = rows(render_history_csv(build_timeline(run.snapshots)))
    assert list(table[0]) == list(HISTORY_COLUMNS)
    assert len(table) == len(run.snapshots)
    assert [float(r["t"]) for r in table] == [s.start for s in run.snapshots]
    assert sum(int(r["requests"]) for r in table) == run.summary["metrics"]["http_reqs"]["count"]
    assert (
        sum(int(r["failed"]) for r in table)
        == (run.summary["metrics"]["http_req_failed"]["true_count"])
    )
    assert sum(int(r["errors"]) for r in table) == sum(run.summary["errors"].values())
    # Percentiles are those of each interval's own samples, exactly.
    for row, snap in zip(table, run.snapshots, strict=True):
        one = Aggregate()
        one.add(snap)
        hist = one.trend("http_req_duration")
        assert hist is not None
        assert float(row["p99_ms"]) == pytest.approx(hist.percentile(99.0) / 1000, abs=1e-3)
        span = snap.end - snap.start
        assert float(row["requests_per_s"]) == pytest.approx(int(row["requests"]) / span)
    vus = [float(r["vus"]) for r in table]
    assert max(vus) == 20 and vus[-1] == 0


def test_history_csv_of_an_empty_run_is_just_the_header() -> None:
    assert render_history_csv(build_timeline([])) == ",".join(HISTORY_COLUMNS) + "\n"


def test_junit_has_one_suite_with_a_case_per_threshold(run: SyntheticRun) -> None:
    text = render_junit(run.summary)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    thresholds = run.summary["thresholds"]
    failed = [t for t in thresholds if not t["passed"]]
    assert len(failed) == 2  # p(99)<60 and rate<0.01 are crossed by construction
    assert suite.get("name") == "agentload: examples/synthetic.yaml"
    assert suite.get("tests") == str(len(thresholds)) == root.get("tests")
    assert suite.get("failures") == str(len(failed)) == root.get("failures")
    assert suite.get("errors") == "0" and suite.get("skipped") == "0"
    assert float(suite.get("time", "nan")) == pytest.approx(run.summary["run"]["duration_s"])
    assert suite.get("timestamp") == "2026-09-21T14:13:20"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        f"{t['metric']}: {t['expression']}" for t in thresholds
    ]
    for case, t in zip(cases, thresholds, strict=True):
        assert case.get("classname") == "agentload.thresholds"
        assert case.get("time") == "0"
        failure = case.find("failure")
        if t["passed"]:
            assert failure is None
            continue
        assert failure is not None
        assert failure.get("type") == "threshold"
        assert failure.get("message") == t["message"]
        assert f"observed: {t['observed']:g}" in (failure.text or "")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == "failed"
    assert SECRET not in text and "***" in (props["target"] or "")


def test_junit_without_thresholds_is_an_empty_passing_suite(run: SyntheticRun) -> None:
    summary = {**run.summary, "thresholds": [], "verdict": "passed"}
    suite = ET.fromstring(render_junit(summary)).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("0", "0")
    assert suite.findall("testcase") == []


def test_junit_marks_abort_thresholds_and_missing_samples(run: SyntheticRun) -> None:
    row = {
        "metric": "http_req_duration{name:nothing}",
        "expression": "p(95)<100",
        "passed": False,
        "observed": None,
        "abort_on_fail": True,
        "message": "no samples",
    }
    summary = {**run.summary, "thresholds": [row]}
    failure = ET.fromstring(render_junit(summary)).find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("type") == "threshold_abort"
    assert "observed: no samples" in (failure.text or "")


def test_files_are_in_the_results_directory(run: SyntheticRun) -> None:
    # The generator wrote a real results directory; the CSV/JUnit writers read it back.
    from agentload.reports.report_files import write_reports

    written = write_reports(run.path)
    assert [p.name for p in written] == ["report.html", "stats.csv", "history.csv", "junit.xml"]
    assert all(isinstance(p, Path) and p.stat().st_size > 0 for p in written)
    assert not list(run.path.glob("*.tmp"))
