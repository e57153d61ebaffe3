"""The report's aggregation: timeline windows, latency heatmap, percentile curves, limits."""

from __future__ import annotations

import math

import pytest

from agentload.metrics import Aggregate, Recorder, Snapshot
from agentload.reports.distribution import build_curves, spectrum_percentiles
from agentload.reports.model import latency_limits
from agentload.reports.timeline import build_heatmap, build_timeline, window_size
from tests.unit.reports.synthetic import LOGIN, SECRET, SyntheticRun, make_run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> SyntheticRun:
    return make_run(tmp_path_factory.mktemp("run") / "results", seconds=9)


def merged(snapshots: tuple[Snapshot, ...] | list[Snapshot]) -> Aggregate:
    agg = Aggregate()
    for snap in snapshots:
        agg.add(snap)
    return agg


def test_window_size() -> None:
    assert window_size(10, 1200) == 1
    assert window_size(3600, 1200) == 3
    assert window_size(3601, 1200) == 4
    assert window_size(0, 10) == 1


def test_merged_windows_keep_totals_and_give_exact_percentiles(run: SyntheticRun) -> None:
    timeline = build_timeline(run.snapshots, max_points=4)
    assert timeline.window == 3 and len(timeline.points) == 3
    assert sum(p.requests for p in timeline.points) == run.aggregate.counter("http_reqs")
    for i, point in enumerate(timeline.points):
        window = merged(run.snapshots[i * 3 : i * 3 + 3])
        hist = window.trend("http_req_duration")
        assert hist is not None
        assert point.p99 == pytest.approx(hist.percentile(99.0) / 1000)
        assert (point.start, point.end) == (i * 3.0, i * 3.0 + 3.0)
        assert point.rps == pytest.approx(point.requests / 3.0)
    assert timeline.error_kinds == ("check_failed", "http_5xx")
    assert (
        sum(p.errors_by_kind.get("http_5xx", 0) for p in timeline.points)
        == (run.summary["errors"]["http_5xx"])
    )


def test_heatmap_counts_every_latency_sample_once(run: SyntheticRun) -> None:
    for max_points in (100, 2):
        heat = build_heatmap(run.snapshots, max_points=max_points, bands=30)
        assert heat is not None
        size = window_size(len(run.snapshots), max_points)
        assert len(heat.times) == len(heat.counts) == math.ceil(len(run.snapshots) / size)
        assert all(len(row) == len(heat.edges_ms) - 1 for row in heat.counts)
        assert list(heat.edges_ms) == sorted(set(heat.edges_ms))
        for i, row in enumerate(heat.counts):
            window = merged(run.snapshots[i * size : (i + 1) * size])
            hist = window.trend("http_req_duration")
            assert hist is not None and sum(row) == hist.count
        total = run.aggregate.trend("http_req_duration")
        assert total is not None
        assert heat.edges_ms[0] <= total.min / 1000 and heat.edges_ms[-1] > total.max / 1000


def test_heatmap_bands_hold_the_right_samples() -> None:
    rec = Recorder()
    for value in (1_000, 1_000, 50_000, 2_000_000):  # 1 ms twice, 50 ms, 2 s
        rec.trend("http_req_duration").add(value)
    heat = build_heatmap([rec.snapshot(start=0.0, end=1.0)], bands=12)
    assert heat is not None
    (row,) = heat.counts
    filled = {(heat.edges_ms[j], heat.edges_ms[j + 1]): n for j, n in enumerate(row) if n}
    assert list(filled.values()) == [2, 1, 1]
    for (lo, hi), value_ms in zip(filled, (1.0, 50.0, 2000.0), strict=True):
        assert lo <= value_ms * 1.001 and value_ms < hi * 1.001


def test_heatmap_of_a_run_without_latency_is_none() -> None:
    rec = Recorder()
    rec.gauge("vus").set(1)
    assert build_heatmap([rec.snapshot(start=0.0, end=1.0)]) is None
    assert build_heatmap([]) is None


def test_spectrum_percentiles() -> None:
    assert spectrum_percentiles(0) == ()
    assert spectrum_percentiles(1) == (0.0, 100.0)
    ps = spectrum_percentiles(10_000)
    assert ps[0] == 0.0 and ps[-1] == 100.0
    assert list(ps) == sorted(ps)
    assert any(p == pytest.approx(99.99) for p in ps)
    assert not any(99.99 < p < 100 for p in ps)  # 10k samples resolve p(99.99), no further


def test_curves_per_endpoint_are_monotonic_and_redacted(run: SyntheticRun) -> None:
    curves = build_curves(run.aggregate)
    assert curves[0].label == "all requests"
    assert curves[0].count == run.summary["metrics"]["http_req_duration"]["count"]
    assert len(curves) == len(run.summary["requests"]) + 1
    assert [c.count for c in curves[1:]] == sorted((c.count for c in curves[1:]), reverse=True)
    for curve in curves:
        assert list(curve.values_ms) == sorted(curve.values_ms)
        assert SECRET not in curve.label
    slowest = max(r["duration_ms"]["max"] for r in run.summary["requests"])
    assert curves[0].values_ms[-1] == pytest.approx(slowest)  # p(100) is the exact maximum
    assert any(c.label == "dashboard › " + LOGIN.replace(SECRET, "***") for c in curves)


def test_latency_limits_from_thresholds(run: SyntheticRun) -> None:
    limits = latency_limits(run.summary["thresholds"])
    assert [(lim.percentile, lim.limit_ms, lim.passed) for lim in limits] == [
        (95.0, 500.0, True),
        (99.0, 60.0, False),
    ]
    rows = [
        {"metric": "http_req_duration", "expression": "p(95)<<", "passed": True},
        {"metric": "http_req_duration", "expression": "avg<100", "passed": True},
    ]
    assert latency_limits(rows) == ()
