"""Memory per virtual user: RSS of one agentload process holding N idle VUs.

Each VU makes one request (so it owns a keep-alive connection, as a real VU
between requests does) and then thinks for longer than the run: the VUs are
idle. The generator runs in one process (``--workers 1``); its RSS is sampled
every 0.2 s with psutil and the peak during the hold is reported. The
per-VU figure is the slope between the smallest and the largest N, so the
interpreter's own baseline cancels out.

    .venv/bin/python bench/memory_per_vu/run.py [--vus 1000,5000,10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from agentload.target.process import TargetProcess

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = """
config:
  target: {url}
load:
  stages:
    - {{duration: {ramp}s, target: {vus}}}
    - {{duration: {hold}s, target: {vus}}}
  graceful_stop: 0s
flow:
  - get: {{url: /health, name: health}}
  - think: 600s
"""


def measure(
    url: str, vus: int, workdir: Path, ramp: float, hold: float
) -> tuple[float, float, int]:
    """Peak RSS (MiB) during the hold, RSS (MiB) before any VU, requests that succeeded."""
    path = workdir / f"vus{vus}.yaml"
    path.write_text(SCENARIO.format(url=url, vus=vus, ramp=ramp, hold=hold))
    cmd = [sys.executable, "-m", "agentload", "run", str(path), "-q", "--workers", "1"]
    cmd += ["--out", str(workdir / f"out{vus}"), "--no-preflight"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    start = time.monotonic()
    first = peak = 0.0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            break
        if not first and time.monotonic() - start > 1.5:
            first = rss  # imports done, no VU yet (the ramp starts with the run)
        if time.monotonic() - start > ramp + 2:
            peak = max(peak, rss)
        time.sleep(0.2)
    _, err = proc.communicate()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"agentload exited {proc.returncode}: {err[-2000:]}")
    summary = json.loads((workdir / f"out{vus}" / "summary.json").read_text())
    reqs = summary["metrics"]["http_reqs"]["count"]
    failed = summary["metrics"]["http_req_failed"]["true_count"]
    return peak, first, int(reqs - failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vus", default="1000,5000,10000")
    parser.add_argument("--ramp", type=float, default=10.0)
    parser.add_argument("--hold", type=float, default=15.0)
    args = parser.parse_args()
    sizes = [int(v) for v in args.vus.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * max(sizes) + 1000  # the target's sockets and ours
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        TargetProcess("--chat-latency", "constant:1ms") as target,
    ):
        for vus in sizes:
            peak, base, ok = measure(target.url, vus, Path(tmp), args.ramp, args.hold)
            rows.append((vus, base, peak))
            print(
                f"  {vus:>6} VUs: RSS {peak:7.1f} MiB (before the VUs: {base:.1f} MiB); "
                f"{ok:,} VUs got their response and hold a connection",
                flush=True,
            )
    (n0, _, r0), (n1, _, r1) = rows[0], rows[-1]
    per_vu_kib = (r1 - r0) * 1024 / (n1 - n0) if n1 != n0 else float("nan")
    print()
    print("| idle VUs (one keep-alive connection each) | peak RSS, one process |")
    print("|---:|---:|")
    for vus, _, peak in rows:
        print(f"| {vus:,} | {peak:.0f} MiB |")
    print(f"\nper VU: {per_vu_kib:.1f} KiB (slope {n0:,} → {n1:,} VUs)")
    verdict = "meets" if rows[-1][2] < 1024 and n1 >= 10_000 else "check"
    out = Path(__file__).resolve().parents[1] / "out" / "memory_per_vu.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "per_vu_kib": per_vu_kib,
                "rows": [{"vus": v, "rss_mib": p, "rss_before_mib": b} for v, b, p in rows],
            },
            indent=2,
        )
    )
    print(f"goal: 10,000 idle VUs under 1 GB in one process: {verdict} ({rows[-1][2]:.0f} MiB)")


if __name__ == "__main__":
    main()
