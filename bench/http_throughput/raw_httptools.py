"""The floor for a Python HTTP load generator: asyncio.Protocol + httptools on uvloop.

N keep-alive connections, one request in flight on each; the next request is
written from ``on_message_complete`` (no task or coroutine per request, no
pipelining). Every response's status is checked and a ``perf_counter`` latency
is recorded, so this does the minimum a real tool must do per request.

Connections are opened before the timed window. Prints one JSON object:
requests completed inside the window, elapsed seconds, errors, p50/p99 (ms),
and the process CPU used inside the window (getrusage).

    python raw_httptools.py --url http://127.0.0.1:8080/ --connections 50 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from array import array
from urllib.parse import urlsplit

import httptools
import uvloop


class State:
    __slots__ = ("errors", "lat", "requests", "running")

    def __init__(self) -> None:
        self.running = False
        self.requests = 0
        self.errors = 0
        self.lat = array("d")


class Conn(asyncio.Protocol):
    __slots__ = ("parser", "request", "sent_at", "state", "transport")

    def __init__(self, state: State, request: bytes) -> None:
        self.state = state
        self.request = request
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def send(self) -> None:
        self.sent_at = time.perf_counter()
        self.transport.write(self.request)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_message_complete(self) -> None:
        now = time.perf_counter()
        st = self.state
        if not st.running:
            return
        st.lat.append(now - self.sent_at)
        st.requests += 1
        if self.parser.get_status_code() != 200:
            st.errors += 1
        self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.state.running:
            self.state.errors += 1


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    idx = min(len(sorted_values) - 1, max(0, round(q / 100.0 * len(sorted_values)) - 1))
    return sorted_values[idx]


async def main(url: str, connections: int, duration: float) -> dict[str, object]:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    path = parts.path or "/"
    request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    loop = asyncio.get_running_loop()
    state = State()
    conns: list[Conn] = []
    for _ in range(connections):
        _, proto = await loop.create_connection(lambda: Conn(state, request), host, port)
        conns.append(proto)

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    state.running = True
    for c in conns:
        c.send()
    await asyncio.sleep(duration)
    state.running = False
    elapsed = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    for c in conns:
        if c.transport is not None:
            c.transport.close()

    lat = sorted(state.lat)
    user = ru1.ru_utime - ru0.ru_utime
    system = ru1.ru_stime - ru0.ru_stime
    cpu = user + system
    return {
        "requests": state.requests,
        "elapsed_s": elapsed,
        "req_per_s": state.requests / elapsed if elapsed else 0.0,
        "errors": state.errors,
        "p50_ms": percentile(lat, 50) * 1e3,
        "p99_ms": percentile(lat, 99) * 1e3,
        "window_cpu_s": cpu,
        "window_cpu_us_per_req": cpu / state.requests * 1e6 if state.requests else None,
        "window_user_us_per_req": user / state.requests * 1e6 if state.requests else None,
        "window_system_us_per_req": system / state.requests * 1e6 if state.requests else None,
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--connections", "-c", type=int, default=50)
    ap.add_argument("--duration", "-d", type=float, default=10.0)
    a = ap.parse_args()
    if not a.url.startswith("http://127.0.0.1") and not a.url.startswith("http://localhost"):
        sys.exit("refusing to send load anywhere but 127.0.0.1")
    result = uvloop.run(main(a.url, a.connections, a.duration))
    print(json.dumps(result))
