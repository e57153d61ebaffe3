"""HttpClient against servers on 127.0.0.1: aiohttp for happy paths, raw sockets for faults.

Every test runs its own event loop with ``asyncio.run``-style runners and bounds
every wait; the timeouts under test are short (0.2-0.4 s) and only upper bounds
on elapsed time are asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import struct
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvloop
from aiohttp import web

from agentload.errors import ErrorKind
from agentload.protocols.http import (
    Deadlines,
    FilePart,
    HttpClient,
    HttpError,
    Origin,
    encode_request,
)
from agentload.scenario.model import Timeouts

T = TypeVar("T")
LOOPS = ["asyncio", "uvloop"]
BIG = bytes(range(256)) * (8 * 1024 * 1024 // 256)  # 8 MiB


def run(coro: Coroutine[Any, Any, T], loop: str = "asyncio", limit: float = 20.0) -> T:
    """Run ``coro`` on a fresh loop of the given kind, failing after ``limit`` seconds."""
    factory = uvloop.new_event_loop if loop == "uvloop" else None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(asyncio.wait_for(coro, limit))


# -- servers ---------------------------------------------------------------------------


async def _echo(request: web.Request) -> web.Response:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path_qs": request.path_qs,
            "headers": dict(request.headers),
            "body": body.decode("latin-1"),
            "peer": peer[1] if peer else None,
        }
    )


async def _form(request: web.Request) -> web.Response:
    fields: dict[str, object] = {}
    for name, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            fields[name] = {
                "filename": value.filename,
                "content_type": value.content_type,
                "content": value.file.read().hex(),
            }
        else:
            fields[name] = value
    return web.json_response({"content_type": request.content_type, "fields": fields})


async def _chunked(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    for piece in (b"first,", b"second,", b"third"):
        await response.write(piece)
    await response.write_eof()
    return response


async def _big(request: web.Request) -> web.Response:
    return web.Response(body=BIG)


async def _close(request: web.Request) -> web.Response:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    response = web.json_response({"peer": peer[1] if peer else None})
    response.force_close()
    return response


async def _no_content(request: web.Request) -> web.Response:
    return web.Response(status=204)


@contextlib.asynccontextmanager
async def aiohttp_server(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """The test app on 127.0.0.1; yields its port."""
    app = web.Application()
    app.router.add_route("*", "/echo", _echo)
    app.router.add_post("/form", _form)
    app.router.add_get("/chunked", _chunked)
    app.router.add_get("/big", _big)
    app.router.add_get("/close", _close)
    app.router.add_get("/nocontent", _no_content)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


class RawServer:
    """A socket server whose per-connection ``handler`` misbehaves on purpose."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.port = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        # Cancelled at shutdown: end quietly (asyncio 3.11 logs a cancelled handler).
        with contextlib.suppress(
            ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError
        ):
            await self.handler(reader, writer, self.connections)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RawServer]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            for task in self._tasks:
                task.cancel()
            for writer in self._writers:
                writer.transport.abort()
            await asyncio.sleep(0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """Read one request head (and a Content-Length body); returns the head."""
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            await reader.readexactly(int(line.split(b":")[1]))
    return head


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _fails(coro: Awaitable[object], kind: ErrorKind) -> HttpError:
    with pytest.raises(HttpError) as info:
        await coro
    assert info.value.kind is kind, str(info.value)
    assert "\n" not in str(info.value)
    return info.value


# -- keep-alive and the happy paths ---------------------------------------------------------


@pytest.mark.parametrize("loop", LOOPS)
def test_keep_alive_reuses_the_connection(loop: str) -> None:
    async def main() -> None:
        async with aiohttp_server() as port, HttpClient() as client:
            first = await client.request("GET", f"http://127.0.0.1:{port}/echo?a=1")
            second = await client.request(
                "GET", f"http://127.0.0.1:{port}/echo", params={"b": "x y"}
            )
            assert first.status == second.status == 200
            assert first.json()["peer"] == second.json()["peer"]
            assert second.json()["path_qs"] == "/echo?b=x%20y"
            assert first.connect_ns > 0
            assert second.connect_ns == 0
            assert first.dns_ns == first.tls_ns == 0
            for response in (first, second):
                assert response.start_ns <= response.first_byte_ns <= response.end_ns
                assert response.bytes_received > len(response.body) > 0
                assert response.bytes_sent > 0
            assert first.json()["headers"]["User-Agent"].startswith("agentload/")

    run(main(), loop)


@pytest.mark.parametrize("loop", LOOPS)
def test_send_pre_encoded_bytes(loop: str) -> None:
    async def main() -> None:
        async with aiohttp_server() as port, HttpClient() as client:
            origin = Origin("http", "127.0.0.1", port)
            request = encode_request("GET", "/echo", host=origin.authority, headers=(), body=None)
            for _ in range(3):
                response = await client.send(origin, request)
                assert response.status == 200
                assert response.bytes_sent == len(request)

    run(main(), loop)


def test_a_name_is_resolved() -> None:
    async def main() -> None:
        async with aiohttp_server() as port, HttpClient() as client:
            response = await client.request("GET", f"http://localhost:{port}/echo")
            assert response.status == 200
            assert response.dns_ns > 0

    run(main())


def test_requests_while_all_connections_are_busy_open_more() -> None:
    async def main() -> None:
        async with aiohttp_server() as port, HttpClient() as client:
            url = f"http://127.0.0.1:{port}/echo"
            responses = await asyncio.gather(*(client.request("GET", url) for _ in range(3)))
            assert len({r.json()["peer"] for r in responses}) == 3
            again = await asyncio.gather(*(client.request("GET", url) for _ in range(3)))
            assert all(r.connect_ns == 0 for r in again)

    run(main())


@pytest.mark.parametrize("loop", LOOPS)
def test_chunked_response(loop: str) -> None:
    async def main() -> None:
        async with aiohttp_server() as port, HttpClient() as client:
            response = await client.request("GET", f"http://127.0.0.1:{port}/chunked")
            assert response.header("transfer-encoding") == "chunked"
            assert response.body == b"first,second,third"
            assert response.text() == "first,second,third"

    run(main(), loop)


@pytest.mark.parametrize("loop", LOOPS)
def test_large_body(loop: str) -> None:
    async def main() -> None:
        async with aiohttp_server() as port, HttpClient() as client:
            response = await client.request("GET", f"http://127.0.0.1:{port}/big")
            assert len(response.body) == len(BIG)
            assert response.body == BIG
            assert response.bytes_received > len(BIG)

    run(main(), loop)


def test_post_json_form_and_multipart_are_echoed() -> None:
    async def main() -> None:
        async with aiohttp_server() as port, HttpClient() as client:
            base = f"http://127.0.0.1:{port}"
            echoed = (await client.request("POST", f"{base}/echo", json={"a": [1, "é"]})).json()
            assert echoed["headers"]["Content-Type"] == "application/json"
            assert echoed["body"].encode("latin-1").decode() == '{"a":[1,"é"]}'

            form = (
                await client.request("POST", f"{base}/form", form={"x": "1 2", "y": "&"})
            ).json()
            assert form == {
                "content_type": "application/x-www-form-urlencoded",
                "fields": {"x": "1 2", "y": "&"},
            }

            files = [FilePart("file", "data.bin", b"\x00\xffpayload", "application/x-test")]
            multi = await client.request("POST", f"{base}/form", form=[("f", "v")], files=files)
            assert multi.json() == {
                "content_type": "multipart/form-data",
                "fields": {
                    "f": "v",
                    "file": {
                        "filename": "data.bin",
                        "content_type": "application/x-test",
                        "content": b"\x00\xffpayload".hex(),
                    },
                },
            }

            raw = await client.request(
                "put", f"{base}/echo", content=b"raw", headers={"Content-Type": "text/x"}
            )
            assert raw.json()["method"] == "PUT"
            assert raw.json()["body"] == "raw"
            with pytest.raises(ValueError, match="at most one body"):
                await client.request("POST", f"{base}/echo", json=1, content=b"x")

    run(main())


def test_head_and_204_have_no_body_and_keep_the_connection() -> None:
    async def main() -> None:
        async with aiohttp_server() as port, HttpClient() as client:
            base = f"http://127.0.0.1:{port}"
            head = await client.request("HEAD", f"{base}/echo")
            assert head.status == 200
            assert head.body == b""
            assert int(head.header("content-length") or 0) > 0
            empty = await client.request("GET", f"{base}/nocontent")
            assert empty.status == 204
            assert empty.body == b""
            after = await client.request("GET", f"{base}/echo")
            assert after.status == 200
            assert after.connect_ns == 0

    run(main())


def test_connection_close_is_not_reused() -> None:
    async def main() -> None:
        async with aiohttp_server() as port, HttpClient() as client:
            url = f"http://127.0.0.1:{port}/close"
            first = await client.request("GET", url)
            second = await client.request("GET", url)
            assert first.header("connection") == "close"
            assert second.connect_ns > 0
            assert first.json()["peer"] != second.json()["peer"]

    run(main())


# -- faults ------------------------------------------------------------------------------------


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def main() -> None:
        async with HttpClient() as client:
            error = await _fails(
                client.request("GET", f"http://127.0.0.1:{port}/"), ErrorKind.CONNECT_REFUSED
            )
            assert str(port) in str(error)

    run(main())


def test_dns_failure() -> None:
    async def main() -> None:
        async with HttpClient(timeouts=Timeouts(connect=5)) as client:
            # RFC 6761 §6.4: names under .invalid never resolve.
            await _fails(client.request("GET", "http://agentload-test.invalid/"), ErrorKind.DNS)

    run(main())


def test_connect_and_total_timeouts_while_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()

        async def never(*args: object, **kwargs: object) -> object:
            await asyncio.sleep(30)
            raise AssertionError("unreachable")

        monkeypatch.setattr(loop, "create_connection", never)
        async with HttpClient() as client:
            began = time.monotonic()
            await _fails(
                client.request("GET", "http://127.0.0.1:9/", timeouts=Timeouts(connect=0.2)),
                ErrorKind.CONNECT_TIMEOUT,
            )
            limits = Timeouts(connect=5, total=0.2)
            await _fails(
                client.request("GET", "http://127.0.0.1:9/", timeouts=limits),
                ErrorKind.TOTAL_TIMEOUT,
            )
            assert time.monotonic() - began < 3

    run(main())


@pytest.mark.parametrize("loop", LOOPS)
def test_reset_mid_response(loop: str) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        await writer.drain()
        await asyncio.sleep(0.05)
        _abort_with_rst(writer)

    async def main() -> None:
        async with RawServer(handler).running() as server, HttpClient() as client:
            await _fails(client.request("GET", server.url), ErrorKind.RESET)

    run(main(), loop)


@pytest.mark.parametrize("loop", LOOPS)
def test_server_closing_mid_body_is_closed(loop: str) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        await writer.drain()
        writer.close()

    async def main() -> None:
        async with RawServer(handler).running() as server, HttpClient() as client:
            error = await _fails(client.request("GET", server.url), ErrorKind.CLOSED)
            assert "before the response was complete" in str(error)

    run(main(), loop)


def test_server_closing_before_answering_a_fresh_connection_is_not_retried() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.close()

    async def main() -> None:
        server = RawServer(handler)
        async with server.running(), HttpClient() as client:
            await _fails(client.request("GET", server.url), ErrorKind.CLOSED)
            assert server.connections == 1

    run(main())


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header: x\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnope\r\n",
    ],
)
def test_malformed_response(answer: bytes) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(answer)
        await writer.drain()
        await asyncio.sleep(5)

    async def main() -> None:
        async with RawServer(handler).running() as server, HttpClient() as client:
            error = await _fails(client.request("GET", server.url), ErrorKind.MALFORMED)
            assert "127.0.0.1" in str(error)

    run(main())


