"""The WebSocket driver against real servers on 127.0.0.1 (aiohttp, and a raw one for frames)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import inspect
import ssl
import struct
import subprocess
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import pytest
import uvloop
from aiohttp import web

from agentload.errors import ErrorKind
from agentload.protocols.ws import WsConnection, WsError, WsMessage

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
T = TypeVar("T")
LOOPS = ["asyncio", "uvloop"]


def run(coro: Coroutine[Any, Any, T], loop: str = "asyncio", limit: float = 20.0) -> T:
    factory = uvloop.new_event_loop if loop == "uvloop" else None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(asyncio.wait_for(coro, limit))


def sync(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test body on both loop kinds, with an aiohttp server as ``server``."""

    def wrapper(loop: str, **kwargs: Any) -> None:
        async def body() -> None:
            async with aiohttp_server() as url:
                await fn(url, **kwargs)

        run(body(), loop)

    # pytest reads the parameters from the signature: the body's, minus the URL, plus ``loop``.
    params = list(inspect.signature(fn).parameters.values())[1:]
    loop_param = inspect.Parameter("loop", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    wrapper.__signature__ = inspect.Signature([loop_param, *params])  # type: ignore[attr-defined]
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return pytest.mark.parametrize("loop", LOOPS)(wrapper)


async def _handler(request: web.Request) -> web.StreamResponse:
    mode = request.query.get("m", "echo")
    if mode == "reject":
        return web.Response(status=403, text="forbidden")
    ws = web.WebSocketResponse(protocols=("chat.v2", "chat.v1"), autoping=True)
    await ws.prepare(request)
    if mode == "close":
        await ws.close(code=int(request.query["code"]), message=b"bye now")
        return ws
    if mode == "drop":
        assert request.transport is not None
        request.transport.abort()
        return ws
    if mode == "headers":
        headers = request.headers
        await ws.send_json({"auth": headers.get("Authorization"), "x": headers.get("X-Tenant")})
    async for msg in ws:
        if msg.type == web.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


@contextlib.asynccontextmanager
async def aiohttp_server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/ws", _handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"ws://127.0.0.1:{port}/ws"
    await runner.cleanup()


@sync
async def test_echo_text_and_binary_with_subprotocol(server: str) -> None:
    conn = await WsConnection.connect(server, subprotocols=("chat.v1",))
    assert conn.subprotocol == "chat.v1"
    assert conn.connect_us > 0
    conn.send_text("héllo")
    msg = await conn.recv(timeout=5)
    assert msg.data == "héllo"
    conn.send_bytes(b"\x00\x01")
    assert (await conn.recv(timeout=5)).data == b"\x00\x01"
    await conn.close()
    assert conn.closed
    assert conn.close_error_kind() is None
    with pytest.raises(WsError) as info:
        conn.send_text("late")
    assert info.value.kind is ErrorKind.CLOSED


@sync
async def test_headers_are_sent(server: str) -> None:
    conn = await WsConnection.connect(
        server + "?m=headers", headers=[("Authorization", "Bearer t"), ("X-Tenant", "a")]
    )
    msg = await conn.recv(timeout=5)
    assert msg.data == '{"auth": "Bearer t", "x": "a"}'
    await conn.close()


@sync
async def test_listener_gets_messages_synchronously(server: str) -> None:
    conn = await WsConnection.connect(server)
    got: list[WsMessage] = []
    conn.set_listener(got.append)
    for i in range(3):
        conn.send_text(str(i))
    for _ in range(100):
        if len(got) == 3:
            break
        await asyncio.sleep(0.01)
    assert [m.data for m in got] == ["0", "1", "2"]
    assert got[0].received_ns <= got[2].received_ns
    await conn.close()


@sync
async def test_a_new_listener_gets_the_queued_messages_first(server: str) -> None:
    conn = await WsConnection.connect(server + "?m=headers")  # a message comes at once
    for _ in range(100):
        if conn.messages_received:
            break
        await asyncio.sleep(0.01)
    got: list[WsMessage] = []
    conn.set_listener(got.append)
    assert len(got) == 1 and isinstance(got[0].data, str) and '"auth"' in got[0].data
    await conn.close()


@sync
async def test_a_listener_that_raises_closes_with_1011_and_keeps_the_error(server: str) -> None:
    conn = await WsConnection.connect(server)

    def broken(message: WsMessage) -> None:
        raise ValueError(f"cannot handle {message.data!r}")

    conn.set_listener(broken)
    conn.send_text("x")
    await asyncio.wait_for(conn.wait_closed(), 5)
    assert isinstance(conn.listener_error, ValueError)
    assert conn.close_error_kind() is None  # we closed it: not the target's fault


@sync
async def test_ping_gets_pong(server: str) -> None:
    conn = await WsConnection.connect(server)
    conn.ping()
    for _ in range(100):
        if conn.pongs_received:
            break
        await asyncio.sleep(0.01)
    assert conn.pongs_received == 1
    await conn.close()


@sync
async def test_recv_timeout_is_ws_timeout(server: str) -> None:
    conn = await WsConnection.connect(server)
    with pytest.raises(WsError) as info:
        await conn.recv(timeout=0.05)
    assert info.value.kind is ErrorKind.WS_TIMEOUT
    await conn.close()


@pytest.mark.parametrize(
    ("code", "kind"),
    [(1000, ErrorKind.CLOSED), (1011, ErrorKind.WS_CLOSE_ERROR), (4001, ErrorKind.WS_CLOSE_ERROR)],
)
@sync
async def test_peer_close_codes(server: str, code: int, kind: ErrorKind) -> None:
    conn = await WsConnection.connect(server + f"?m=close&code={code}")
    with pytest.raises(WsError) as info:
        await conn.recv(timeout=5)
    assert info.value.kind is kind
    assert info.value.close_code == code
    assert conn.close_code == code
    assert conn.close_reason == "bye now"
    assert conn.closed_by_peer


@sync
async def test_dropped_connection_is_1006(server: str) -> None:
    conn = await WsConnection.connect(server + "?m=drop")
    with pytest.raises(WsError) as info:
        await conn.recv(timeout=5)
    assert info.value.kind is ErrorKind.WS_ABNORMAL_CLOSE
    assert conn.close_code == 1006
    assert conn.close_error_kind() is ErrorKind.WS_ABNORMAL_CLOSE


@sync
async def test_rejected_handshake_has_status(server: str) -> None:
    with pytest.raises(WsError) as info:
        await WsConnection.connect(server + "?m=reject")
    assert info.value.kind is ErrorKind.WS_HANDSHAKE
    assert info.value.status == 403


@sync
async def test_refused_and_bad_url(_server: str) -> None:
    srv = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    srv.close()
    await srv.wait_closed()
    with pytest.raises(WsError) as info:
        await WsConnection.connect(f"ws://127.0.0.1:{port}/")
    assert info.value.kind is ErrorKind.CONNECT_REFUSED
    with pytest.raises(ValueError, match="ws://"):
        await WsConnection.connect("http://127.0.0.1/")


@sync
async def test_handshake_timeout_is_connect_timeout(_server: str) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    srv = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        with pytest.raises(WsError) as info:
            await WsConnection.connect(f"ws://127.0.0.1:{port}/", timeout=0.2)
        assert info.value.kind is ErrorKind.CONNECT_TIMEOUT
    finally:
        srv.close()


_ACCEPT_BAD = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: xxx\r\n\r\n"
)


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (b"", "closed the connection before answering the handshake"),
        (b"NOT HTTP AT ALL\r\n\r\n", "unknown protocol"),
        (_ACCEPT_BAD, "invalid sec-websocket-accept"),
    ],
)
@pytest.mark.parametrize("loop", LOOPS)
def test_broken_handshake_answers_are_ws_handshake_errors(
    answer: bytes, said: str, loop: str
) -> None:
    async def body() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            await writer.drain()
            if not answer:
                writer.close()
                return
            await reader.read(1024)  # until the client gives up
            writer.close()

        srv = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        try:
            with pytest.raises(WsError) as info:
                await WsConnection.connect(f"ws://127.0.0.1:{port}/", timeout=3)
            assert info.value.kind is ErrorKind.WS_HANDSHAKE
            assert said in str(info.value)
        finally:
            srv.close()

    run(body(), loop)


