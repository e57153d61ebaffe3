"""A synthetic long run (an hour of one-second intervals), written with the real codecs.

Histograms are filled with :meth:`Histogram.record_array` from seeded
lognormal draws (wide: 1 ms to seconds, as a slow LLM endpoint is), frozen
into :class:`Snapshot` objects and written by :class:`ResultsDir`, and the
summary comes from :func:`build_summary`: the directory is what ``agentload
run`` leaves behind, only faster to make. Used by the memory test and by the
before/after measurement in its docstring.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agentload.metrics import (
    Aggregate,
    CounterData,
    GaugeData,
    Histogram,
    RateData,
    SeriesData,
    SeriesKey,
    Snapshot,
    TrendData,
    make_tags,
)
from agentload.reports.results_dir import ResultsDir
from agentload.reports.summary import RunInfo, build_summary

__all__ = ["make_long_run"]

# (name, method, median latency ms, requests per second)
_ENDPOINTS = (
    ("chat", "POST", 180.0, 160),
    ("stream", "POST", 420.0, 120),
    ("login", "GET", 12.0, 80),
    ("health", "GET", 2.0, 40),
)
# Other latency trends (they feed the report's trend lines and compare's rows).
_TRENDS = (("llm_ttft", 250.0, 120), ("llm_itl", 30.0, 400), ("iteration_queue_time", 1.0, 100))


def _hist(rng: np.random.Generator, median_ms: float, n: int) -> Histogram:
    h = Histogram()
    h.record_array((rng.lognormal(0.0, 0.9, n) * median_ms * 1000).astype(np.int64) + 50)
    return h.freeze()


def _second(rng: np.random.Generator, second: int, slow: float, size: int) -> Snapshot:
    series: dict[SeriesKey, SeriesData] = {}
    for name, method, median, rps in _ENDPOINTS[:size]:
        where = {"scenario": "default", "name": name, "method": method}
        failed = int(rng.binomial(rps, 0.01))
        ok = rps - failed
        for status, n in (("200", ok), ("500", failed)):
            if not n:
                continue
            tags = make_tags({**where, "status": status})
            series[SeriesKey("http_req_duration", tags)] = TrendData(_hist(rng, median * slow, n))
            if size >= 3:  # a timing trend no report view reads (left undecoded when streaming)
                waiting = TrendData(_hist(rng, median * slow * 0.8, n))
                series[SeriesKey("http_req_waiting", tags)] = waiting
            series[SeriesKey("http_reqs", tags)] = CounterData(n)
            if status == "500":
                kind = make_tags({**where, "status": status, "kind": "http_5xx"})
                series[SeriesKey("errors", kind)] = CounterData(n)
        series[SeriesKey("http_req_failed", make_tags(where))] = RateData(failed, rps)
    for metric, median, n in _TRENDS[: max(size - 1, 1)]:
        tags = make_tags({"scenario": "default", "name": "chat"})
        series[SeriesKey(metric, tags)] = TrendData(_hist(rng, median * slow, n))
    series[SeriesKey("vus", make_tags({}))] = GaugeData(50, 50, 50)
    return Snapshot(float(second), float(second + 1), series)


def make_long_run(
    path: Path, *, seconds: int = 3600, seed: int = 11, slow: float = 1.0, size: int = 4
) -> Path:
    """Write a ``seconds``-interval results directory to ``path`` and return it.

    ``slow`` scales every latency (a second run with ``slow=1.3`` is a
    regression). ``size`` (1-4) is how many endpoints get traffic, and one
    fewer other latency trends (at least one); from 3 on, each endpoint and
    status also has ``http_req_waiting``. 4 is 400 requests/s over ~19 trend
    series per interval, 1 is 160 requests/s over ~3.
    """
    rng = np.random.default_rng(seed)
    agg = Aggregate()
    results = ResultsDir(path)
    for second in range(seconds):
        snap = _second(rng, second, slow, size)
        agg.add(snap)
        results.on_snapshot(snap, agg, float(second + 1))
    results.close()
    info = RunInfo(
        run_id=f"long{seed}",
        scenario_file="examples/long.yaml",
        target="http://127.0.0.1:8080",
        started_at=1_790_000_000.0,
        duration=float(seconds),
        planned_duration=float(seconds),
        stop_reason="completed",
        plan={"model": {"kind": "open"}},
        plan_description="open model: 400 iterations/s",
        version="0.1.0",
    )
    results.write_json("summary.json", build_summary(agg, info, [], exit_code=0))
    results.write_json("aggregate.json", agg.to_dict())
    return path
