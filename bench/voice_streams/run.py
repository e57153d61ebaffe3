"""How many concurrent Twilio-dialect calls one core sustains with send lateness p99 < 5 ms.

For each call count N: a sink agent (``sink.py``, its own process and core)
listens; a tester process pinned to one core (uvloop) opens N calls with
agentload's :class:`~agentload.protocols.voice.VoiceSession` and Twilio codec
(connected, start, then one ``media`` message per 20 ms per call: 160 µ-law
bytes, base64, in JSON — an utterance, then silence, as in a real call),
ramping the calls up over ``--ramp`` seconds. After a warm-up the pacer's own
send lateness (actual − scheduled send time of every frame) is collected for
``--seconds``. The table shows, per N, frames/s sent, lateness p50/p99/max and
the tester's CPU use and CPU µs per frame, split into user and system time
(getrusage; which a busy neighbour changes much less than the lateness: it
estimates what one whole core could carry), and the sink's CPU use; the answer
is the largest N with p99 < 5 ms.

    .venv/bin/python bench/voice_streams/run.py --calls 250,500,1000,1500 --seconds 10

``--sink-busy-poll`` then repeats every count against a sink that never sleeps
(sink.py: on loopback the tester's write() pays for waking a sleeping sink)
and writes both series, labelled, to the JSON (the sleeping sink stays the
headline). ``--client bare`` runs a bare picows pacer instead of agentload
(bare.py): the floor under agentload's cost (docs/decisions.md D22).

The machine may be shared: figures are noisy; the script prints the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bare import run_bare

HERE = Path(__file__).resolve().parent
GOAL_P99_MS = 5.0
OUT_JSON = HERE.parent / "out" / "voice_streams.json"


class _Window:
    """CPU (user, system) of this process and of the sink, and wall time, between two marks."""

    def __init__(self, sink_pid: int) -> None:
        self.sink_pid = sink_pid
        self.marks: list[tuple[float, float, float, float, float, int]] = []

    def _sink_cpu(self) -> tuple[float, float]:
        try:
            fields = Path(f"/proc/{self.sink_pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0, 0.0
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick  # utime, stime (proc(5))

    def mark(self) -> None:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        gcs = sum(s["collections"] for s in gc.get_stats())
        self.marks.append((time.perf_counter(), ru.ru_utime, ru.ru_stime, *self._sink_cpu(), gcs))

    def result(self) -> dict[str, float]:
        (w0, u0, s0, su0, ss0, g0), (w1, u1, s1, su1, ss1, g1) = self.marks[0], self.marks[-1]
        return {"wall": w1 - w0, "user": u1 - u0, "sys": s1 - s0, "cpu": u1 - u0 + s1 - s0,
                "sink_cpu": su1 - su0 + ss1 - ss0, "sink_sys": ss1 - ss0,
                "gc_collections": float(g1 - g0)}  # fmt: skip


def _summary(lateness: list[int], window: _Window, opened: int) -> dict[str, float]:
    late = np.array(lateness, dtype=np.int64) / 1e6
    return {"frames": float(len(late)), "open": opened, **window.result(),
            "p50": float(np.percentile(late, 50)), "p99": float(np.percentile(late, 99)),
            "max": float(late.max())}  # fmt: skip


def _tester(
    url: str, calls: int, seconds: float, ramp: float, warmup: float, *, sink_pid: int
) -> dict[str, float]:
    sessions: list[VoiceSession] = []
    window = _Window(sink_pid)

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
        window.mark()
        await asyncio.sleep(seconds)
        lateness: list[int] = []
        for session in sessions:
            lateness.extend(session.take_send_lateness())
        window.mark()
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        return _summary(lateness, window, len(sessions))

    return uvloop.run(main())


def _bare(
    url: str, calls: int, seconds: float, ramp: float, warmup: float, *, sink_pid: int
) -> dict[str, float]:
    window = _Window(sink_pid)

    async def main() -> dict[str, float]:
        lateness = await run_bare(url, calls, seconds, ramp, warmup, mark=window.mark)
        return _summary(lateness, window, calls)

    return uvloop.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", default="250,500,1000,1500")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--ramp", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--sink-busy-poll",
        action="store_true",
        help="the sink never sleeps in epoll (see sink.py); labelled in outputs",
    )
    parser.add_argument(
        "--client",
        choices=("agentload", "bare"),
        default="agentload",
        help="bare: a picows pacer without agentload (bare.py), for comparison",
    )
    parser.add_argument("--out", type=Path, default=OUT_JSON)
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # internal: url calls sink-pid
    args = parser.parse_args()
    if args.one:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        run = _bare if args.client == "bare" else _tester
        url, calls, sink_pid = args.one[0], int(args.one[1]), int(args.one[2])
        result = run(url, calls, args.seconds, args.ramp, args.warmup, sink_pid=sink_pid)
        print(json.dumps(result))
        return
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared)")
    best, rows = _series(args, busy_poll=False)
    out: dict[str, object] = {"goal_p99_ms": GOAL_P99_MS, "client": args.client,
                              "sink": "sleeping", "best_calls": best, "rows": rows}  # fmt: skip
    if args.sink_busy_poll:
        # Never instead of the sleeping-sink figure: beside it, labelled (sink.py).
        best_busy, rows_busy = _series(args, busy_poll=True)
        out["busy_poll_sink"] = {"sink": "busy-polling", "best_calls": best_busy,
                                 "rows": rows_busy}  # fmt: skip
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def _series(args: argparse.Namespace, *, busy_poll: bool) -> tuple[int, list[dict[str, float]]]:
    """Run every call count against a fresh sink; print the table; the best count and rows."""
    sink_mode = "busy-polling" if busy_poll else "sleeping"
    print(f"client: {args.client}; sink: {sink_mode} (sink.py)")
    print(f"{'calls':>6} {'open':>5} {'frames/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'cpu %':>6} {'µs/frame':>8} {'user':>6} {'sys':>6} {'sink %':>6}"
          "  p99<5ms")  # fmt: skip
    best = 0
    costs: list[float] = []
    rows: list[dict[str, float]] = []
    sink_args = ["--busy-poll"] if busy_poll else []
    for calls in (int(c) for c in args.calls.split(",")):
        sink = subprocess.Popen([sys.executable, str(HERE / "sink.py"), *sink_args],
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        try:
            assert sink.stdout is not None
            port = int(sink.stdout.readline().split()[1])
            proc = subprocess.run(
                [sys.executable, __file__, "--one", f"ws://127.0.0.1:{port}/stream", str(calls),
                 str(sink.pid), "--seconds", str(args.seconds), "--ramp", str(args.ramp),
                 "--warmup", str(args.warmup), "--client", args.client],
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
        frames = max(1.0, r["frames"])
        per_frame, user, system = (1e6 * r[k] / frames for k in ("cpu", "user", "sys"))
        best = max(best, calls) if ok else best
        rate = r["frames"] / r["wall"]
        print(f"{calls:>6} {r['open']:>5} {rate:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
              f"{r['max']:>8.1f} {100 * r['cpu'] / r['wall']:>6.0f} {per_frame:>8.1f} "
              f"{user:>6.1f} {system:>6.1f} {100 * r['sink_cpu'] / r['wall']:>6.0f}  "
              f"{'yes' if ok else 'no'}")  # fmt: skip
        costs.append(per_frame)
        rows.append({"calls": calls, **r, "cpu_us_per_frame": per_frame,
                     "user_us_per_frame": user, "sys_us_per_frame": system, "ok": ok})  # fmt: skip
    print(f"largest call count with send lateness p99 < {GOAL_P99_MS:g} ms on one core "
          f"({sink_mode} sink): {best}")  # fmt: skip
    if costs:
        # CPU per frame depends far less than lateness on how much CPU the neighbours
        # leave us: an estimate of one whole core's ceiling at 50 frames/s per call.
        cost = float(np.median(costs))
        print(
            f"CPU per frame (median) {cost:.1f} µs → one whole core at 100 % would carry "
            f"{1e6 / (50 * cost):.0f} calls"
        )
    return best, rows


if __name__ == "__main__":
    main()
