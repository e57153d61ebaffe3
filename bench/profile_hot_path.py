"""Profile agentload's full per-request path against nginx, in-process.

Runs the real engine (YAML scenario → plan → closed-model executor → compiled
request → HTTP client → metrics, with the per-second snapshots on) for a few
seconds on uvloop, and prints CPU µs per request measured inside the load
window (no interpreter start-up), then the top functions by own time.

    .venv/bin/python bench/profile_hot_path.py [--duration 5] [--vus 50] [--profile]
    .venv/bin/python bench/profile_hot_path.py --instructions [--duration 4]
    .venv/bin/python bench/profile_hot_path.py --loopback [--duration 5]
    .venv/bin/python bench/profile_hot_path.py --rate 400 --instructions --loopback

Pinning: nginx on CPU 0, this process on CPU 1 (as bench/http_throughput does).

``--profile`` prints the top functions by own time and by cumulative time, per
request (cProfile's own overhead included, so read them as shares).
``--instructions`` runs the load twice under valgrind's callgrind (for
``--duration`` and three times that), and divides the difference in executed
instructions by the difference in requests: start-up, imports and the final
report cancel out. Costs paid per unit of time (the 1 s snapshots, the 50 ms
deadline ticks) stay in; under callgrind the load runs at ~1k requests/s, so
they weigh more per request than at full speed, and more again when the
process gets less CPU. Per-request work itself does not depend on the
machine's other load, so this is the steadier figure to compare before and
after a change on a shared machine; repeat it, and keep other work light.
With ``--callgrind-out PATH`` it also lists the C functions (interpreter,
llhttp, uvloop, libc) that own most instructions per request.

``--rate R`` runs the open model instead: R arrivals per second on at most
``--vus`` VUs (under callgrind the process manages ~1-2k requests/s: keep R
below that, and the figure includes each arrival's own loop turns and timer).

``--loopback`` runs the same engine with connections whose transport answers
each request in-process on the next loop turn with nginx's response (its five
header fields): no sockets, no system calls, no nginx. What remains is the
Python (and llhttp, uvloop) cost of the product path alone, which is far
steadier than the socket figure on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _nginx import Nginx

from agentload.engine.runner import Runner
from agentload.profiles import compile_plan
from agentload.protocols.http import client as http_client
from agentload.protocols.http._connection import Connection
from agentload.scenario import load_scenario_text

try:
    from agentload.protocols.http._connect import Connector
except ImportError:  # a tree from before D18 (compare before/after with PYTHONPATH)
    Connector = None  # type: ignore[assignment,misc]

SCENARIO = """
config: {{target: "{url}"}}
load: {load}
flow:
  - get: {{url: /, name: root, expect: {{status: 200}}}}
{think}"""


# What bench/nginx.conf's `return 200 "ok"` sends (nginx 1.22, default_type text/plain).
NGINX_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 22 Nov 2026 04:00:00 GMT\r\n"
    b"Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"
)


class _Loopback:
    """A stand-in transport: each write is answered with NGINX_RESPONSE on the next turn."""

    __slots__ = ("loop", "protocol")

    def __init__(self, protocol: asyncio.Protocol, loop: asyncio.AbstractEventLoop) -> None:
        self.protocol = protocol
        self.loop = loop

    def write(self, data: bytes) -> None:
        self.loop.call_soon(self.protocol.data_received, NGINX_RESPONSE)

    def close(self) -> None:
        self.loop.call_soon(self.protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()


def _use_loopback() -> None:
    """Bench-only: make every new HTTP connection a loopback one (no socket)."""

    async def open_loopback(owner: Any, origin: Any, pool: Any, *_: Any) -> Connection:
        deadlines = getattr(owner, "deadlines", None) or owner._deadlines
        conn = Connection(pool, deadlines)
        conn.transport = _Loopback(conn, asyncio.get_running_loop())  # type: ignore[assignment]
        pool.all.add(conn)
        deadlines.watch(conn)
        return conn

    if Connector is not None:  # the connection opener (split from client.py in D18)
        Connector.open = open_loopback  # type: ignore[method-assign]
    else:  # before the split: HttpClient._open
        http_client.HttpClient._open = open_loopback  # type: ignore[attr-defined]


def _callgrind(
    duration: float, vus: int, keep: Path | None = None, extra: tuple[str, ...] = ()
) -> tuple[int, int]:
    """(instructions, requests) of one run of this script under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = keep or Path(tmp) / "callgrind.out"
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--duration",
            str(duration),
            "--vus",
            str(vus),
            *extra,
        ]
        run = subprocess.run(cmd, capture_output=True, text=True, check=True)
        requests = re.search(r"^requests ([\d,]+)", run.stdout, re.M)
        totals = re.search(r"^(?:totals|summary): (\d+)", out.read_text(), re.M)
        if requests is None or totals is None:
            raise SystemExit(f"no figures from callgrind:\n{run.stdout}\n{run.stderr[-2000:]}")
        return int(totals.group(1)), int(requests.group(1).replace(",", ""))


