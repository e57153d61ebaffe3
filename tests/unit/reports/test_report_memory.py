"""Reports of a long run take bounded memory: an hour of intervals is streamed, never held.

The soak that found it: a 10-minute run at 400 req/s peaked at ~395 MB while
writing its report, because every line of ``timeseries.jsonl`` was decoded
into dense per-interval histograms and kept (plus one merged Aggregate per
chart window). Now the snapshots are checked once on load and re-read one at
a time by one-pass builders (reports/timeline.py), and ``compare`` keeps only
its bootstrap blocks (reports/compare_stats.py ``PercentileBlocks``).

The run here is 3,600 one-second intervals, written by the real
``ResultsDir``/``Snapshot`` codecs (tests/unit/reports/long_run.py: one
endpoint at 160 req/s with 200s and 500s, plus ``llm_ttft``). Peaks are
traced with ``tracemalloc``, which sees numpy's buffers too. Measured on this
very run (shared 2-core machine): the code before the change peaked at 907 MB
for ``write_reports`` and 1,229 MB for comparing it with a 5-minute run
(2,229 MB with itself: each run was loaded whole); now 33 MB and 23 MB (29 MB
with itself), of which ~25 MB is plotly.js inlined into report.html and a few
MB the bootstrap's resample matrices (both independent of duration).
The bounds leave room for noise and stay an order of magnitude below the old
figures.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agentload.metrics import Histogram, TrendData
from agentload.reports.compare import compare_runs
from agentload.reports.compare_html import render_compare_html
from agentload.reports.compare_stats import PercentileBlocks, bootstrap_percentile
from agentload.reports.report_files import write_reports
from agentload.reports.saved import ResultsError, load_results
from tests.unit.reports.long_run import make_long_run
from tests.unit.reports.synthetic import make_run

SECONDS = 3600
REPORT_BOUND_MB = 80.0
COMPARE_BOUND_MB = 80.0


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_long_run(tmp_path_factory.mktemp("long") / "results", seconds=SECONDS, size=1)


@pytest.fixture
def traced() -> Iterator[Callable[[], float]]:
    """Trace allocations for the test's duration; the callable gives the peak so far, MB."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_report_of_an_hour_long_run_takes_bounded_memory(
    long_run: Path, traced: Callable[[], float]
) -> None:
    written = write_reports(long_run)
    peak = traced()
    assert peak < REPORT_BOUND_MB, f"write_reports peaked at {peak:.1f} MB"
    names = {p.name for p in written}
    assert {"report.html", "history.csv"} <= names
    # history.csv still has one row per interval, in order.
    rows = (long_run / "history.csv").read_text().splitlines()
    assert len(rows) == SECONDS + 1
    assert [row.split(",", 1)[0] for row in rows[1:4]] == ["0", "1", "2"]
    assert 'id="fig-heatmap"' in (long_run / "report.html").read_text()


def test_compare_with_an_hour_long_baseline_takes_bounded_memory(
    long_run: Path, traced: Callable[[], float], tmp_path: Path
) -> None:
    # The new run is short (the test's time goes to streaming the hour, once per pass).
    short = make_long_run(tmp_path / "new", seconds=300, seed=12, size=1)
    tracemalloc.reset_peak()
    base, new = load_results(long_run), load_results(short)
    comparison = compare_runs(base, new)
    page = render_compare_html(comparison, base, new, "")
    peak = traced()
    assert peak < COMPARE_BOUND_MB, f"compare peaked at {peak:.1f} MB"
    # The same traffic: judged, and not a regression.
    assert comparison.judged >= 3
    assert not comparison.regressed
    ci: Any = comparison.trends[0].ci
    assert ci is not None and ci[0] <= 1.0 <= ci[1]
    assert "p95 and p50 latency over time" in page


def test_streamed_snapshots_are_what_the_file_holds(long_run: Path) -> None:
    saved = load_results(long_run)
    assert len(saved.snapshots) == SECONDS
    starts: list[float] = []
    lows: list[int] = []
    highs: list[int] = []
    chat_intervals = 0
    for snap in saved.snapshots:  # one pass: each line decoded once
        starts.append(snap.start)
        chat = False
        for key, data in snap.series.items():
            if key.metric == "http_req_duration" and isinstance(data, TrendData) and data.count:
                lows.append(data.min)
                highs.append(data.max)
                chat = chat or key.tag("name") == "chat"
        chat_intervals += chat
    assert starts == [float(s) for s in range(SECONDS)]
    # What loading noted (extremes, per-interval presence) matches the streamed data.
    assert saved.snapshots.extent("http_req_duration") == (min(lows), max(highs))
    assert saved.snapshots.extent("no_such_metric") is None
    assert chat_intervals == SECONDS
    assert saved.snapshots.intervals_with(lambda k: k.tag("name") == "chat") == SECONDS
    assert saved.snapshots.intervals_with(lambda k: k.tag("status") == "500") < SECONDS
    assert saved.snapshots.intervals_with(lambda k: False) == 0


def test_a_file_changed_after_loading_is_an_input_error(tmp_path: Path) -> None:
    run = make_run(tmp_path / "results", seconds=4)
    saved = load_results(run.path)
    path = run.path / "timeseries.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:2]))  # truncated behind our back
    with pytest.raises(ResultsError, match="changed while it was read"):
        list(saved.snapshots)
    path.write_bytes(b"".join(lines[:2]) + b"{torn\n" + b"".join(lines[3:]))
    with pytest.raises(ResultsError, match=r"timeseries\.jsonl:3: not an interval snapshot"):
        list(saved.snapshots)


def test_blocks_fed_unmerged_series_equal_the_bootstrap_of_merged_intervals() -> None:
    # Each interval's value is two series (e.g. two status codes of one endpoint):
    # PercentileBlocks takes them unmerged, bootstrap_percentile the merged histogram.
    rng = np.random.default_rng(5)
    intervals: list[tuple[Histogram, Histogram]] = []
    for _ in range(300):
        a, b = Histogram(), Histogram()
        a.record_array(rng.integers(1_000, 90_000, 40))
        b.record_array(rng.integers(50_000, 900_000, 3))
        intervals.append((a, b))
    merged = []
    for a, b in intervals:
        m = a.copy()
        m.add(b)
        merged.append(m)
    blocks = PercentileBlocks(len(intervals))
    for pair in intervals:
        blocks.add(pair)
    streamed = blocks.bootstrap(95.0, resamples=300, seed=9)
    whole = bootstrap_percentile(merged, 95.0, resamples=300, seed=9)
    assert streamed is not None and whole is not None
    assert np.array_equal(streamed, whole)
    assert float(streamed.min()) > 1_000  # a real spread of p95s, not an empty answer
    with pytest.raises(ValueError, match="more intervals"):
        blocks.add(intervals[0])
    short = PercentileBlocks(3)
    short.add(intervals[0])
    with pytest.raises(ValueError, match="1 intervals added, 3 announced"):
        short.bootstrap(95.0, resamples=10, seed=1)
    assert PercentileBlocks(0).bootstrap(95.0, resamples=10, seed=1) is None


def test_streaming_can_leave_unread_trends_undecoded(long_run: Path) -> None:
    saved = load_results(long_run)
    first = next(iter(saved.snapshots))
    only = next(saved.snapshots.iter_snapshots(trends=lambda m: m == "http_req_duration"))
    dropped = {k for k in first.series if k.metric == "llm_ttft"}
    assert dropped and not dropped & set(only.series)
    # Every other series is there, unchanged: counters, rates, gauges, the kept trend.
    assert {k: v for k, v in first.series.items() if k not in dropped} == dict(only.series)
