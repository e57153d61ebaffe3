"""Two workers against one, each worker held to the same CPU budget by a CFS quota.

The goal "two workers ≥ 1.8× one" asks whether agentload's throughput grows
with the cores it is given: whether the multi-process executor (one worker per
core, snapshots merged by a coordinator) adds a shared bottleneck. On a machine
with two CPUs that also runs the target, two unlimited workers cannot show it:
nginx needs most of a core at these rates, so two workers get ~1.1 cores between
them whatever agentload does (bench/README.md).

So each worker gets a fixed slice of CPU instead of a core: a cgroup with a CFS
bandwidth quota of ``--quota`` CPUs (default 0.4: 40 ms of CPU every 100 ms).
The one-worker run is the whole ``agentload run --workers 1`` process in one
such cgroup; the two-worker run puts each worker process in its own cgroup with
the same quota, and leaves the coordinator (which only merges the workers'
snapshots once a second and writes the results) outside them, with its CPU
time reported. nginx runs pinned to CPU 0 as in http_throughput. Both runs use
the same scenario (one GET per iteration, status checked, 50 VUs, metrics on)
with ``--quiet``, so no dashboard is drawn in either. The figure is the ratio
of requests per second; the cgroups' throttling counters show the quota was
what bounded each worker.

Needs root and a cgroup ``cpu`` controller (v1 ``cpu.cfs_quota_us`` or v2
``cpu.max``); otherwise it says so and writes nothing.

    .venv/bin/python bench/worker_scaling/run.py [--duration 10] [--repeat 2] [--quota 0.4]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
from _nginx import Nginx, children_of, proc_cpu_seconds  # noqa: E402

AGENTLOAD = ROOT / ".venv" / "bin" / "agentload"
SCENARIO = HERE.parent / "http_throughput" / "scenario.yaml"
OUT_JSON = HERE.parent / "out" / "worker_scaling.json"
PERIOD_US = 100_000
GOAL = 1.8
BOUND = 0.8
"""A worker whose quota ran out in fewer periods than this was not held by it."""


class CpuQuota:
    """A cgroup holding its processes to ``cpus`` CPUs (v1 or v2 ``cpu`` controller)."""

    def __init__(self, name: str, cpus: float | None) -> None:
        v1 = Path("/sys/fs/cgroup/cpu")
        if (v1 / "cpu.cfs_quota_us").exists():
            self.path = v1 / name
            self.path.mkdir()
            quota = -1 if cpus is None else int(cpus * PERIOD_US)
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            v2 = Path("/sys/fs/cgroup")
            if "cpu" not in (v2 / "cgroup.controllers").read_text().split():
                raise OSError("no cgroup cpu controller")
            self.path = v2 / name
            self.path.mkdir()
            limit = "max" if cpus is None else str(int(cpus * PERIOD_US))
            (self.path / "cpu.max").write_text(f"{limit} {PERIOD_US}")

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def throttled(self) -> tuple[int, int]:
        """(periods, periods in which the quota ran out)."""
        stats = dict(
            line.split() for line in (self.path / "cpu.stat").read_text().splitlines() if line
        )
        return int(stats.get("nr_periods", 0)), int(stats.get("nr_throttled", 0))

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.rmdir()


@dataclass
class Run:
    workers: int
    repeat: int
    requests: int = 0
    duration_s: float = 0.0
    req_per_s: float = 0.0
    errors: int = 0
    worker_cpu_s: list[float] = field(default_factory=list)
    coordinator_cpu_s: float | None = None
    throttled: list[str] = field(default_factory=list)
    status: str = "ok"


def quota_bound(row: Run) -> bool:
    """True when every worker of the run used up its quota in most periods."""
    for text in row.throttled:
        throttled, periods = (int(x) for x in text.split("/"))
        if periods == 0 or throttled / periods < BOUND:
            return False
    return True


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def run_once(url: str, workers: int, repeat: int, quota: float, duration: float) -> Run:
    tag = f"agentload-bench-{os.getpid()}-{workers}w{repeat}"
    groups = [CpuQuota(f"{tag}-w{i}", quota) for i in range(workers)]
    coordinator = CpuQuota(f"{tag}-coord", None) if workers > 1 else groups[0]
    out = Path(tempfile.mkdtemp(prefix="agentload-scaling-"))
    row = Run(workers, repeat)
    cpu: dict[int, float] = {}
    try:
        # The shell joins the cgroup, then becomes agentload: no instant runs outside it.
        cmd = (
            f"echo $$ > {coordinator.path / 'cgroup.procs'} && exec {AGENTLOAD} run {SCENARIO}"
            f" --target {url} --vus 50 --duration {duration:g}s --out {out}"
            f" --workers {workers} --quiet"
        )
        proc = subprocess.Popen(["sh", "-c", cmd], stdout=subprocess.DEVNULL)
        placed: list[int] = []

        def watch() -> None:
            # Workers start in the coordinator's cgroup; each moves to its own
            # within ~10 ms, long before the start barrier (their imports take ~0.5 s).
            while proc.poll() is None:
                kids = children_of(proc.pid)
                for pid in kids:
                    if pid not in placed and len(placed) < workers and _is_worker(pid):
                        groups[len(placed)].add(pid)
                        placed.append(pid)
                for pid in [proc.pid, *kids]:
                    used = proc_cpu_seconds(pid)
                    if used:
                        cpu[pid] = used
                time.sleep(0.01)

        if workers == 1:
            placed.append(proc.pid)  # the run is the worker: already in its cgroup
        watcher = threading.Thread(target=watch)
        watcher.start()
        code = proc.wait(timeout=duration + 120)
        watcher.join()
        if code != 0:
            row.status = f"failed: agentload exited {code}"
            return row
        doc = json.loads((out / "summary.json").read_text())
        reqs = doc["metrics"]["http_reqs"]
        failed = doc["metrics"].get("http_req_failed", {})
        row.requests = int(reqs["count"])
        row.duration_s = float(doc["run"]["duration_s"])
        row.req_per_s = row.requests / row.duration_s
        row.errors = round(failed.get("rate", 0) * failed.get("total", 0))
        row.worker_cpu_s = [round(cpu.get(pid, 0.0), 2) for pid in placed]
        if workers > 1:
            row.coordinator_cpu_s = round(cpu.get(proc.pid, 0.0), 2)
        for group in groups:
            periods, throttled = group.throttled()
            row.throttled.append(f"{throttled}/{periods}")
        return row
    finally:
        for group in {*groups, coordinator}:
            group.remove()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--quota", type=float, default=0.4, help="CPUs per worker (CFS quota)")
    ap.add_argument("--out", type=Path, default=OUT_JSON)
    args = ap.parse_args()
    if not 0.05 <= args.quota <= 1.0:
        raise SystemExit("--quota must be between 0.05 and 1 CPU")
    if not 1 <= args.duration <= 120:
        raise SystemExit("--duration must be between 1 and 120 s")
    try:
        CpuQuota(f"agentload-bench-probe-{os.getpid()}", args.quota).remove()
    except OSError as exc:
        print(f"worker_scaling: not available here ({exc}): needs root and a cgroup cpu controller")
        return
    runs: list[Run] = []
    with Nginx(cpu=0) as nginx:
        for r in range(1, args.repeat + 1):
            for workers in (1, 2):  # interleaved
                runs.append(run_once(nginx.host, workers, r, args.quota, args.duration))
    print(f"# Worker scaling: each worker held to {args.quota:g} CPU (CFS quota)\n")
    print(
        f"Machine: {os.cpu_count()} CPUs, kernel {platform.release()}; nginx 1 worker on CPU 0; "
        f"{args.duration:g} s per run, 50 VUs, --quiet.\n"
    )
    print(
        "| workers | run | req/s | requests | errors | worker CPU s | coordinator CPU s | "
        "periods throttled |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in runs:
        if row.status != "ok":
            print(f"| {row.workers} | r{row.repeat} | {row.status} | | | | | |")
            continue
        coord = "–" if row.coordinator_cpu_s is None else f"{row.coordinator_cpu_s:.2f}"
        print(
            f"| {row.workers} | r{row.repeat} | {row.req_per_s:,.0f} | {row.requests:,} | "
            f"{row.errors} | {' + '.join(f'{c:.2f}' for c in row.worker_cpu_s)} | {coord} | "
            f"{', '.join(row.throttled)} |"
        )
    ratios = []
    unbound = []
    for r in range(1, args.repeat + 1):
        one = [x for x in runs if x.repeat == r and x.workers == 1 and x.status == "ok"]
        two = [x for x in runs if x.repeat == r and x.workers == 2 and x.status == "ok"]
        if one and two:
            ratios.append(two[0].req_per_s / one[0].req_per_s)
            unbound += [f"r{r}" for x in (one[0], two[0]) if not quota_bound(x)]
    if ratios:
        verdict = "meets" if min(ratios) >= GOAL else "misses"
        print(
            f"\nTwo workers / one: {', '.join(f'{x:.2f}×' for x in ratios)} "
            f"({verdict} the ≥ {GOAL}× goal in every run)"
        )
    if unbound:
        print(
            f"⚠ {', '.join(sorted(set(unbound)))}: a worker was throttled in fewer than "
            f"{BOUND:.0%} of periods, so the machine, not its quota, limited it: lower --quota"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "quota_cpus": args.quota,
                "duration_s": args.duration,
                "ratios": ratios,
                "quota_bound": not unbound,
                "runs": [asdict(x) for x in runs],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