@pytest.mark.parametrize("loop", LOOPS)
def test_read_timeout(loop: str) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        await asyncio.sleep(30)

    async def main() -> None:
        async with RawServer(silent).running() as server, HttpClient() as client:
            began = time.monotonic()
            limits = Timeouts(connect=5, read=0.3)
            error = await _fails(
                client.request("GET", server.url, timeouts=limits), ErrorKind.READ_TIMEOUT
            )
            assert time.monotonic() - began < 3
            assert "read timeout" in str(error)

    run(main(), loop)


def test_total_timeout_while_bytes_drip() -> None:
    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(300):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.05)

    async def main() -> None:
        async with RawServer(drip).running() as server, HttpClient() as client:
            began = time.monotonic()
            limits = Timeouts(connect=5, read=1.0, total=0.3)
            await _fails(
                client.request("GET", server.url, timeouts=limits), ErrorKind.TOTAL_TIMEOUT
            )
            assert time.monotonic() - began < 3

    run(main())


def test_each_byte_restarts_the_read_timeout() -> None:
    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n")
        for _ in range(6):
            await asyncio.sleep(0.1)
            writer.write(b"x")
            await writer.drain()

    async def main() -> None:
        async with RawServer(drip).running() as server, HttpClient() as client:
            limits = Timeouts(connect=5, read=0.5)
            response = await client.request("GET", server.url, timeouts=limits)
            assert response.body == b"xxxxxx"

    run(main())


