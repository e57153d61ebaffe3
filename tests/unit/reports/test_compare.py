"""Run comparison: the block bootstrap on known inputs, the decision rule on synthetic runs
(identical traffic passes, a shifted endpoint is flagged, thin data is not judged), the
console/JSON/HTML renderings."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from agentload.cli._compare import apply_baseline
from agentload.metrics import Aggregate, Histogram, Recorder
from agentload.reports.compare import CompareOptions, Verdict, compare_runs, parse_bound
from agentload.reports.compare_console import render_comparison
from agentload.reports.compare_html import render_compare_html
from agentload.reports.compare_stats import bootstrap_percentile, bootstrap_rate
from agentload.reports.junit import render_junit
from agentload.reports.results_dir import ResultsDir
from agentload.reports.saved import SavedRun, load_results
from agentload.reports.summary import RunInfo, build_summary

ENDPOINTS = (("chat", "POST", 40.0), ("kpis", "GET", 8.0))


def make_run(
    path: Path,
    *,
    seed: int,
    seconds: int = 10,
    rps: int = 40,
    slow: dict[str, float] | None = None,
    fail: dict[str, float] | None = None,
) -> SavedRun:
    """A results directory of lognormal traffic; ``slow`` multiplies an endpoint's latency,
    ``fail`` gives it a failure probability."""
    rng = random.Random(seed)
    rec, agg, out = Recorder(), Aggregate(), ResultsDir(path)
    for second in range(seconds):
        rec.gauge("vus").set(10)
        for name, method, mean_ms in ENDPOINTS:
            factor = (slow or {}).get(name, 1.0)
            for _ in range(rps):
                failed = rng.random() < (fail or {}).get(name, 0.0)
                status = "500" if failed else "200"
                tags = {"scenario": "default", "name": name, "method": method, "status": status}
                where = {k: v for k, v in tags.items() if k != "status"}
                us = int(rng.lognormvariate(0, 0.3) * mean_ms * factor * 1000)
                rec.trend("http_req_duration", tags).add(us)
                rec.counter("http_reqs", tags).add()
                rec.rate("http_req_failed", where).add(failed)
        snap = rec.snapshot(start=float(second), end=float(second + 1))
        agg.add(snap)
        out.on_snapshot(snap, agg, float(second + 1))
    out.close()
    info = RunInfo(
        run_id=f"run{seed}",
        scenario_file="s.yaml",
        target="http://127.0.0.1:8080",
        started_at=1_790_000_000.0,
        duration=float(seconds),
        planned_duration=float(seconds),
        stop_reason="completed",
        plan={},
        plan_description="open model: 80 iterations/s",
        version="0.1.0",
    )
    out.write_json("summary.json", build_summary(agg, info, (), exit_code=0))
    out.write_json("aggregate.json", agg.to_dict())
    return load_results(path)


def _hist(values: list[int]) -> Histogram:
    h = Histogram()
    h.record_array(np.array(values, dtype=np.int64))
    return h


def test_bootstrap_of_identical_intervals_is_exact() -> None:
    # Every interval holds the same samples: every resample has the same p95.
    hists = [_hist(list(range(1, 101))) for _ in range(6)]
    values = bootstrap_percentile(hists, 95.0, resamples=200, seed=1)
    assert values is not None and len(values) == 200
    assert set(values.tolist()) == {95.0}  # below 2048 a bucket group spans 8 µs: 88..95


def test_bootstrap_spread_follows_the_intervals() -> None:
    # Half the intervals are 10x slower: resampled p95s land at either level.
    hists = [_hist([100] * 50) for _ in range(5)] + [_hist([1000] * 50) for _ in range(5)]
    values = bootstrap_percentile(hists, 95.0, resamples=500, seed=2)
    assert values is not None
    assert set(np.unique(values).tolist()) <= {103.0, 1007.0}
    assert (values > 500).any() and (values < 500).any()


def test_bootstrap_rate_is_the_pooled_ratio() -> None:
    values = bootstrap_rate([(1, 10), (1, 10), (0, 0)], resamples=50, seed=3)
    assert values is not None and np.allclose(values, 0.1)
    assert bootstrap_rate([(0, 0)], resamples=5, seed=3) is None


@pytest.mark.parametrize(
    ("text", "value"), [("10%", 0.10), ("10", 0.10), ("0.1", 0.1), (" 25 % ", 0.25)]
)
def test_parse_bound(text: str, value: float) -> None:
    assert parse_bound(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["ten", "-5%", "nan", ""])
def test_parse_bound_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="percentage"):
        parse_bound(text)


def test_identical_traffic_is_not_a_regression(tmp_path: Path) -> None:
    # Same distributions, different random draws: the noise a rerun brings.
    for seed in range(3):
        base = make_run(tmp_path / f"a{seed}", seed=seed)
        new = make_run(tmp_path / f"b{seed}", seed=seed + 100)
        c = compare_runs(base, new)
        assert not c.regressed, c.regressions
        assert c.judged >= 6  # 3 latency rows + 3 error-rate rows


def test_a_slower_endpoint_is_flagged_alone(tmp_path: Path) -> None:
    base = make_run(tmp_path / "a", seed=1)
    new = make_run(tmp_path / "b", seed=2, slow={"kpis": 1.5})
    c = compare_runs(base, new)
    verdicts = {(r.endpoint, r.metric): r.verdict for r in c.trends}
    assert verdicts[("kpis", "http_req_duration")] is Verdict.REGRESSED
    assert verdicts[("chat", "http_req_duration")] is Verdict.UNCHANGED
    row = next(r for r in c.trends if r.endpoint == "kpis")
    assert row.ci is not None and 1.15 < row.ci[0] < 1.5 < row.ci[1]
    assert 0.3 < (row.change("p95") or 0) < 0.7
    assert c.regressed and any(
        line.startswith("kpis: http_req_duration p95") for line in c.regressions
    )
    # Faster is reported as improved, never as a regression.
    back = compare_runs(new, base)
    assert not back.regressed
    assert {r.endpoint: r.verdict for r in back.trends}["kpis"] is Verdict.IMPROVED


def test_a_regression_within_the_bound_passes(tmp_path: Path) -> None:
    base = make_run(tmp_path / "a", seed=1)
    new = make_run(tmp_path / "b", seed=2, slow={"kpis": 1.5})
    assert not compare_runs(base, new, CompareOptions(max_regression=0.8)).regressed


def test_small_absolute_changes_are_not_regressions(tmp_path: Path) -> None:
    base = make_run(tmp_path / "a", seed=1)
    new = make_run(tmp_path / "b", seed=2, slow={"kpis": 1.5})
    # kpis' p95 grows by ~6 ms: below a 10 ms floor it does not count.
    assert not compare_runs(base, new, CompareOptions(min_delta_ms=10.0)).regressed


def test_error_rate_regression(tmp_path: Path) -> None:
    base = make_run(tmp_path / "a", seed=1, fail={"chat": 0.01})
    same = make_run(tmp_path / "b", seed=2, fail={"chat": 0.01})
    worse = make_run(tmp_path / "c", seed=3, fail={"chat": 0.10})
    assert not compare_runs(base, same).regressed
    c = compare_runs(base, worse)
    rates = {r.endpoint: r for r in c.rates}
    assert rates["chat"].verdict is Verdict.REGRESSED
    assert rates["kpis"].verdict is Verdict.UNCHANGED
    assert rates["chat"].ci is not None and rates["chat"].ci[0] > 0.02


def test_thin_data_is_shown_but_not_judged(tmp_path: Path) -> None:
    base = make_run(tmp_path / "a", seed=1, seconds=2)
    new = make_run(tmp_path / "b", seed=2, seconds=2, slow={"kpis": 3.0})
    c = compare_runs(base, new)
    assert not c.regressed
    assert all(r.verdict is Verdict.NOT_JUDGED for r in c.trends)
    assert "too few intervals" in c.trends[0].reason


def test_renderings(tmp_path: Path) -> None:
    base = make_run(tmp_path / "a", seed=1)
    new = make_run(tmp_path / "b", seed=2, slow={"kpis": 1.5})
    c = compare_runs(base, new)
    buf = io.StringIO()
    render_comparison(c, Console(file=buf, width=200, color_system=None))
    text = buf.getvalue()
    assert "REGRESSION beyond 10%" in text and "✗ kpis: http_req_duration p95" in text
    doc = json.loads(json.dumps(c.to_dict()))
    assert doc["verdict"] == "regressed" and doc["latency"][0]["endpoint"] == "all requests"
    page = render_compare_html(c, base, new, "/* plotly */")
    assert page.startswith("<!DOCTYPE html>") and "REGRESSED" in page
    assert 'data-verdict="regressed"' in page
    for chart in ("latency", "throughput", "errors", "endpoints", "distribution"):
        assert f'data-figure="data-{chart}"' in page


class _Written:
    """A finished run's directory as execute_run holds it (ResultsDir would reopen the
    time series for writing)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write_json(self, name: str, data: object) -> None:
        (self.path / name).write_text(json.dumps(data))


