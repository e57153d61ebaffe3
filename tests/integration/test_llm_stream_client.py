"""``HttpClient.stream`` over real sockets (aiohttp servers on 127.0.0.1), both loop kinds.

Arrival times, keep-alive reuse, stopping early, cut streams and read timeouts.
Timing assertions are lower bounds or wide windows: the box may be loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import pytest
import uvloop
from aiohttp import web

from agentload.errors import ErrorKind
from agentload.protocols.http import HttpClient, HttpError, encode_request, parse_url
from agentload.protocols.http.timeouts import Timeouts

T = TypeVar("T")
LOOPS = ["asyncio", "uvloop"]
MS = 1_000_000


def run(coro: Coroutine[Any, Any, T], loop: str = "asyncio", limit: float = 20.0) -> T:
    factory = uvloop.new_event_loop if loop == "uvloop" else None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(asyncio.wait_for(coro, limit))


async def _ticks(request: web.Request) -> web.StreamResponse:
    count = int(request.query.get("count", "4"))
    gap = float(request.query.get("gap_ms", "50")) / 1000
    cut = request.query.get("cut")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for i in range(count):
        if i:
            await asyncio.sleep(gap)
        await response.write(b"data: %d\n\n" % i)
    if cut and request.transport is not None:
        request.transport.close()
        return response
    await response.write_eof()
    return response


async def _stall(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b"data: 0\n\n")
    await asyncio.sleep(1)  # longer than the timeouts under test; short for the clean-up
    return response


@contextlib.asynccontextmanager
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/ticks", _ticks)
    app.router.add_get("/stall", _stall)
    app.router.add_get("/plain", _plain)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def _plain(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


class Recorder:
    """A StreamReceiver that keeps everything, optionally stopping after ``stop_after`` pieces."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.status = 0
        self.pieces: list[tuple[int, bytes]] = []
        self.head_ns = 0
        self.stop_after = stop_after

    def receive_head(self, status: int, headers: list[tuple[bytes, bytes]], at_ns: int) -> None:
        self.status, self.head_ns = status, at_ns

    def receive_body(self, data: bytes, at_ns: int) -> bool:
        self.pieces.append((at_ns, data))
        return self.stop_after is not None and len(self.pieces) >= self.stop_after


def get(url: str) -> tuple[Any, bytes]:
    origin, target = parse_url(url)
    return origin, encode_request("GET", target, host=origin.authority, headers=(), body=None)


@pytest.mark.parametrize("loop", LOOPS)
def test_pieces_arrive_with_their_arrival_times_and_the_connection_is_reused(loop: str) -> None:
    async def go() -> None:
        async with server() as base, HttpClient() as client:
            rec = Recorder()
            origin, raw = get(base + "/ticks?count=4&gap_ms=50")
            resp = await client.stream(origin, raw, rec)
            assert resp.status == 200 and resp.body == b"" and rec.status == 200
            expected = b"".join(b"data: %d\n\n" % i for i in range(4))
            assert b"".join(p for _, p in rec.pieces) == expected
            times = [t for t, _ in rec.pieces]
            assert resp.start_ns <= rec.head_ns <= times[0] <= resp.end_ns
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert all(g >= 45 * MS for g in gaps), gaps  # asyncio.sleep never wakes early
            assert resp.end_ns - resp.start_ns >= 145 * MS
            # The completed stream left its connection in the pool: send() reuses it.
            plain = await client.send(*get(base + "/plain"))
            assert plain.body == b"ok" and plain.connect_ns == 0

    run(go(), loop)


@pytest.mark.parametrize("loop", LOOPS)
def test_stopping_early_closes_the_connection(loop: str) -> None:
    async def go() -> None:
        async with server() as base, HttpClient() as client:
            rec = Recorder(stop_after=1)
            resp = await client.stream(*get(base + "/ticks?count=50&gap_ms=20"), rec)
            assert resp.status == 200 and len(rec.pieces) == 1
            assert resp.end_ns - resp.start_ns < 500 * MS  # did not wait for the rest
            again = await client.send(*get(base + "/plain"))
            assert again.connect_ns > 0  # a new connection: the stopped one was closed

    run(go(), loop)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_cut_stream_raises_closed_after_delivering_what_came(loop: str) -> None:
    async def go() -> None:
        async with server() as base, HttpClient() as client:
            rec = Recorder()
            with pytest.raises(HttpError) as caught:
                await client.stream(*get(base + "/ticks?count=2&gap_ms=10&cut=1"), rec)
            assert caught.value.kind is ErrorKind.CLOSED
            assert rec.status == 200
            assert b"".join(p for _, p in rec.pieces) == b"data: 0\n\ndata: 1\n\n"

    run(go(), loop)


def test_a_stalled_stream_hits_the_read_timeout() -> None:
    async def go() -> None:
        async with server() as base, HttpClient() as client:
            rec = Recorder()
            with pytest.raises(HttpError) as caught:
                await client.stream(*get(base + "/stall"), rec, timeouts=Timeouts(read=0.3))
            assert caught.value.kind is ErrorKind.READ_TIMEOUT
            assert len(rec.pieces) == 1

    run(go())


def test_a_cancelled_stream_drops_its_connection() -> None:
    async def go() -> None:
        async with server() as base, HttpClient() as client:
            rec = Recorder()
            task = asyncio.ensure_future(client.stream(*get(base + "/stall"), rec))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            again = await client.send(*get(base + "/plain"))
            assert again.body == b"ok" and again.connect_ns > 0

    run(go())


@pytest.mark.parametrize("loop", LOOPS)
def test_a_stale_keep_alive_connection_is_retried_for_get_only(loop: str) -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 9\r\n\r\n"
        b"data: x\n\n"
    )
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Answer the first request on a connection; close on the second without answering.
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await reader.readuntil(b"\r\n\r\n")
        writer.close()

    async def go() -> None:
        srv = await asyncio.start_server(handle, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}/"
        try:
            async with HttpClient() as client:
                await client.stream(*get(url), Recorder())
                second = Recorder()
                resp = await client.stream(*get(url), second)
                assert resp.status == 200 and second.pieces[0][1] == b"data: x\n\n"
                assert resp.connect_ns > 0 and len(connections) == 2  # retried, new connection
                origin, target = parse_url(url)
                post = encode_request("POST", target, host=origin.authority, headers=(), body=b"")
                with pytest.raises(HttpError) as caught:  # not idempotent: not retried
                    await client.stream(origin, post, Recorder())
                assert caught.value.kind in (ErrorKind.CLOSED, ErrorKind.RESET)
        finally:
            srv.close()
            await srv.wait_closed()

    run(go(), loop)