def test_one_deadlines_object_serves_several_clients() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        await asyncio.sleep(30)

    async def main() -> None:
        deadlines = Deadlines(interval=0.02)
        limits = Timeouts(connect=5, read=0.2)
        async with RawServer(silent).running() as server:
            clients = [HttpClient(deadlines=deadlines, timeouts=limits) for _ in range(3)]
            results = await asyncio.gather(
                *(c.request("GET", server.url) for c in clients), return_exceptions=True
            )
            assert all(
                isinstance(r, HttpError) and r.kind is ErrorKind.READ_TIMEOUT for r in results
            )
            for client in clients:
                await client.aclose()
        deadlines.close()

    run(main())


def test_response_delimited_by_close() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil ")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"the end")
        writer.close()

    async def main() -> None:
        server = RawServer(handler)
        async with server.running(), HttpClient() as client:
            response = await client.request("GET", server.url)
            assert response.body == b"until the end"
            again = await client.request("GET", server.url)
            assert again.connect_ns > 0
            assert server.connections == 2

    run(main())


def _stale_after_first(answer_on_new: bytes) -> Handler:
    """Answer the first request on a connection; close on the second without answering."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(answer_on_new)
        await writer.drain()
        await read_request(reader)
        writer.close()

    return handler


@pytest.mark.parametrize("loop", LOOPS)
def test_stale_keep_alive_connection_is_retried_once(loop: str) -> None:
    async def main() -> None:
        server = RawServer(_stale_after_first(OK))
        async with server.running(), HttpClient() as client:
            assert (await client.request("GET", server.url)).body == b"ok"
            retried = await client.request("GET", server.url)
            assert retried.body == b"ok"
            assert retried.connect_ns > 0
            assert server.connections == 2
            # POST is not idempotent (RFC 9110 §9.2.2): the failure is reported.
            await _fails(client.request("POST", server.url, content=b"x"), ErrorKind.CLOSED)
            assert server.connections == 2

    run(main(), loop)


def test_bytes_on_an_idle_connection_discard_it() -> None:
    sent = asyncio.Event()

    async def chatty(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(OK)
        await asyncio.sleep(0.05)
        writer.write(b"unsolicited")
        await writer.drain()
        sent.set()
        await asyncio.sleep(30)

    async def main() -> None:
        server = RawServer(chatty)
        async with server.running(), HttpClient() as client:
            await client.request("GET", server.url)
            # After the bytes went out (a fixed sleep could end first on a stalled loop),
            # and long enough for the loop to read them on the idle connection.
            await sent.wait()
            await asyncio.sleep(0.05)
            again = await client.request("GET", server.url)
            assert again.body == b"ok"
            assert again.connect_ns > 0

    run(main())


def test_cancelling_a_request_drops_its_connection() -> None:
    async def once_silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int
    ) -> None:
        while True:
            await read_request(reader)
            if n == 1:
                await asyncio.sleep(30)
            writer.write(OK)

    async def main() -> None:
        server = RawServer(once_silent)
        async with server.running(), HttpClient() as client:
            task = asyncio.create_task(client.request("GET", server.url))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            response = await client.request("GET", server.url)
            assert response.body == b"ok"
            assert server.connections == 2

    run(main())


def test_aclose_fails_requests_in_flight() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        await asyncio.sleep(30)

    async def main() -> None:
        async with RawServer(silent).running() as server:
            client = HttpClient()
            task = asyncio.create_task(client.request("GET", server.url))
            await asyncio.sleep(0.1)
            await client.aclose()
            await _fails(task, ErrorKind.CLOSED)
            await client.aclose()  # idempotent
            with pytest.raises(RuntimeError, match="closed"):
                await client.request("GET", server.url)

    run(main())


# -- TLS -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (made with the openssl CLI)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl CLI to make a self-signed certificate (cryptography not installed)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_with_a_trusted_certificate(loop: str, certificate: tuple[Path, Path]) -> None:
    async def main() -> None:
        trusted = ssl.create_default_context(cafile=str(certificate[0]))
        server = aiohttp_server(_server_context(certificate))
        async with server as port, HttpClient(ssl_context=trusted) as client:
            for host in ("127.0.0.1", "localhost"):
                first = await client.request("GET", f"https://{host}:{port}/echo")
                second = await client.request("GET", f"https://{host}:{port}/chunked")
                assert first.status == second.status == 200
                assert first.connect_ns > 0
                assert first.tls_ns > 0
                assert second.tls_ns == second.connect_ns == 0
                assert second.body == b"first,second,third"

    run(main(), loop)


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_verification(loop: str, certificate: tuple[Path, Path]) -> None:
    async def main() -> None:
        async with aiohttp_server(_server_context(certificate)) as port:
            url = f"https://127.0.0.1:{port}/echo"
            async with HttpClient() as client:
                error = await _fails(client.request("GET", url), ErrorKind.TLS)
                assert "127.0.0.1" in str(error)
            async with HttpClient(verify=False) as client:
                assert (await client.request("GET", url)).status == 200

    run(main(), loop)


def test_tls_against_a_plain_server_fails_as_tls() -> None:
    async def main() -> None:
        async with aiohttp_server() as port, HttpClient(timeouts=Timeouts(connect=5)) as client:
            await _fails(client.request("GET", f"https://127.0.0.1:{port}/echo"), ErrorKind.TLS)

    run(main())


def test_a_deadlines_object_moves_to_the_next_loop() -> None:
    deadlines = Deadlines(interval=0.02)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        await asyncio.sleep(30)

    async def main() -> None:
        async with RawServer(silent).running() as server:
            client = HttpClient(deadlines=deadlines, timeouts=Timeouts(connect=5, read=0.2))
            await _fails(client.request("GET", server.url), ErrorKind.READ_TIMEOUT)
            await client.aclose()

    run(main())
    run(main(), "uvloop")


@pytest.mark.parametrize("loop", LOOPS)
def test_server_closing_at_once_fails_fast(loop: str) -> None:
    async def slam(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        writer.close()

    async def main() -> None:
        async with RawServer(slam).running() as server, HttpClient() as client:
            began = time.monotonic()
            for _ in range(3):
                with pytest.raises(HttpError) as info:
                    await client.request("GET", server.url)
                assert info.value.kind in (ErrorKind.CLOSED, ErrorKind.RESET)
            assert time.monotonic() - began < 5

    run(main(), loop)
