"""Profile agentload's full per-request path against nginx, in-process.

Runs the real engine (YAML scenario → plan → closed-model executor → compiled
request → HTTP client → metrics, with the per-second snapshots on) for a few
seconds on uvloop, and prints CPU µs per request measured inside the load
window (no interpreter start-up), then the top functions by own time.

    .venv/bin/python bench/profile_hot_path.py [--duration 5] [--vus 50] [--profile]

Pinning: nginx on CPU 0, this process on CPU 1 (as bench/http_throughput does).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import time
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _nginx import Nginx

from agentload.engine.runner import Runner
from agentload.profiles import compile_plan
from agentload.scenario import load_scenario_text

SCENARIO = """
config: {{target: "{url}"}}
load: {{vus: {vus}, duration: {duration}s}}
flow:
  - get: {{url: /, name: root, expect: {{status: 200}}}}
{think}"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--vus", type=int, default=50)
    ap.add_argument("--profile", action="store_true", help="run under cProfile (slower)")
    ap.add_argument("--think", type=float, default=0.0,
                    help="think time per iteration in s (to measure per-second fixed costs)")
    args = ap.parse_args()
    with Nginx(cpu=0) as nginx:
        os.sched_setaffinity(0, {1})
        think = f"  - think: {args.think}s\n" if args.think else ""
        text = SCENARIO.format(url=nginx.url, vus=args.vus, duration=args.duration, think=think)
        sf = load_scenario_text(text, filename="profile.yaml", env={}, base_dir=Path("."))
        plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
        runner = Runner(sf, plan)
        prof = cProfile.Profile() if args.profile else None
        before = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        if prof:
            prof.enable()
        result = uvloop.run(runner.run())
        if prof:
            prof.disable()
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    n = result.aggregate.counter("http_reqs")
    print(
        f"requests {int(n):,} in {wall:.2f}s = {n / wall:,.0f} req/s; "
        f"CPU {cpu:.2f}s = {cpu / n * 1e6:.2f} µs/request (in-process, load window)"
    )
    if prof:
        stats = pstats.Stats(prof)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
