"""CPU per WebSocket echo round trip: picows, aiohttp and websockets clients side by side.

    python bench/ws_echo/run.py [--duration 5] [--connections 20] [--repeat 2]
                                [--size 64] [--loop uvloop|asyncio] [--only a,b]

One echo server (picows, the cheapest we have, so it steals the least CPU)
runs in its own process, pinned to CPU 0 when there are two. Each client runs
in a fresh process pinned to CPU 1, opens ``--connections`` connections and on
each keeps one text message of ``--size`` bytes in flight: send, await the
echo, send again. After a 0.5 s warm-up it counts round trips for
``--duration`` seconds and reads its own CPU (getrusage user+sys) over that
window. Reported per client: round trips/s, **CPU µs per round trip** (the
figure to compare), and the median round-trip time.

Clients (rows):

* ``picows``: a ``picows.WSListener`` that sends the next message from
  ``on_ws_frame`` — the library's own idiom, no coroutine per message.
* ``agentload``: :class:`agentload.protocols.ws.WsConnection` (the driver on
  picows) with ``await conn.recv()`` in a coroutine per connection — what a
  scenario's ``ws`` step pays.
* ``agentload-session``: :class:`agentload.engine.ws.WsSession` — ``send_text``
  then ``expect`` with a JSONPath predicate (``$.type == "done"``), every
  ``ws_*`` metric recorded and drained each second: the ``ws`` step's cost per
  exchange, without the scenario around it.
* ``aiohttp``: ``ClientSession.ws_connect`` with ``await ws.receive()``.
* ``websockets``: ``websockets.asyncio.client.connect`` with ``await ws.recv()``.

The machine may be shared: run the tools interleaved (``--repeat``) and
compare figures from the same invocation. Results also go to
``bench/out/ws_echo.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import time
from array import array
from collections.abc import Callable, Coroutine
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

WARMUP_S = 0.5
Result = tuple[int, float, float]  # round trips, window s, CPU s
CLIENTS = ("picows", "agentload", "agentload-session", "aiohttp", "websockets")
OUT = Path(__file__).resolve().parent.parent / "out" / "ws_echo.json"


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {cpu})


def _run(main: Callable[[], Coroutine[Any, Any, Any]], loop_name: str) -> Any:
    if loop_name == "uvloop":
        import uvloop  # noqa: PLC0415 - only when asked for

        return uvloop.run(main())
    return asyncio.run(main())


# -- server (own process) ------------------------------------------------------------


def _serve(pipe: Pipe, loop_name: str) -> None:
    import picows  # noqa: PLC0415

    _pin(0)

    class Echo(picows.WSListener):  # type: ignore[misc]
        def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
            if frame.msg_type is picows.WSMsgType.TEXT:
                transport.send(picows.WSMsgType.TEXT, frame.get_payload_as_bytes())
            elif frame.msg_type is picows.WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()

    async def main() -> None:
        server = await picows.ws_create_server(lambda _req: Echo(), "127.0.0.1", 0)
        pipe.send(server.sockets[0].getsockname()[1])
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        server.close()

    _run(main, loop_name)


# -- clients (each in its own process) ---------------------------------------------------


class Stats:
    __slots__ = ("count", "lat", "running")

    def __init__(self) -> None:
        self.running = True
        self.count = 0
        self.lat = array("q")


async def _measure(stats: Stats, duration: float) -> Result:
    await asyncio.sleep(WARMUP_S)
    n0, t0, ru0 = stats.count, time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    mark = len(stats.lat)
    await asyncio.sleep(duration)
    n1, t1, ru1 = stats.count, time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    stats.running = False
    del stats.lat[:mark]
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return n1 - n0, t1 - t0, cpu


async def client_picows(url: str, conns: int, payload: bytes, duration: float) -> Result:
    import picows  # noqa: PLC0415

    stats = Stats()
    text = picows.WSMsgType.TEXT

    class Client(picows.WSListener):  # type: ignore[misc]
        def on_ws_connected(self, transport: picows.WSTransport) -> None:
            self.sent = time.perf_counter_ns()
            transport.send(text, payload)

        def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
            if frame.msg_type is not text:
                return
            frame.get_payload_as_bytes()
            now = time.perf_counter_ns()
            stats.lat.append(now - self.sent)
            stats.count += 1
            if stats.running:
                self.sent = now
                transport.send(text, payload)

    transports = [(await picows.ws_connect(Client, url))[0] for _ in range(conns)]
    result = await _measure(stats, duration)
    for t in transports:
        t.send_close(picows.WSCloseCode.OK)
        t.disconnect()
    return result


async def client_agentload(url: str, conns: int, payload: bytes, duration: float) -> Result:
    from agentload.protocols.ws import WsConnection  # noqa: PLC0415

    stats = Stats()
    text = payload.decode()

    async def user(conn: WsConnection) -> None:
        while stats.running:
            sent = time.perf_counter_ns()
            conn.send_text(text)
            msg = await conn.recv(10)
            stats.lat.append(msg.received_ns - sent)
            stats.count += 1

    connections = [await WsConnection.connect(url) for _ in range(conns)]
    tasks = [asyncio.create_task(user(c)) for c in connections]
    result = await _measure(stats, duration)
    await asyncio.wait(tasks, timeout=5)
    for c in connections:
        await c.close()
    return result


async def client_session(url: str, conns: int, payload: bytes, duration: float) -> Result:
    """The product path: ``WsSession`` send + ``expect`` with a JSON predicate, metrics on."""
    from agentload.engine.ws import WsMetrics, WsSession  # noqa: PLC0415
    from agentload.metrics import Recorder  # noqa: PLC0415
    from agentload.protocols.ws import JsonCondition, MessagePredicate  # noqa: PLC0415

    stats = Stats()
    text = '{"type": "done", "pad": "' + "x" * max(0, len(payload) - 26) + '"}'
    predicate = MessagePredicate(json=[JsonCondition("$.type", "done")])
    recorder = Recorder()
    metrics = WsMetrics(recorder, name="bench", scenario="bench")

    async def user(session: WsSession) -> None:
        while stats.running:
            sent = time.perf_counter_ns()
            session.send_text(text)
            if await session.expect(predicate, timeout=10, exchange="echo") is None:
                raise RuntimeError("no echo")
            stats.lat.append(time.perf_counter_ns() - sent)
            stats.count += 1

    sessions = [WsSession(metrics) for _ in range(conns)]
    for s in sessions:
        await s.connect(url)
    tasks = [asyncio.create_task(user(s)) for s in sessions]

    async def drain() -> None:  # what the runner does once a second
        while stats.running:
            await asyncio.sleep(1)
            recorder.snapshot(start=0, end=1)

    drainer = asyncio.create_task(drain())
    result = await _measure(stats, duration)
    await asyncio.wait([*tasks, drainer], timeout=5)
    for s in sessions:
        await s.close()
    return result


async def client_aiohttp(url: str, conns: int, payload: bytes, duration: float) -> Result:
    import aiohttp  # noqa: PLC0415

    stats = Stats()
    text = payload.decode()
    async with aiohttp.ClientSession() as session:

        async def user(ws: aiohttp.ClientWebSocketResponse) -> None:
            while stats.running:
                sent = time.perf_counter_ns()
                await ws.send_str(text)
                await ws.receive()
                stats.lat.append(time.perf_counter_ns() - sent)
                stats.count += 1

        sockets = [await session.ws_connect(url, autoping=True) for _ in range(conns)]
        tasks = [asyncio.create_task(user(ws)) for ws in sockets]
        result = await _measure(stats, duration)
        await asyncio.wait(tasks, timeout=5)
        for ws in sockets:
            await ws.close()
    return result


async def client_websockets(url: str, conns: int, payload: bytes, duration: float) -> Result:
    from websockets.asyncio.client import connect  # noqa: PLC0415

    stats = Stats()
    text = payload.decode()

    async def user(ws: Any) -> None:
        while stats.running:
            sent = time.perf_counter_ns()
            await ws.send(text)
            await ws.recv()
            stats.lat.append(time.perf_counter_ns() - sent)
            stats.count += 1

    sockets = [await connect(url, compression=None) for _ in range(conns)]
    tasks = [asyncio.create_task(user(ws)) for ws in sockets]
    result = await _measure(stats, duration)
    await asyncio.wait(tasks, timeout=5)
    for ws in sockets:
        await ws.close()
    return result


_CLIENT_FNS = {
    "picows": client_picows,
    "agentload": client_agentload,
    "agentload-session": client_session,
    "aiohttp": client_aiohttp,
    "websockets": client_websockets,
}


def _client_process(pipe: Pipe, name: str, url: str, args: dict[str, Any]) -> None:
    _pin(1)
    payload = b"x" * args["size"]
    fn = _CLIENT_FNS[name]
    holder: dict[str, Any] = {}

    async def main() -> None:
        holder["r"] = await fn(url, args["connections"], payload, args["duration"])

    try:
        _run(main, args["loop"])
        pipe.send(holder["r"])
    except Exception as exc:  # report, do not hang the harness
        pipe.send(f"{type(exc).__name__}: {exc}")


def _one(name: str, url: str, args: dict[str, Any]) -> dict[str, Any]:
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=_client_process, args=(child, name, url, args))
    proc.start()
    got = parent.recv() if parent.poll(args["duration"] + 60) else "timed out"
    proc.join(10)
    if isinstance(got, str):
        return {"client": name, "error": got}
    count, wall, cpu = got
    return {
        "client": name,
        "round_trips": count,
        "window_s": round(wall, 3),
        "per_s": round(count / wall, 1),
        "cpu_s": round(cpu, 3),
        "cpu_us_per_rt": round(cpu / count * 1e6, 2) if count else None,
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import version  # noqa: PLC0415

    out = {"python": platform.python_version()}
    for pkg in ("picows", "aiohttp", "websockets", "uvloop"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # not installed: the row will say so
            out[pkg] = "not installed"
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--connections", type=int, default=20)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    p.add_argument("--only", default="")
    ns = p.parse_args(argv)
    names = [n for n in (ns.only.split(",") if ns.only else CLIENTS) if n]
    for n in names:
        if n not in _CLIENT_FNS:
            p.error(f"unknown client {n!r}; choose from {', '.join(CLIENTS)}")
    args = {
        "duration": ns.duration,
        "connections": ns.connections,
        "size": ns.size,
        "loop": ns.loop,
    }

    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=_serve, args=(child, ns.loop), daemon=True)
    server.start()
    port = parent.recv()
    url = f"ws://127.0.0.1:{port}/"
    runs: list[dict[str, Any]] = []
    try:
        for _ in range(ns.repeat):
            for name in names:
                runs.append(_one(name, url, args))
                print(f"  {runs[-1]}", file=sys.stderr)
    finally:
        parent.send("stop")
        server.join(5)

    versions = _versions()
    print(
        f"ws echo, {ns.connections} connections, {ns.size}-byte text, {ns.loop}, "
        f"{ns.duration:g} s x {ns.repeat}; cpus={os.cpu_count()}"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print()
    print("| client | round trips/s (median) | CPU µs / round trip (median) | runs |")
    print("|---|---:|---:|---|")
    for name in names:
        ok = [r for r in runs if r["client"] == name and "error" not in r]
        if not ok:
            err = next(r["error"] for r in runs if r["client"] == name)
            print(f"| {name} | not available | {err} | 0 |")
            continue
        rate = statistics.median(r["per_s"] for r in ok)
        cpu = statistics.median(r["cpu_us_per_rt"] for r in ok)
        each = ", ".join(f"{r['cpu_us_per_rt']}" for r in ok)
        print(f"| {name} | {rate:,.0f} | **{cpu:.1f}** | {each} |")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"args": args, "versions": versions, "runs": runs}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
