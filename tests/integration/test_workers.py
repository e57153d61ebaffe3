"""Two real worker processes against the reference target: the merge is exact.

Every worker's raw intervals are recorded on their way to the coordinator, so
the merged result can be checked against a reconstruction from them: counts
are sums, percentiles are those of all samples, the VU gauge adds up.
"""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from agentload.distributed import (
    DistributedResult,
    LocalProcessExecutor,
    ScenarioSource,
    WorkerJob,
    run_workers,
    scenario_fingerprint,
)
from agentload.distributed.executor import Received, WorkerEvent
from agentload.distributed.protocol import Interval
from agentload.engine.runner import StopReason
from agentload.errors import RunError
from agentload.metrics import Aggregate, GaugeData, Snapshot
from agentload.profiles import compile_plan

pytestmark = pytest.mark.slow


class Recording(LocalProcessExecutor):
    """The local executor, keeping a copy of every interval each worker sent."""

    def __init__(self, start_method: str | None = None) -> None:
        super().__init__(start_method)
        self.intervals: list[Interval] = []

    def poll(self, timeout: float) -> list[WorkerEvent]:
        events = super().poll(timeout)
        self.intervals += [
            e.message for e in events if isinstance(e, Received) and isinstance(e.message, Interval)
        ]
        return events


class Keep:
    def __init__(self) -> None:
        self.snapshots: list[Snapshot] = []

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        self.snapshots.append(snapshot)


def run(
    tmp_path: Path, text: str, workers: int = 2, start_method: str | None = None
) -> tuple[Recording, Keep, DistributedResult]:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    source = ScenarioSource.read(path, env={}, overrides={})
    sf = source.load()
    plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
    ex, keep = Recording(start_method), Keep()
    job = WorkerJob(source, scenario_fingerprint(sf), plan, workers)
    result = run_workers(job, ex, sinks=[keep])
    return ex, keep, result


def gauge(s: Snapshot, metric: str) -> GaugeData:
    found = [d for k, d in s.series.items() if k.metric == metric]
    assert len(found) == 1 and isinstance(found[0], GaugeData)
    return found[0]


def test_two_workers_add_up_exactly(tmp_path: Path, target_url: str) -> None:
    ex, keep, result = run(
        tmp_path,
        f"""
config: {{target: "{target_url}"}}
load:
  stages: [{{duration: 1s, target: 4}}, {{duration: 2s, target: 4}}]
flow:
  - post: {{url: /api/chat/messages, json: {{message: hi}}, expect: {{status: 200}}}}
  - think: 20ms
""",
    )
    run_result = result.run
    assert run_result.stop_reason is StopReason.COMPLETED and not result.failed
    agg = run_result.aggregate
    # Reconstruct the run from the raw worker intervals.
    by_worker: dict[int, Aggregate] = {0: Aggregate(), 1: Aggregate()}
    union = Aggregate()
    for message in ex.intervals:
        snapshot = Snapshot.from_dict(message.snapshot)
        by_worker[message.worker].add(snapshot)
        union.add(snapshot)
    counts = [by_worker[w].counter("http_reqs") for w in (0, 1)]
    assert all(c > 20 for c in counts), counts  # both workers carried load
    assert agg.counter("http_reqs") == sum(counts) == union.counter("http_reqs")
    assert agg.counter("iterations") == union.counter("iterations")
    assert agg.rate("checks") == union.rate("checks")
    merged, every = agg.trend("http_req_duration"), union.trend("http_req_duration")
    assert merged is not None and every is not None and merged.count == every.count
    for p in (50.0, 90.0, 95.0, 99.0, 100.0):
        assert merged.percentile(p) == every.percentile(p)
    assert (merged.min, merged.max, merged.sum) == (every.min, every.max, every.sum)
    # One merged line per interval, in order, each the sum of the workers' VUs.
    starts = [s.start for s in keep.snapshots]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for merged_snapshot in keep.snapshots:
        index = round(merged_snapshot.start)
        parts = [Snapshot.from_dict(m.snapshot) for m in ex.intervals if m.index == index]
        assert gauge(merged_snapshot, "vus").value == sum(gauge(p, "vus").value for p in parts)
    full = [s for s in keep.snapshots if s.end - s.start == pytest.approx(1.0)]
    assert max(gauge(s, "vus").value for s in full) == 4  # 2 + 2 while holding
    assert gauge(keep.snapshots[-1], "vus_max").value == 4
    # Worker processes are gone once the run returns.
    for status in result.workers:
        assert status.exit_code == 0 and not _alive(status.pid)


def test_an_open_model_run_splits_the_arrivals_exactly(tmp_path: Path, target_url: str) -> None:
    _, _, result = run(
        tmp_path,
        f"""
config: {{target: "{target_url}"}}
# graceful_stop: open-model runs currently wait it out even when idle (engine issue).
load: {{rate: 30, duration: 2s, max_vus: 10, graceful_stop: 1s}}
flow:
  - get: /health
""",
    )
    agg = result.run.aggregate
    # Evenly spaced arrivals: exactly rate × duration iterations, none dropped.
    assert agg.counter("iterations") == 60
    assert agg.counter("dropped_iterations") == 0


def test_the_forkserver_start_method_works_too(tmp_path: Path, target_url: str) -> None:
    ex, _, result = run(
        tmp_path,
        f"""
config: {{target: "{target_url}"}}
load: {{vus: 2, duration: 1s}}
flow:
  - get: /health
  - think: 20ms
""",
        start_method="forkserver",
    )
    assert ex.describe()["start_method"] == "forkserver"
    assert not result.failed
    assert result.run.aggregate.counter("http_reqs") > 10


def test_a_worker_that_loads_another_scenario_refuses_to_start(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "config: {target: 'http://127.0.0.1:1'}\nload: {vus: 2, duration: 1s}\nflow:\n  - get: /\n"
    )
    source = ScenarioSource.read(path, env={}, overrides={})
    sf = source.load()
    plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
    # As if a file the scenario reads had changed between the two loads.
    job = WorkerJob(source, "0" * 64, plan, 2)
    with pytest.raises(RunError, match="loaded differently") as info:
        run_workers(job, LocalProcessExecutor())
    assert str(info.value).endswith("no load was sent")


def _alive(pid: int | None) -> bool:
    if pid is None or not psutil.pid_exists(pid):
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE and pid != os.getpid()
    except psutil.NoSuchProcess:
        return False
