"""A synthetic but real results directory, built with the engine's own metric APIs.

Samples go through :class:`Recorder` → :class:`Snapshot` → :class:`Aggregate`
exactly as in a run, thresholds are parsed and evaluated, the summary comes
from :func:`build_summary`, and :class:`ResultsDir` writes the files. Only the
traffic is made up (seeded, so every test sees the same numbers).

The run has two scenarios, a request that fails with 500s for a while, a
request name carrying a secret and one carrying HTML, and a target URL with
credentials: everything the report renderers must handle.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentload.metrics import Aggregate, Recorder, Snapshot
from agentload.reports.results_dir import ResultsDir
from agentload.reports.summary import RunInfo, build_summary
from agentload.thresholds import evaluate, parse_threshold

SECRET = "SuperSecret123"
TARGET = f"http://admin:{SECRET}@127.0.0.1:8080"
LOGIN = f"/login?api_key={SECRET}"
HTML_NAME = "<script>alert(1)</script>"
FORMULA_NAME = "=HYPERLINK(1)"

# (scenario, name, method, mean latency ms, requests per second)
ENDPOINTS = (
    ("chat", "send message", "POST", 40.0, 30),
    ("chat", "follow up", "POST", 25.0, 30),
    ("dashboard", LOGIN, "GET", 2.0, 10),
    ("dashboard", HTML_NAME, "GET", 5.0, 5),
    ("dashboard", FORMULA_NAME, "GET", 1.0, 2),
)
THRESHOLDS = (
    ("http_req_duration", "p(95)<500"),
    ("http_req_duration", "p(99)<60"),
    ("http_req_failed", "rate<0.01"),
    ("checks", "rate>0.5"),
)


@dataclass(frozen=True)
class SyntheticRun:
    """What was generated: the directory and the objects behind its files."""

    path: Path
    snapshots: tuple[Snapshot, ...]
    aggregate: Aggregate
    summary: dict[str, Any]


def _record_second(rec: Recorder, rng: random.Random, second: int, seconds: int) -> None:
    ramp = min(1.0, (second + 1) / 3)  # three seconds of ramp-up
    rec.gauge("vus").set(round(20 * ramp))
    for scenario, name, method, mean_ms, rps in ENDPOINTS:
        # Seconds 4-5: send message answers 500 a fifth of the time.
        failing = name == "send message" and 4 <= second <= 5
        for _ in range(max(1, round(rps * ramp))):
            status = "500" if failing and rng.random() < 0.2 else "200"
            tags = {"scenario": scenario, "name": name, "method": method, "status": status}
            where = {"scenario": scenario, "name": name, "method": method}
            latency_us = max(50, int(rng.lognormvariate(0, 0.5) * mean_ms * 1000))
            rec.trend("http_req_duration", tags).add(latency_us)
            rec.counter("http_reqs", tags).add()
            rec.rate("http_req_failed", where).add(status == "500")
            rec.rate("checks", {**where, "check": "status is 200"}).add(status == "200")
            if status == "500":
                rec.counter("errors", {**tags, "kind": "http_5xx"}).add()
                rec.counter("errors", {**tags, "kind": "check_failed"}).add()
    if second == seconds - 1:
        rec.gauge("vus").set(0)


def make_run(path: Path, *, seconds: int = 8, seed: int = 7) -> SyntheticRun:
    """Generate a run of ``seconds`` one-second intervals into the results directory ``path``."""
    rng = random.Random(seed)
    rec = Recorder()
    agg = Aggregate()
    results = ResultsDir(path)
    snapshots = []
    for second in range(seconds):
        _record_second(rec, rng, second, seconds)
        snap = rec.snapshot(start=float(second), end=float(second + 1))
        agg.add(snap)
        results.on_snapshot(snap, agg, float(second + 1))
        snapshots.append(snap)
    results.close()
    thresholds = [parse_threshold(metric, expr) for metric, expr in THRESHOLDS]
    verdicts = evaluate(thresholds, agg, elapsed=float(seconds))
    code = 0 if all(r.passed for r in verdicts) else 1
    info = RunInfo(
        run_id="synthetic01",
        scenario_file="examples/synthetic.yaml",
        target=TARGET,
        started_at=1_790_000_000.0,
        duration=float(seconds),
        planned_duration=float(seconds),
        stop_reason="completed",
        plan={"model": {"kind": "closed"}},
        plan_description="closed model: 0 → 20 VUs over 3s\nhold 20 VUs",
        version="0.1.0",
    )
    summary = build_summary(agg, info, verdicts, exit_code=code)
    results.write_json("plan.json", {"model": {"kind": "closed"}})
    results.write_json("summary.json", summary)
    results.write_json("aggregate.json", agg.to_dict())
    return SyntheticRun(path, tuple(snapshots), agg, summary)
