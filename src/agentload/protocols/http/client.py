"""The HTTP/1.1 client: keep-alive pools per origin over :class:`Connection`.

One :class:`HttpClient` per virtual user. :meth:`HttpClient.send` is the hot
path (pre-encoded request bytes in, :class:`Response` out); :meth:`HttpClient.request`
builds the bytes first. Works on uvloop and on the default asyncio loop.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Final, Self

from agentload.errors import ErrorKind
from agentload.protocols.http._connect import Connector
from agentload.protocols.http._connection import Pool
from agentload.protocols.http._deadlines import Deadlines
from agentload.protocols.http._encode import (
    FilePart,
    QueryParams,
    build_target,
    encode_form,
    encode_json,
    encode_multipart,
    encode_request,
    form_fields,
)
from agentload.protocols.http._errors import HttpError
from agentload.protocols.http._response import Response
from agentload.protocols.http._stream import StreamReceiver, TimedSink
from agentload.protocols.http._url import Origin, parse_url
from agentload.protocols.http.timeouts import Timeouts

__all__ = ["HttpClient", "limits_ns", "may_retry"]

_UNSET: Final = object()

# RFC 9110 §9.2.2: only these may be retried automatically after a failure
# (RFC 9112 §9.3.1); the request line starts with the method and a space.
_IDEMPOTENT: Final = (b"GET ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"TRACE ")

# How long aclose() lets transports finish closing (a TLS close_notify exchange)
# before it aborts them.
_CLOSE_GRACE_S: Final = 0.1


def _ns(seconds: float | None) -> int:
    return int(seconds * 1e9) if seconds else 0


def limits_ns(timeouts: Timeouts) -> tuple[int, int]:
    """The read and total limits of ``timeouts`` in ns, as :meth:`Connection.begin` takes them."""
    return _ns(timeouts.read), _ns(timeouts.total)


def may_retry(received: int, error: HttpError, request: bytes) -> bool:
    """Whether a request that failed on a *kept-alive* connection may go once more.

    A connection the server closed while it sat idle fails before any response
    byte (``received == 0``) with a reset or a close; the request is then safe
    to repeat if its method is idempotent (RFC 9110 §9.2.2, RFC 9112 §9.3.1).
    """
    return (
        received == 0
        and (error.kind is ErrorKind.RESET or error.kind is ErrorKind.CLOSED)
        and request.startswith(_IDEMPOTENT)
    )


class HttpClient:
    """An HTTP/1.1 client with a keep-alive pool per :class:`Origin`.

    A request takes the most recently used idle connection to its origin, or
    opens a new one when all are busy (no limit: one client serves one virtual
    user). A connection is dropped when the server closes it, answers with
    ``Connection: close``, or a request on it fails. A reused connection that
    fails before any response byte (the server closed it while idle) is retried
    once on a new connection, for idempotent methods only (RFC 9110 §9.2.2).

    ``timeouts`` are the defaults (``connect`` covers DNS, TCP and TLS; ``read``
    is the longest silence while a response is awaited; ``total`` the whole
    request); ``None`` or 0 disables one. Read and total timeouts are enforced by
    ``deadlines`` (see :class:`Deadlines`, precision ±50-100 ms); pass one
    object to every client of an event loop, or each client makes its own.
    ``ssl_context`` is used for https (default: ``ssl.create_default_context()``,
    made at the first https connection; share one between clients: building it
    costs milliseconds); ``verify=False`` makes that default context check neither
    the certificate nor the host name (it does not change a given ``ssl_context``).
    Use ``async with`` or call :meth:`aclose`.
    """

    __slots__ = (
        "_cached_read_ns",
        "_cached_timeouts",
        "_cached_total_ns",
        "_connector",
        "_deadlines",
        "_last_origin",
        "_last_pool",
        "_owns_deadlines",
        "_pools",
        "_read_ns",
        "_timeouts",
        "_total_ns",
    )

    def __init__(
        self,
        *,
        timeouts: Timeouts | None = None,
        ssl_context: ssl.SSLContext | None = None,
        verify: bool = True,
        deadlines: Deadlines | None = None,
    ) -> None:
        self._timeouts = timeouts if timeouts is not None else Timeouts()
        self._read_ns = _ns(self._timeouts.read)
        self._total_ns = _ns(self._timeouts.total)
        self._cached_timeouts: Timeouts | None = None
        self._cached_read_ns = self._cached_total_ns = 0
        self._owns_deadlines = deadlines is None
        self._deadlines = deadlines if deadlines is not None else Deadlines()
        self._connector = Connector(self._deadlines, ssl_context, verify=verify)
        self._pools: dict[Origin, Pool] = {}
        self._last_origin: Origin | None = None
        self._last_pool = Pool("")  # a placeholder until the first request

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the hot path ---------------------------------------------------------------

    async def send(
        self,
        origin: Origin,
        request: bytes,
        *,
        timeouts: Timeouts | None = None,
        head: bool = False,
        retry_of_ns: int = 0,
    ) -> Response:
        """Send pre-encoded ``request`` bytes (see :func:`encode_request`) to ``origin``.

        ``head`` must be true for a HEAD request (its response has no body).
        Returns the response whatever its status; raises :class:`HttpError` when
        no complete response arrived (refused, reset, timeout, malformed, ...).
        ``retry_of_ns`` non-zero makes this the one retry of a request that began
        then and failed on a kept-alive connection before any response byte
        (see :func:`may_retry`): it goes on a new connection, its total limit
        counts from ``retry_of_ns``, and it is not retried again.
        """
        if retry_of_ns:
            return await self._retry(
                origin=origin,
                pool=self.pool(origin),
                request=request,
                head=head,
                timeouts=timeouts,
                began_ns=retry_of_ns,
            )
        # One origin per client is the common case: an identity check is cheaper
        # than hashing the frozen dataclass.
        pool = self._last_pool if origin is self._last_origin else self._pool_for(origin)
        if timeouts is None or timeouts is self._timeouts:
            read_ns = self._read_ns
            total_ns = self._total_ns
        elif timeouts is self._cached_timeouts:
            read_ns = self._cached_read_ns
            total_ns = self._cached_total_ns
        else:
            read_ns, total_ns = self._cache_timeouts(timeouts)
        idle = pool.idle
        if idle:
            conn = idle.pop()
            waiter = conn.start(request, head, read_ns, total_ns, 0)
            reused = True
        else:
            opened = time.monotonic_ns()
            conn = await self._connector.open(origin, pool, timeouts or self._timeouts, total_ns)
            waiter = conn.start(request, head, read_ns, total_ns, opened)
            reused = False
        try:
            return await waiter
        except HttpError as exc:
            if reused and may_retry(conn.rx, exc, request):
                return await self._retry(
                    origin=origin,
                    pool=pool,
                    request=request,
                    head=head,
                    timeouts=timeouts,
                    began_ns=conn.start_ns,
                )
            raise
        except BaseException:
            if conn.waiter is waiter:  # cancelled while in flight: the stream is lost
                conn.abort()
            raise

    async def _retry(
        self,
        *,
        origin: Origin,
        pool: Pool,
        request: bytes,
        head: bool,
        timeouts: Timeouts | None,
        began_ns: int,
    ) -> Response:
        limits = timeouts or self._timeouts
        read_ns, total_ns = _ns(limits.read), _ns(limits.total)
        conn = await self._connector.open(origin, pool, limits, total_ns)
        waiter = conn.start(request, head, read_ns, total_ns, began_ns)
        try:
            return await waiter
        except BaseException:
            if conn.waiter is waiter:
                conn.abort()
            raise

    # -- streamed responses -------------------------------------------------------------

    async def stream(
        self,
        origin: Origin,
        request: bytes,
        receiver: StreamReceiver,
        *,
        timeouts: Timeouts | None = None,
    ) -> Response:
        """Send ``request`` (not a HEAD); hand its response to ``receiver`` as it arrives.

        ``receiver`` gets the head, then every piece of the body (transfer
        coding removed), each with the arrival time of its read (see
        :class:`StreamReceiver`). The returned :class:`Response` has the usual
        timings but an empty ``body``. ``receive_body`` returning ``True`` ends
        the response there and closes its connection (the rest is unread).
        Connections come from the pool :meth:`send` uses; failures raise
        :class:`HttpError` as there (a stream cut short: ``CLOSED``).
        """
        pool = self._last_pool if origin is self._last_origin else self._pool_for(origin)
        limits = timeouts or self._timeouts
        read_ns, total_ns = _ns(limits.read), _ns(limits.total)
        began = 0
        while True:
            reused = bool(pool.idle) and not began
            if reused:
                conn, opened = pool.idle.pop(), 0
            else:
                opened = began or time.monotonic_ns()
                conn = await self._connector.open(origin, pool, limits, total_ns)
            waiter = conn.start(request, False, read_ns, total_ns, opened)
            if not waiter.done():
                # Nothing can be read before the next await: the sink is in place
                # before the first byte of the response.
                conn.parser.stream(TimedSink(conn, receiver))
            try:
                return await waiter
            except HttpError as exc:
                # As in send(): a kept-alive connection closed while idle fails
                # before any byte; an idempotent request may go once more.
                if reused and may_retry(conn.rx, exc, request):
                    began = conn.start_ns
                    continue
                raise
            except BaseException:
                if conn.waiter is waiter:  # cancelled while in flight: the stream is lost
                    conn.abort()
                raise

    def pool(self, origin: Origin) -> Pool:
        """The keep-alive pool for ``origin`` (made on first use).

        Its ``idle`` list is what :meth:`send` takes connections from; the
        engine's request chains (engine/_chain.py) take from it directly.
        """
        return self._last_pool if origin is self._last_origin else self._pool_for(origin)

    def _pool_for(self, origin: Origin) -> Pool:
        pool = self._pools.get(origin)
        if pool is None:
            host = f"[{origin.host}]" if ":" in origin.host else origin.host
            pool = self._pools[origin] = Pool(f"{host}:{origin.port}")
        self._last_origin = origin
        self._last_pool = pool
        return pool

    def _cache_timeouts(self, timeouts: Timeouts) -> tuple[int, int]:
        self._cached_timeouts = timeouts
        self._cached_read_ns = _ns(timeouts.read)
        self._cached_total_ns = _ns(timeouts.total)
        return self._cached_read_ns, self._cached_total_ns

    # -- convenience ----------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
        params: QueryParams = (),
        json: object = _UNSET,
        content: bytes | None = None,
        form: QueryParams | None = None,
        files: Sequence[FilePart] | None = None,
        timeouts: Timeouts | None = None,
    ) -> Response:
        """Build a request with the sans-I/O encoders and :meth:`send` it.

        ``method`` is upper-cased. At most one body: ``json`` (any JSON value,
        ``None`` included), ``content`` (raw bytes; set ``Content-Type`` in
        ``headers``), ``form`` (urlencoded), or ``files`` (multipart, with
        ``form`` as its text fields). Bad arguments raise ``ValueError``.
        """
        method = method.upper()
        origin, target = parse_url(url)
        if params:
            target = build_target(target, params)
        fields = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        bodies = (json is not _UNSET, content is not None, form is not None and not files, files)
        if sum(1 for given in bodies if given) > 1:
            raise ValueError("give at most one body: json, content, form or files")
        body: bytes | None = content
        content_type: str | None = None
        if files:
            text_fields = form_fields(form) if form is not None else []
            body, content_type = encode_multipart(text_fields, files)
        elif form is not None:
            body, content_type = encode_form(form)
        elif json is not _UNSET:
            body, content_type = encode_json(json)
        if content_type and not any(k.lower() == "content-type" for k, _ in fields):
            fields.append(("Content-Type", content_type))
        data = encode_request(method, target, host=origin.authority, headers=fields, body=body)
        return await self.send(origin, data, timeouts=timeouts, head=method == "HEAD")

    # -- closing ----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close every connection; requests in flight fail with ``CLOSED``. Idempotent."""
        self._connector.closed = True
        conns = [c for pool in self._pools.values() for c in pool.all]
        for conn in conns:
            conn.fail(HttpError(ErrorKind.CLOSED, f"client closed ({conn.pool.where})"))
        deadline = time.monotonic() + _CLOSE_GRACE_S
        # connection_lost runs on a later loop iteration (after a TLS close_notify).
        while any(not c.lost for c in conns) and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        for conn in conns:
            if not conn.lost and conn.transport is not None:
                conn.transport.abort()
        if conns:
            await asyncio.sleep(0)
        self._pools.clear()
        self._last_origin = None
        if self._owns_deadlines:
            self._deadlines.close()