# --- a raw server that writes frames byte by byte (fragmentation, bad UTF-8) ---


def _frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        return head + bytes([n]) + payload
    return head + bytes([126]) + struct.pack("!H", n) + payload


@contextlib.asynccontextmanager
async def _raw_server(frames: bytes) -> AsyncIterator[str]:
    """A server on port 0 that answers the handshake, then writes ``frames`` as they are."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        writer.write(frames)
        await reader.read(1024)  # the client's close frame
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"ws://127.0.0.1:{srv.sockets[0].getsockname()[1]}/"
    finally:
        srv.close()


@sync
async def test_fragmented_messages_are_reassembled(_server: str) -> None:
    frames = (
        _frame(0x1, "hé".encode()[:2], fin=False)
        + _frame(0x9, b"p")  # a ping between fragments (RFC 6455 §5.4)
        + _frame(0x0, "hé".encode()[2:], fin=False)
        + _frame(0x0, b"llo")
        + _frame(0x2, b"\x01", fin=False)
        + _frame(0x0, b"\x02")
        + _frame(0x8, struct.pack("!H", 1000))
    )
    async with _raw_server(frames) as url:
        conn = await WsConnection.connect(url)
        assert (await conn.recv(timeout=5)).data == "héllo"
        assert (await conn.recv(timeout=5)).data == b"\x01\x02"
        with pytest.raises(WsError) as info:
            await conn.recv(timeout=5)
        assert info.value.kind is ErrorKind.CLOSED
        assert conn.close_code == 1000


@sync
async def test_invalid_utf8_fails_the_connection_as_malformed(_server: str) -> None:
    async with _raw_server(_frame(0x1, b"\xff\xfe")) as url:
        conn = await WsConnection.connect(url)
        with pytest.raises(WsError) as info:
            await conn.recv(timeout=5)
        assert info.value.kind is ErrorKind.MALFORMED
        assert conn.close_code == 1007


@sync
async def test_close_frame_without_code_is_1005_and_clean(_server: str) -> None:
    async with _raw_server(_frame(0x8, b"")) as url:
        conn = await WsConnection.connect(url)
        await conn.wait_closed()
        assert conn.close_code == 1005
        assert conn.close_error_kind() is None


# --- wss:// with a throw-away self-signed certificate (openssl, see Makefile test-deps) ---


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.mark.parametrize("loop", LOOPS)
def test_wss_echo_and_an_untrusted_certificate(certificate: tuple[str, str], loop: str) -> None:
    cert, key = certificate

    async def body() -> None:
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(cert, key)
        app = web.Application()
        app.router.add_get("/ws", _handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            trusted = ssl.create_default_context(cafile=cert)
            conn = await WsConnection.connect(f"wss://127.0.0.1:{port}/ws", ssl_context=trusted)
            conn.send_text("over tls")
            assert (await conn.recv(timeout=5)).data == "over tls"
            await conn.close()
            with pytest.raises(WsError) as info:  # the default context does not trust it
                await WsConnection.connect(f"wss://127.0.0.1:{port}/ws")
            assert info.value.kind is ErrorKind.TLS
        finally:
            await runner.cleanup()

    run(body(), loop)


@pytest.mark.parametrize(
    "frame",
    [
        _frame(0x2, b"x" * 200),  # over max_message_bytes: picows fails it (1009)
        _frame(0x2, b"x" * 60, fin=False) + _frame(0x0, b"x" * 60),  # too big in pieces (ours)
        _frame(0x8, struct.pack("!H", 999)),  # a close code nobody may send
    ],
)
def test_protocol_faults_are_malformed_not_abnormal(frame: bytes) -> None:
    async def body() -> None:
        async with _raw_server(frame) as url:
            conn = await WsConnection.connect(url, max_message_bytes=100)
            with pytest.raises(WsError) as info:
                await conn.recv(timeout=5)
            assert info.value.kind is ErrorKind.MALFORMED, conn.close_code
            assert conn.close_code in (1002, 1009)

    run(body())
