"""Reassembly of fragmented WebSocket messages (sans-I/O; RFC 6455 §5.4).

The driver hands over each data frame (opcode, FIN bit, payload) and gets a
complete message back once the final fragment arrived. Violations raise
:class:`FrameError` carrying the close code the connection must be failed with
(§7.4.1: 1002 protocol error, 1007 invalid UTF-8 in a text message, 1009 too big).
"""

from __future__ import annotations

__all__ = ["OP_BINARY", "OP_CONTINUATION", "OP_TEXT", "FrameError", "MessageAssembler"]

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2


class FrameError(Exception):
    """A data frame violates RFC 6455; :attr:`close_code` is how to fail the connection."""

    def __init__(self, close_code: int, message: str) -> None:
        self.close_code = close_code
        super().__init__(message)


class MessageAssembler:
    """Turns data frames into messages: ``str`` for text, ``bytes`` for binary."""

    __slots__ = ("_max", "_opcode", "_parts", "_size")

    def __init__(self, max_message_bytes: int) -> None:
        if max_message_bytes <= 0:
            raise ValueError("max_message_bytes must be positive")
        self._max = max_message_bytes
        self._opcode = -1  # -1: no fragmented message in progress
        self._parts: list[bytes] = []
        self._size = 0

    @property
    def in_progress(self) -> bool:
        """True while a fragmented message waits for its final fragment."""
        return self._opcode >= 0

    def feed(self, opcode: int, fin: bool, payload: bytes) -> str | bytes | None:
        """Add one data frame; return the message it completes, else ``None``."""
        if opcode == OP_CONTINUATION:
            if self._opcode < 0:
                raise FrameError(1002, "continuation frame without a message to continue")
        elif opcode in (OP_TEXT, OP_BINARY):
            if self._opcode >= 0:
                raise FrameError(1002, "new data frame while a fragmented message is unfinished")
            if fin:
                return self._finish(opcode, payload)
            self._opcode = opcode
        else:
            raise FrameError(1002, f"unknown data opcode 0x{opcode:x}")
        self._size += len(payload)
        if self._size > self._max:
            self._reset()
            raise FrameError(1009, f"message larger than {self._max} bytes")
        self._parts.append(payload)
        if not fin:
            return None
        opcode, whole = self._opcode, b"".join(self._parts)
        self._reset()
        return self._finish(opcode, whole)

    def _finish(self, opcode: int, payload: bytes) -> str | bytes:
        if len(payload) > self._max:
            raise FrameError(1009, f"message larger than {self._max} bytes")
        if opcode == OP_BINARY:
            return payload
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FrameError(1007, f"text message is not valid UTF-8 ({exc.reason})") from None

    def _reset(self) -> None:
        self._opcode = -1
        self._parts = []
        self._size = 0
