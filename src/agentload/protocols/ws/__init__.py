"""WebSocket client (RFC 6455): a thin asyncio driver on picows plus sans-I/O parts.

* :class:`WsConnection` — connect (headers, subprotocols, ``ws``/``wss``),
  send text/binary, ping, receive through a queue (:meth:`WsConnection.recv`)
  or a synchronous listener, close with a code. Failures are :class:`WsError`
  with an :class:`~agentload.errors.ErrorKind`.
* :class:`MessageAssembler` — reassembly of fragmented messages (§5.4).
* :func:`close_error_kind` — what a peer's close code means for a test (§7.4).
* :class:`MessagePredicate` — does a message match (JSONPath equality or
  existence, regex).

The library choice (picows over aiohttp and websockets) is measured in
``bench/ws_echo`` and recorded in docs/decisions.md D9.
"""

from agentload.protocols.ws._assembler import FrameError, MessageAssembler
from agentload.protocols.ws._close import (
    ABNORMAL_CLOSURE,
    NO_STATUS_RECEIVED,
    NORMAL_CLOSURE,
    close_error_kind,
    describe_close,
    is_sendable_close_code,
)
from agentload.protocols.ws._connection import MessageListener, WsConnection, WsMessage
from agentload.protocols.ws._errors import WsError
from agentload.protocols.ws._match import (
    MISSING,
    CompiledPath,
    JsonCondition,
    MessageMatch,
    MessagePredicate,
    compile_path,
    json_equal,
)

__all__ = [
    "ABNORMAL_CLOSURE",
    "MISSING",
    "NORMAL_CLOSURE",
    "NO_STATUS_RECEIVED",
    "CompiledPath",
    "FrameError",
    "JsonCondition",
    "MessageAssembler",
    "MessageListener",
    "MessageMatch",
    "MessagePredicate",
    "WsConnection",
    "WsError",
    "WsMessage",
    "close_error_kind",
    "compile_path",
    "describe_close",
    "is_sendable_close_code",
    "json_equal",
]
