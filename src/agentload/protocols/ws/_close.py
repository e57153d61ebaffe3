"""Close codes: what a peer's close means for a load test (sans-I/O).

RFC 6455 §7.4.1 defines the codes; §7.1.5 says a connection closed without a
close frame has the code 1006 and a close frame without a code counts as 1005.
Those two never travel in a frame (§7.4.1), so the driver synthesises them.
"""

from __future__ import annotations

from agentload.errors import ErrorKind

__all__ = [
    "ABNORMAL_CLOSURE",
    "NORMAL_CLOSURE",
    "NO_STATUS_RECEIVED",
    "close_error_kind",
    "describe_close",
    "is_sendable_close_code",
]

NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
NO_STATUS_RECEIVED = 1005
ABNORMAL_CLOSURE = 1006

# Names from RFC 6455 §7.4.1 and the IANA "WebSocket Close Code Number" registry.
_NAMES: dict[int, str] = {
    1000: "normal closure",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported data",
    1005: "no status received",
    1006: "abnormal closure, no close frame",
    1007: "invalid frame payload data",
    1008: "policy violation",
    1009: "message too big",
    1010: "mandatory extension",
    1011: "internal error",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS handshake failure",
}

_CLEAN = frozenset({NORMAL_CLOSURE, GOING_AWAY, NO_STATUS_RECEIVED})


def close_error_kind(code: int) -> ErrorKind | None:
    """The error kind of a close the *peer* caused, or ``None`` for a clean close.

    1000 (normal), 1001 (going away) and 1005 (a close frame without a code) are
    clean; 1006 (the TCP connection ended without a close frame) is
    :attr:`ErrorKind.WS_ABNORMAL_CLOSE`; every other code — protocol and
    policy errors, 1011 internal error, application codes 3000-4999 — is
    :attr:`ErrorKind.WS_CLOSE_ERROR`.
    """
    if code in _CLEAN:
        return None
    if code == ABNORMAL_CLOSURE:
        return ErrorKind.WS_ABNORMAL_CLOSE
    return ErrorKind.WS_CLOSE_ERROR


def describe_close(code: int, reason: str = "") -> str:
    """One human line for a close, e.g. ``1011 (internal error): overloaded``."""
    name = _NAMES.get(code)
    if name is None:
        name = "application code" if 3000 <= code <= 4999 else "unknown code"
    text = f"{code} ({name})"
    return f"{text}: {reason}" if reason else text


def is_sendable_close_code(code: int) -> bool:
    """True for a code an endpoint may put in a close frame (RFC 6455 §7.4.1-2)."""
    if 3000 <= code <= 4999:
        return True
    return code in _NAMES and code not in (1004, NO_STATUS_RECEIVED, ABNORMAL_CLOSURE, 1015)
