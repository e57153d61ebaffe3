"""Opening connections: DNS, TCP connect and TLS, within the connect/total limits.

Split from :mod:`.client` (the pool and the request hot path): this runs once
per new connection, never per request on a kept-alive one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time

from agentload.errors import ErrorKind
from agentload.protocols.http._connection import Connection, Pool
from agentload.protocols.http._deadlines import Deadlines
from agentload.protocols.http._errors import HttpError, error_from_os
from agentload.protocols.http._url import Origin
from agentload.protocols.http.timeouts import Timeouts

__all__ = ["Connector"]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _verify_off() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Connector:
    """Opens the connections of one :class:`~.client.HttpClient` (see its docstring).

    ``ssl_context`` is made at the first https connection when not given
    (``verify`` false: a context that checks neither certificate nor host name).
    """

    __slots__ = ("closed", "deadlines", "ssl_context", "verify")

    def __init__(
        self, deadlines: Deadlines, ssl_context: ssl.SSLContext | None, *, verify: bool
    ) -> None:
        self.deadlines = deadlines
        self.ssl_context = ssl_context
        self.verify = verify
        self.closed = False
        """Set by the client's ``aclose``: opening then raises ``RuntimeError``."""

    async def open(self, origin: Origin, pool: Pool, limits: Timeouts, total_ns: int) -> Connection:
        """A new connection to ``origin``, added to ``pool`` and watched for deadlines.

        Raises :class:`HttpError` (``DNS``, ``CONNECT_*``, ``TLS``, ``TOTAL_TIMEOUT``, ...).
        """
        if self.closed:
            raise RuntimeError("the HttpClient is closed")
        limit, kind = limits.connect or None, ErrorKind.CONNECT_TIMEOUT
        if total_ns and (limit is None or total_ns < limit * 1e9):
            limit, kind = total_ns / 1e9, ErrorKind.TOTAL_TIMEOUT
        resolving = [False]  # set by _connect while it waits for the resolver
        try:
            async with asyncio.timeout(limit):
                return await self._connect(origin, pool, resolving)
        except TimeoutError:
            if resolving[0] and kind is ErrorKind.CONNECT_TIMEOUT:
                # The resolver never answered: a DNS problem, not the target's.
                raise HttpError(
                    ErrorKind.DNS, f"cannot resolve {origin.host}: no answer in {limit:g} s"
                ) from None
            what = "connect to" if kind is ErrorKind.CONNECT_TIMEOUT else "request to"
            raise HttpError(kind, f"{what} {pool.where} timed out after {limit:g} s") from None

    async def _connect(self, origin: Origin, pool: Pool, resolving: list[bool]) -> Connection:
        loop = asyncio.get_running_loop()
        where = pool.where
        began = resolved = time.monotonic_ns()
        if _is_ip(origin.host):
            addresses = [origin.host]
        else:
            resolving[0] = True
            addresses = await self._resolve(loop, origin)
            resolving[0] = False
            resolved = time.monotonic_ns()
        conn = Connection(pool, self.deadlines)
        transport: asyncio.BaseTransport | None = None
        failure: OSError | None = None
        try:
            for address in addresses:
                try:
                    transport, _ = await loop.create_connection(lambda: conn, address, origin.port)
                    break
                except OSError as exc:
                    failure = exc
            if transport is None:
                assert failure is not None
                raise error_from_os(failure, where, connecting=True) from None
            connected = time.monotonic_ns()
            if origin.tls:
                transport = await self._handshake(loop, transport, conn, origin, where)
            done = time.monotonic_ns()
        except BaseException:
            if transport is not None:
                transport.close()
            raise
        conn.dns_ns = resolved - began
        conn.connect_ns = connected - resolved
        conn.tls_ns = done - connected if origin.tls else 0
        pool.all.add(conn)
        self.deadlines.watch(conn)
        return conn

    async def _resolve(self, loop: asyncio.AbstractEventLoop, origin: Origin) -> list[str]:
        try:
            infos = await loop.getaddrinfo(origin.host, origin.port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise error_from_os(exc, f"{origin.host}:{origin.port}", connecting=True) from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise HttpError(ErrorKind.DNS, f"cannot resolve {origin.host}: no address")
        return addresses

    async def _handshake(
        self,
        loop: asyncio.AbstractEventLoop,
        transport: asyncio.BaseTransport,
        conn: Connection,
        origin: Origin,
        where: str,
    ) -> asyncio.BaseTransport:
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context() if self.verify else _verify_off()
        try:
            tls = await loop.start_tls(
                transport,  # type: ignore[arg-type]
                conn,
                self.ssl_context,
                server_hostname=origin.host,
            )
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise error_from_os(exc, where, connecting=True) from None
        except OSError as exc:
            detail = exc.strerror or exc.__class__.__name__
            raise HttpError(ErrorKind.TLS, f"TLS handshake with {where} failed: {detail}") from None
        if tls is None:  # pragma: no cover - only when the loop cannot do TLS
            raise HttpError(ErrorKind.TLS, f"TLS handshake with {where} failed")
        conn.transport = tls
        return tls