def _by_function(path: Path) -> dict[str, int]:
    """Own (exclusive) instructions per function of a callgrind file."""
    text = subprocess.run(
        ["callgrind_annotate", "--threshold=100", "--inclusive=no", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out: dict[str, int] = {}
    for m in re.finditer(r"^\s*([\d,]+) \([^)]*\)\s+(\S[^\[]*?)(?: \[(.*)\])?$", text, re.M):
        if m.group(2).startswith("PROGRAM TOTALS"):
            continue
        # file:function -> function; callgrind's recursion levels ('2) and the
        # entries it lists without their object file are merged by name.
        name = re.sub(r"'\d+$", "", m.group(2).split(":", 1)[-1]).strip()
        out[name] = out.get(name, 0) + int(m.group(1).replace(",", ""))
    return out


def instructions(
    duration: float, vus: int, keep: Path | None, extra: tuple[str, ...] = (), count: int = 25
) -> None:
    """Print executed instructions per request (the difference of two runs).

    With ``keep``, both callgrind files are kept (``keep``.short, ``keep``.long)
    and the functions that own most instructions per request are listed (C level:
    the interpreter, llhttp, uvloop, libc; Python functions are inside
    ``_PyEval_EvalFrameDefault``).
    """
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    short = keep.with_suffix(".short") if keep else None
    long = keep.with_suffix(".long") if keep else None
    i1, n1 = _callgrind(duration, vus, short, extra)
    i2, n2 = _callgrind(3 * duration, vus, long, extra)
    print(
        f"callgrind: {n1:,} requests in {duration:g}s, {n2:,} in {3 * duration:g}s; "
        f"{(i2 - i1) / (n2 - n1):,.0f} instructions per request"
    )
    if short and long:
        a, b = _by_function(short), _by_function(long)
        per = {k: (b.get(k, 0) - a.get(k, 0)) / (n2 - n1) for k in b.keys() | a.keys()}
        print(f"top {count} functions by own instructions per request:")
        for name, value in sorted(per.items(), key=lambda kv: -kv[1])[:count]:
            print(f"  {value:8,.0f}  {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--vus", type=int, default=50)
    ap.add_argument("--profile", action="store_true", help="run under cProfile (slower)")
    ap.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="think time per iteration in s (to measure per-second fixed costs)",
    )
    ap.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="open model: this many arrivals/s (at most --vus VUs) instead of --vus closed",
    )
    ap.add_argument(
        "--loopback",
        action="store_true",
        help="no sockets and no nginx: the Python cost of the path alone",
    )
    ap.add_argument(
        "--no-chains",
        action="store_true",
        help="run every request as a coroutine (no request chains, D20): to compare",
    )
    ap.add_argument(
        "--instructions",
        action="store_true",
        help="instructions per request under callgrind (two runs, slow)",
    )
    ap.add_argument(
        "--callgrind-out",
        type=Path,
        default=None,
        help="keep both callgrind files (PATH.short, PATH.long) and list the "
        "top functions per request",
    )
    args = ap.parse_args()
    if args.instructions:
        extra = (
            (("--loopback",) if args.loopback else ())
            + (("--no-chains",) if args.no_chains else ())
            + (("--rate", str(args.rate)) if args.rate else ())
        )
        instructions(args.duration, args.vus, args.callgrind_out, extra)
        return
    if args.loopback:
        _use_loopback()
    with Nginx(cpu=0) as nginx:  # with --loopback nginx only lends its URL
        os.sched_setaffinity(0, {1})
        think = f"  - think: {args.think}s\n" if args.think else ""
        load = (
            f"{{rate: {args.rate}, duration: {args.duration}s, max_vus: {args.vus}}}"
            if args.rate
            else f"{{vus: {args.vus}, duration: {args.duration}s}}"
        )
        text = SCENARIO.format(url=nginx.url, load=load, think=think)
        sf = load_scenario_text(text, filename="profile.yaml", env={}, base_dir=Path("."))
        plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
        runner = Runner(sf, plan, request_chains=not args.no_chains)
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
    user = after.ru_utime - before.ru_utime
    system = after.ru_stime - before.ru_stime
    cpu = user + system
    n = result.aggregate.counter("http_reqs")
    print(
        f"requests {int(n):,} in {wall:.2f}s = {n / wall:,.0f} req/s; "
        f"CPU {cpu:.2f}s = {cpu / n * 1e6:.2f} µs/request "
        f"(user {user / n * 1e6:.2f}, system {system / n * 1e6:.2f}; in-process, load window"
        f"{', loopback: no sockets' if args.loopback else ''})"
    )
    if prof:
        top(pstats.Stats(prof), int(n))


def top(stats: pstats.Stats, requests: int, count: int = 20) -> None:
    """The top functions by own and by cumulative time, in µs per request."""
    rows = stats.stats  # type: ignore[attr-defined]
    for title, column in (("own", 2), ("cumulative", 3)):
        print(f"\ntop {count} by {title} time (µs per request; calls per request)")
        ranked = sorted(rows.items(), key=lambda kv: kv[1][column], reverse=True)[:count]
        for (path, line, name), (_cc, calls, tt, ct, _callers) in ranked:
            where = f"{Path(path).name}:{line}" if line else path
            print(
                f"  {tt / requests * 1e6:7.2f} {ct / requests * 1e6:7.2f} "
                f"{calls / requests:6.2f}  {name} ({where})"
            )


if __name__ == "__main__":
    main()
