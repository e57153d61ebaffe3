"""The one exception of the HTTP client, and the mapping of OS/ssl errors onto it."""

from __future__ import annotations

import errno
import socket
import ssl

from agentload.errors import AgentloadError, ErrorKind

__all__ = ["HttpError", "error_from_os"]


class HttpError(AgentloadError):
    """A request failed; :attr:`kind` says how (the engine counts failures by kind).

    ``str(error)`` is one line that names what happened and where, e.g.
    ``connection refused by 127.0.0.1:8080``. The client raises nothing else for
    a failure of the target: OS and ssl exceptions are mapped at the boundary.
    """

    def __init__(self, kind: ErrorKind, message: str) -> None:
        self.kind: ErrorKind = kind
        super().__init__(message)


def error_from_os(exc: BaseException, where: str, *, connecting: bool) -> HttpError:
    """Map an exception raised by the OS, the event loop or ssl to an :class:`HttpError`.

    ``where`` names the peer (``host:port``); ``connecting`` is true while the
    connection is being set up (there, a timeout is a connect timeout and an
    ``OSError`` that is not a refusal is still a failure to connect).
    """
    if isinstance(exc, HttpError):
        return exc
    if isinstance(exc, socket.gaierror):
        return HttpError(ErrorKind.DNS, f"cannot resolve {where}: {exc.strerror or exc}")
    # ssl.CertificateError is a subclass of SSLError; both mean the handshake or
    # the record layer failed, which the user fixes on the TLS side.
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        return HttpError(ErrorKind.TLS, f"TLS failure with {where}: {reason}")
    if isinstance(exc, ConnectionRefusedError):
        return HttpError(ErrorKind.CONNECT_REFUSED, f"connection refused by {where}")
    if isinstance(exc, TimeoutError):
        if connecting:
            return HttpError(ErrorKind.CONNECT_TIMEOUT, f"connect to {where} timed out")
        return HttpError(ErrorKind.READ_TIMEOUT, f"read from {where} timed out")
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return HttpError(ErrorKind.RESET, f"connection reset by {where}")
    if isinstance(exc, OSError):
        detail = exc.strerror or str(exc) or exc.__class__.__name__
        if exc.errno == errno.ETIMEDOUT and connecting:
            return HttpError(ErrorKind.CONNECT_TIMEOUT, f"connect to {where} timed out")
        if exc.errno in (errno.ECONNRESET, errno.EPIPE):
            return HttpError(ErrorKind.RESET, f"connection reset by {where}")
        what = "connect to" if connecting else "connection to"
        return HttpError(ErrorKind.OTHER, f"{what} {where} failed: {detail}")
    name = exc.__class__.__name__
    return HttpError(ErrorKind.OTHER, f"request to {where} failed: {name}: {exc}")
