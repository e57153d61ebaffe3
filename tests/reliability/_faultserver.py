"""A raw-socket HTTP/1.1 server that misbehaves on purpose, one fault per path.

The reliability tests point real runs of agentload at it. It runs its own
asyncio loop in a background thread, so it serves while the test thread blocks
on a subprocess (``run_cli``) or runs the engine in-process.

Paths (the query string is ignored):

- ``/ok``: ``200`` with a 2-byte body; keep-alive.
- ``/once``: ``200`` keep-alive for the first request on a connection; the next
  request on it is read and the connection closed without an answer, as by a
  server whose keep-alive timeout fired as the request arrived.
- ``/reset-head``: part of a status line and header, then a TCP RST.
- ``/reset-body``: a whole head (``Content-Length: 1000``), 100 body bytes, then a RST.
- ``/close-body``: the same, then a FIN instead of the RST.
- ``/silent``: reads the request and never answers (until the client closes).
- ``/drip``: a head (``Content-Length: 100000``), then one body byte every
  :data:`DRIP_INTERVAL_S`.
- ``/bad-status``: ``HTTP/1.1 2x0 OK``, a status code that is not a number.
- ``/bad-version``: ``HTTZ/1.1 200 OK``, not HTTP.
- ``/bad-header``: a header line without a colon.
- ``/bad-header-name``: a header name with a space in it.
- ``/bad-chunked``: ``Transfer-Encoding: chunked`` with a chunk size that is not hex.
- ``/big-headers/N``: ``200`` with a head of at least N bytes (1 KiB header fields).
- anything else: ``404``.

The malformed answers are complete and the connection stays open, so the
client must reject the bytes themselves (no close comes to its rescue).

Bytes that do not start like a request line (a TLS ClientHello, for one) get
``400 Bad Request`` and a close, as from any plain HTTP server.

Besides the server: :func:`refusing_port` (a bound port that refuses) and
:func:`unaccepted_port` (a listener whose accept queue is full, so a connect
hangs until it times out). Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from types import TracebackType
from typing import Self

__all__ = ["DRIP_INTERVAL_S", "FaultServer", "refusing_port", "unaccepted_port"]

DRIP_INTERVAL_S = 0.05
"""Seconds between two bytes of ``/drip``."""

_MAX_HEAD = 64 * 1024
_START_TIMEOUT_S = 10.0

_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
_BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_PARTIAL_BODY = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 100

# Responses that are complete but wrong: the bytes are the fault.
_MALFORMED: dict[str, bytes] = {
    "/bad-status": b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
    "/bad-version": b"HTTZ/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "/bad-header": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nthis line has no colon\r\n\r\n",
    "/bad-header-name": b"HTTP/1.1 200 OK\r\nBad Name: 1\r\nContent-Length: 0\r\n\r\n",
    "/bad-chunked": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
    ),
}


def _big_headers(size: int) -> bytes:
    line = b"X-Filler-%06d: " + b"a" * 1000 + b"\r\n"
    count = max(1, -(-size // len(line % 0)))  # ceil(size / line length)
    fields = b"".join(line % i for i in range(count))
    return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + fields + b"\r\nok"


async def _until_closed(reader: asyncio.StreamReader) -> None:
    """Wait until the client closes its side (or the server stops)."""
    while await reader.read(65536):
        pass


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST instead of a FIN (SO_LINGER with a zero timeout)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultServer:
    """The fault server on ``127.0.0.1:port`` (0: a free port), in a thread of its own.

    Use as a context manager; :attr:`url` is ``http://127.0.0.1:PORT``.
    :attr:`hits` counts requests per path (read it after the run).
    """

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.hits: Counter[str] = Counter()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._answered: Counter[asyncio.StreamWriter] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        try:
            future.result(_START_TIMEOUT_S)
        except BaseException:
            self._shutdown_thread()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(_START_TIMEOUT_S)
        self._shutdown_thread()

    def _shutdown_thread(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_START_TIMEOUT_S)
        if not self._thread.is_alive():
            self._loop.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, limit=_MAX_HEAD * 2
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- one connection ---------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away (or sent garbage): nothing to answer
        finally:
            self._answered.pop(writer, None)
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.transport.abort()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; return True when the connection may carry another."""
        first = await reader.read(1)
        if not first:
            return False
        if not first.isalpha():  # not a request line: a TLS ClientHello, or garbage
            writer.write(_BAD_REQUEST)
            await writer.drain()
            writer.close()
            return False
        head = first + await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await reader.readexactly(length)
        parts = head.split(b" ", 2)
        path = parts[1].split(b"?", 1)[0].decode("latin-1") if len(parts) > 2 else ""
        self.hits[path] += 1
        return await self._answer(path, reader, writer)

    async def _answer(
        self, path: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        if path == "/once":
            self._answered[writer] += 1
            if self._answered[writer] > 1:
                return False  # closed by _serve, unanswered
            writer.write(_OK)
            await writer.drain()
            return True
        if path == "/ok":
            writer.write(_OK)
            await writer.drain()
            return True
        if path == "/reset-head":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Ty")
            await writer.drain()
            _reset(writer)
            return False
        if path in ("/reset-body", "/close-body"):
            writer.write(_PARTIAL_BODY)
            await writer.drain()
            if path == "/reset-body":
                _reset(writer)
            else:
                writer.close()
            return False
        if path == "/silent":
            await _until_closed(reader)
            return False
        if path == "/drip":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            while not writer.is_closing():
                writer.write(b".")
                await writer.drain()
                await asyncio.sleep(DRIP_INTERVAL_S)
            return False
        if path in _MALFORMED:
            writer.write(_MALFORMED[path])
            await writer.drain()
            # Stay open: the client must reject the bytes, not be saved by a close.
            await _until_closed(reader)
            return False
        if path.startswith("/big-headers/"):
            writer.write(_big_headers(int(path.rsplit("/", 1)[1])))
            await writer.drain()
            return True
        writer.write(_NOT_FOUND)
        await writer.drain()
        return True


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 where a connect is refused (bound, not listening).

    Keeping the socket bound stops anything else from taking the port meanwhile.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextlib.contextmanager
def unaccepted_port(max_fillers: int = 16, settle_s: float = 0.5) -> Iterator[int]:
    """A listener on 127.0.0.1 whose accept queue is full: a new connect hangs.

    The listener has a backlog of 0 and never accepts. Filler connections are
    opened until one does not complete within ``settle_s`` (on loopback a
    handshake completes at once, so that one was dropped: the queue is full).
    Linux then drops further SYNs, so a client's connect times out.
    """
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(max_fillers):
            filler = socket.socket()
            fillers.append(filler)
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            _, writable, _ = select.select([], [filler], [], settle_s)
            if not writable:
                break
        else:
            raise RuntimeError(f"the accept queue of port {port} never filled up")
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
