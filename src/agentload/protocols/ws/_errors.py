"""The one exception of the WebSocket driver."""

from __future__ import annotations

from agentload.errors import AgentloadError, ErrorKind

__all__ = ["WsError"]


class WsError(AgentloadError):
    """A WebSocket operation failed; :attr:`kind` says how (the engine counts by kind).

    Raised for a refused or timed-out connect, a rejected handshake
    (:attr:`status` holds the HTTP status), a ``recv`` that timed out, and any
    use of a connection the peer closed (:attr:`close_code` holds the code,
    1006 when it vanished without a close frame).
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        close_code: int | None = None,
    ) -> None:
        self.kind: ErrorKind = kind
        self.message: str = message
        self.status: int | None = status
        self.close_code: int | None = close_code
        super().__init__(message)
