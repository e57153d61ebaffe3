"""CPU per request of ``HttpClient.send`` against the raw asyncio.Protocol floor.

    python bench/http_client_micro.py [--duration 3] [--concurrency 50] [--repeat 3]
                                      [--loop uvloop] [--only ours|raw] [--profile] [--loopback]

A minimal server runs in a separate process (on its own CPU when there are
two): it answers every request with a fixed keep-alive ``200`` and a 2-byte
body. The client process then runs, each for ``--duration`` seconds after a
short warm-up, with ``--concurrency`` keep-alive connections:

* ``ours``: one ``HttpClient`` per coroutine (one per virtual user, sharing one
  ``Deadlines``), each coroutine doing ``await client.send(origin, request)`` in
  a loop on a pre-encoded GET.
* ``raw``: an ``asyncio.Protocol`` per connection with ``httptools``; the next
  request is written from ``on_message_complete`` (no future, no coroutine).

Both check the status and record one latency sample per response. Reported:
requests/s and the client process's CPU (getrusage user+sys inside the
window) per request, for each of ``--repeat`` alternating runs, then the
medians (a shared or virtual machine is noisy: compare runs made together).
``--profile`` runs ``ours`` once under cProfile and prints the top functions.
``--loopback`` replaces the sockets with an in-process transport that answers
each write on the next loop turn: no server, no syscalls, just the Python cost
of each client (much steadier than the socket numbers).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing as mp
import os
import pstats
import resource
import statistics
import sys
import time
from array import array
from collections.abc import Callable, Coroutine
from multiprocessing.connection import Connection as Pipe
from typing import Any

import httptools

from agentload.protocols.http import Deadlines, HttpClient, Origin, encode_request
from agentload.protocols.http._connection import Connection

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
WARMUP_S = 0.5


# -- the server (separate process) -----------------------------------------------


class _Echo(asyncio.Protocol):
    """Answers each request head (GET, no body) with RESPONSE."""

    __slots__ = ("tail", "transport")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        window = self.tail + data
        count = window.count(b"\r\n\r\n")
        self.tail = window[-3:]
        if count and self.transport is not None:
            self.transport.write(RESPONSE * count)


def _serve(pipe: Pipe, cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Echo, "127.0.0.1", 0, backlog=1024)
        pipe.send(server.sockets[0].getsockname()[1])
        await loop.run_in_executor(None, pipe.recv)  # any message: stop
        server.close()

    _run(main, "uvloop")


def _run(main: Callable[[], Coroutine[Any, Any, None]], loop_name: str) -> None:
    if loop_name == "uvloop":
        import uvloop  # noqa: PLC0415 - optional, only when asked for

        uvloop.run(main())
    else:
        asyncio.run(main())


# -- the clients -------------------------------------------------------------------


class Stats:
    """Completed requests, errors and latency samples of one run."""

    __slots__ = ("errors", "lat", "requests", "running")

    def __init__(self) -> None:
        self.running = True
        self.requests = 0
        self.errors = 0
        self.lat = array("q")


async def _measure(stats: Stats, duration: float) -> tuple[int, float, float]:
    """Sleep through the warm-up, then measure a window; returns (requests, wall, cpu)."""
    await asyncio.sleep(WARMUP_S)
    n0, t0, ru0 = stats.requests, time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.sleep(duration)
    n1, t1, ru1 = stats.requests, time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    stats.running = False
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return n1 - n0, t1 - t0, cpu


class _Loopback:
    """A stand-in transport: each write is answered with RESPONSE on the next loop turn.

    With it the benchmark measures the Python cost alone (no syscalls), which is
    far less noisy than the socket numbers on a shared machine.
    """

    __slots__ = ("loop", "protocol")

    def __init__(self, protocol: asyncio.Protocol, loop: asyncio.AbstractEventLoop) -> None:
        self.protocol = protocol
        self.loop = loop

    def write(self, data: bytes) -> None:
        self.loop.call_soon(self.protocol.data_received, RESPONSE)

    def close(self) -> None:
        self.loop.call_soon(self.protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()


def _preconnect(client: HttpClient, origin: Origin, deadlines: Deadlines) -> None:
    # Bench-only use of internals: give the client one idle loopback connection.
    pool = client._pool_for(origin)
    conn = Connection(pool, deadlines)
    conn.transport = _Loopback(conn, asyncio.get_running_loop())  # type: ignore[assignment]
    pool.idle.append(conn)
    pool.all.add(conn)
    deadlines.watch(conn)


async def run_ours(
    port: int, concurrency: int, duration: float, loopback: bool
) -> tuple[int, float, float]:
    """``HttpClient.send`` from ``concurrency`` coroutines."""
    origin = Origin("http", "127.0.0.1", port)
    request = encode_request("GET", "/", host=origin.authority, headers=(), body=None)
    stats = Stats()
    deadlines = Deadlines()
    clients = [HttpClient(deadlines=deadlines) for _ in range(concurrency)]
    if loopback:
        for client in clients:
            _preconnect(client, origin, deadlines)

    async def user(client: HttpClient) -> None:
        lat = stats.lat
        while stats.running:
            response = await client.send(origin, request)
            lat.append(response.end_ns - response.start_ns)
            stats.requests += 1
            if response.status != 200:
                stats.errors += 1

    tasks = [asyncio.create_task(user(c)) for c in clients]
    result = await _measure(stats, duration)
    await asyncio.wait(tasks, timeout=5)
    for client in clients:
        await client.aclose()
    return result


class _Raw(asyncio.Protocol):
    __slots__ = ("parser", "request", "sent_at", "stats", "transport")

    def __init__(self, stats: Stats, request: bytes) -> None:
        self.stats = stats
        self.request = request
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.send()

    def send(self) -> None:
        self.sent_at = time.monotonic_ns()
        self.transport.write(self.request)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_message_complete(self) -> None:
        stats = self.stats
        stats.lat.append(time.monotonic_ns() - self.sent_at)
        stats.requests += 1
        if self.parser.get_status_code() != 200:
            stats.errors += 1
        if stats.running:
            self.send()


async def run_raw(
    port: int, concurrency: int, duration: float, loopback: bool
) -> tuple[int, float, float]:
    """The floor: one Protocol per connection, next request from on_message_complete."""
    loop = asyncio.get_running_loop()
    request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    stats = Stats()
    transports: list[asyncio.BaseTransport | _Loopback] = []
    for _ in range(concurrency):
        if loopback:
            protocol = _Raw(stats, request)
            transports.append(_Loopback(protocol, loop))
            protocol.connection_made(transports[-1])  # type: ignore[arg-type]
        else:
            connected = await loop.create_connection(
                lambda: _Raw(stats, request), "127.0.0.1", port
            )
            transports.append(connected[0])
    result = await _measure(stats, duration)
    for transport in transports:
        transport.close()
    return result


# -- the harness ---------------------------------------------------------------------


def _client_run(name: str, port: int, args: argparse.Namespace) -> tuple[int, float, float]:
    out: list[tuple[int, float, float]] = []
    runner = run_ours if name == "ours" else run_raw

    async def main() -> None:
        out.append(await runner(port, args.concurrency, args.duration, args.loopback))

    if args.profile and name == "ours":
        profile = cProfile.Profile()
        profile.runcall(_run, main, args.loop)
        pstats.Stats(profile).sort_stats("tottime").print_stats(18)
    else:
        _run(main, args.loop)
    return out[0]


def main() -> None:
    """Start the server process, run the clients, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--only", choices=("ours", "raw"))
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--loopback",
        action="store_true",
        help="no sockets: answer each write in-process, to measure the Python cost alone",
    )
    args = parser.parse_args()

    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, client_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = None
    port = 8080
    if not args.loopback:
        server = ctx.Process(target=_serve, args=(child, server_cpu), daemon=True)
        server.start()
        if not parent.poll(10):
            sys.exit("the server did not start")
        port = parent.recv()
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})
    names = [args.only] if args.only else ["raw", "ours"]
    where = "loopback (no sockets)" if args.loopback else f"server CPU {server_cpu}"
    print(
        f"{args.concurrency} connections, {args.duration:g} s windows, {args.loop}, "
        f"{where}, client CPU {client_cpu}"
    )
    print(f"{'client':<8} {'requests':>10} {'req/s':>10} {'CPU µs/req':>11}")
    per_request: dict[str, list[float]] = {name: [] for name in names}
    try:
        for _ in range(1 if args.profile else args.repeat):
            for name in names:
                requests, wall, cpu = _client_run(name, port, args)
                per = cpu / requests * 1e6 if requests else float("nan")
                per_request[name].append(per)
                print(f"{name:<8} {requests:>10} {requests / wall:>10.0f} {per:>11.2f}")
    finally:
        if server is not None:
            parent.send("stop")
            server.join(5)
    medians = {name: statistics.median(values) for name, values in per_request.items()}
    print("median CPU µs/request: " + ", ".join(f"{k} {v:.2f}" for k, v in medians.items()))
    if len(medians) == 2:
        print(f"ours - raw: {medians['ours'] - medians['raw']:+.2f} µs/request")


if __name__ == "__main__":
    main()
