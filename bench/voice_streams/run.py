"""How many concurrent Twilio-dialect calls one core sustains with send lateness p99 < 5 ms.

For each call count N: a sink agent (``sink.py``, its own process and core)
listens; a tester process pinned to one core (uvloop) opens N calls with
agentload's :class:`~agentload.protocols.voice.VoiceSession` and Twilio codec
(connected, start, then one ``media`` message per 20 ms per call: 160 µ-law
bytes, base64, in JSON — an utterance, then silence, as in a real call),
ramping the calls up over ``--ramp`` seconds. After a warm-up the pacer's own
send lateness (actual − scheduled send time of every frame) is collected for
``--seconds``. The table shows, per N, frames/s sent, lateness p50/p99/max and
the tester's CPU use and CPU µs per frame (which a busy neighbour changes much
less than the lateness: it estimates what one whole core could carry); the
answer is the largest N with p99 < 5 ms.

    .venv/bin/python bench/voice_streams/run.py --calls 250,500,1000,1500 --seconds 10

The machine may be shared: figures are noisy; the script prints the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import uvloop

from agentload.protocols.voice import Dialect, VoiceSession, make_codec

HERE = Path(__file__).resolve().parent
GOAL_P99_MS = 5.0
OUT_JSON = HERE.parent / "out" / "voice_streams.json"


def _tester(url: str, calls: int, seconds: float, ramp: float, warmup: float) -> dict[str, float]:
    sessions: list[VoiceSession] = []

    async def one(i: int, stop: asyncio.Event) -> None:
        await asyncio.sleep(ramp * i / calls)  # spread the calls' phases over the ramp
        session = await VoiceSession.open(url, make_codec(Dialect.TWILIO), timeout=30)
        sessions.append(session)
        # Speak one utterance (the sink never answers), then silence until the end.
        speaking = asyncio.create_task(session.say(session.utterance("hello"), timeout=3600))
        await stop.wait()
        speaking.cancel()

    async def main() -> dict[str, float]:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(one(i, stop)) for i in range(calls)]
        await asyncio.sleep(ramp + warmup)
        for session in sessions:  # forget the ramp and warm-up (connects, first frames)
            session.take_send_lateness()
        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        lateness: list[int] = []
        for session in sessions:
            lateness.extend(session.take_send_lateness())
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        late = np.array(lateness, dtype=np.int64) / 1e6
        return {"frames": float(len(late)), "wall": wall, "cpu": cpu, "open": len(sessions),
                "p50": float(np.percentile(late, 50)), "p99": float(np.percentile(late, 99)),
                "max": float(late.max())}  # fmt: skip

    return uvloop.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="250,500,1000,1500")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--ramp", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # internal: url calls
    args = parser.parse_args()
    if args.one:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        result = _tester(args.one[0], int(args.one[1]), args.seconds, args.ramp, args.warmup)
        print(json.dumps(result))
        return
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared)")
    print(f"{'calls':>6} {'open':>5} {'frames/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'cpu %':>6} {'cpu µs/frame':>12}  p99<5ms")  # fmt: skip
    best = 0
    costs: list[float] = []
    rows: list[dict[str, float]] = []
    for calls in (int(c) for c in args.calls.split(",")):
        sink = subprocess.Popen([sys.executable, str(HERE / "sink.py")], stdout=subprocess.PIPE,
                                text=True)  # fmt: skip
        try:
            assert sink.stdout is not None
            port = int(sink.stdout.readline().split()[1])
            proc = subprocess.run(
                [sys.executable, __file__, "--one", f"ws://127.0.0.1:{port}/stream", str(calls),
                 "--seconds", str(args.seconds), "--ramp", str(args.ramp),
                 "--warmup", str(args.warmup)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
        finally:
            sink.kill()
            sink.wait()
        if proc.returncode != 0:
            print(f"{calls:>6} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        ok = r["p99"] < GOAL_P99_MS
        per_frame = 1e6 * r["cpu"] / max(1.0, r["frames"])
        best = max(best, calls) if ok else best
        rate = r["frames"] / r["wall"]
        print(f"{calls:>6} {r['open']:>5} {rate:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
              f"{r['max']:>8.1f} {100 * r['cpu'] / r['wall']:>6.0f} {per_frame:>12.1f}  "
              f"{'yes' if ok else 'no'}")  # fmt: skip
        costs.append(per_frame)
        rows.append({"calls": calls, **r, "cpu_us_per_frame": per_frame, "ok": ok})
    print(f"largest call count with send lateness p99 < {GOAL_P99_MS:g} ms on one core: {best}")
    OUT_JSON.parent.mkdir(exist_ok=True)
    OUT_JSON.write_text(
        json.dumps({"goal_p99_ms": GOAL_P99_MS, "best_calls": best, "rows": rows}, indent=2)
    )
    if costs:
        # CPU per frame depends far less than lateness on how much CPU the neighbours
        # leave us: an estimate of one whole core's ceiling at 50 frames/s per call.
        cost = float(np.median(costs))
        print(
            f"CPU per frame (median) {cost:.1f} µs → one whole core at 100 % would carry "
            f"{1e6 / (50 * cost):.0f} calls"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
