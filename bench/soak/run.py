"""Soak: a long run at a moderate rate; memory and lateness must stay flat.

One agentload process (``--workers 1``) sends an open-model load (arrivals
on a fixed schedule) to the reference target for ``--duration`` seconds.
Every 5 s the generator's RSS is sampled with psutil. From the run's own
``timeseries.jsonl``, per minute: requests/s, and how late iterations
started against the plan (``iteration_queue_time`` mean and max: the
generator's scheduling lag, which grows if the event loop falls behind), and
the event-loop lag itself (``gen_loop_lag``) where the run recorded it.

Pass: RSS growth after the first minute (warm-up: pools, histograms, caches)
under 5 %, and no upward trend in lateness.

    .venv/bin/python bench/soak/run.py [--duration 600] [--rate 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import psutil

from agentload.target.process import TargetProcess

SCENARIO = """
config:
  target: {url}
load:
  rate: {rate}
  duration: {duration}s
  max_vus: 200
flow:
  - get: {{url: /health, name: health, expect: {{status: 200}}}}
  - post:
      url: /api/chat/messages
      name: chat
      json: {{message: "hello"}}
      expect: {{status: 200}}
"""


def per_minute(timeseries: Path) -> list[dict[str, float]]:
    """Per-minute requests/s, iteration lateness (mean, max) and loop lag (mean, max), in ms."""
    acc: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for line in timeseries.read_text().splitlines():
        row = json.loads(line)
        minute = int(row["start"] // 60)
        a = acc[minute]
        a["seconds"] += row["end"] - row["start"]
        for s in row["series"]:
            metric = s["metric"]
            if metric == "http_reqs":
                a["reqs"] += s["value"]
            elif metric in ("iteration_queue_time", "gen_loop_lag") and s["count"]:
                a[f"{metric}.sum"] += s["sum"]
                a[f"{metric}.count"] += s["count"]
                a[f"{metric}.max"] = max(a[f"{metric}.max"], s["max"])
    out = []
    for minute in sorted(acc):
        a = acc[minute]
        row = {"minute": float(minute), "rps": a["reqs"] / max(a["seconds"], 1e-9)}
        for metric, key in (("iteration_queue_time", "late"), ("gen_loop_lag", "lag")):
            n = a[f"{metric}.count"]
            row[f"{key}_mean_ms"] = a[f"{metric}.sum"] / n / 1000 if n else float("nan")
            row[f"{key}_max_ms"] = a[f"{metric}.max"] / 1000 if n else float("nan")
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=600)
    parser.add_argument("--rate", type=float, default=200)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        TargetProcess("--chat-latency", "constant:2ms") as target,
    ):
        path = Path(tmp) / "soak.yaml"
        path.write_text(SCENARIO.format(url=target.url, rate=args.rate, duration=args.duration))
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "agentload", "run", str(path), "-q", "--workers", "1"]
        cmd += ["--out", str(out)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ps = psutil.Process(proc.pid)
        start = time.monotonic()
        rss: list[tuple[float, float]] = []
        while proc.poll() is None:
            try:
                rss.append((time.monotonic() - start, ps.memory_info().rss / 2**20))
            except psutil.NoSuchProcess:
                break
            time.sleep(2)
        _, err = proc.communicate()
        if proc.returncode not in (0, 1):
            raise SystemExit(f"agentload exited {proc.returncode}: {err[-2000:]}")
        minutes = per_minute(out / "timeseries.jsonl")
        summary = json.loads((out / "summary.json").read_text())
    # Samples after the load (writing the report) are not the run's memory.
    during = [(t, r) for t, r in rss if t <= args.duration]
    warm = [r for t, r in during if 60 <= t <= args.duration - 5]
    print(f"soak: {args.duration} s at {args.rate:g} it/s (2 requests each), one process")
    print(
        f"requests: {summary['metrics']['http_reqs']['count']:,}, "
        f"failed: {summary['metrics']['http_req_failed']['rate']:.4%}"
    )
    print()
    print("| minute | req/s | late mean | late max | loop lag mean | loop lag max |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in minutes:
        print(
            f"| {r['minute']:.0f} | {r['rps']:.0f} | {r['late_mean_ms']:.2f} ms | "
            f"{r['late_max_ms']:.1f} ms | {r['lag_mean_ms']:.2f} ms | {r['lag_max_ms']:.1f} ms |"
        )
    print()
    if warm:
        growth = (warm[-1] - warm[0]) / warm[0]
        print(
            f"RSS after warm-up (t = 60 s): {warm[0]:.1f} MiB; at the end: {warm[-1]:.1f} MiB; "
            f"peak {max(r for _, r in during):.1f} MiB; growth {growth:+.1%} (goal: < 5 %)"
        )


if __name__ == "__main__":
    main()