def test_apply_baseline_gates_and_records(tmp_path: Path) -> None:
    base = make_run(tmp_path / "a", seed=1)
    make_run(tmp_path / "b", seed=2, slow={"kpis": 1.5})
    results = _Written(tmp_path / "b")
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    console = Console(file=io.StringIO(), width=160)
    code = apply_baseline(base.path, "10%", results, summary, 0, console)
    assert code == 1
    saved = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert saved["run"]["baseline"]["verdict"] == "regressed" and saved["exit_code"] == 1
    assert (tmp_path / "b" / "compare.html").is_file()
    junit = render_junit(saved)
    assert 'classname="agentload.baseline" name="baseline GET kpis: http_req_duration p95' in junit
    assert '<failure type="regression"' in junit
    # A threshold failure (exit 1) stays 1; a run failure (3) is not masked.
    assert apply_baseline(base.path, "10%", results, summary, 3, console) == 3


def test_apply_baseline_with_an_unreadable_baseline_warns(tmp_path: Path) -> None:
    make_run(tmp_path / "b", seed=2)
    results = _Written(tmp_path / "b")
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    out = io.StringIO()
    code = apply_baseline(tmp_path / "gone", "10%", results, summary, 0, Console(file=out))
    assert code == 0 and "warning: no baseline comparison" in out.getvalue()
    saved = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert saved["run"]["baseline"]["verdict"] == "error"
