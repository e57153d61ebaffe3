"""The objects llhttp calls back into, one per mode of :class:`~._parse.ResponseParser`.

httptools looks the ``on_*`` attributes up once, when a parser is created, and
calls only those that exist: each mode gets an object with exactly the
callbacks it needs (see the module docstring of ``_parse.py`` for why fewer
is cheaper).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentload.protocols.http._parse import ResponseParser

__all__ = ["BodyCallbacks", "FieldCallbacks", "head_callbacks", "stream_callbacks"]


class BodyCallbacks:
    """llhttp's view of a parser in its usual mode: no per-field callback (``_fields.py``)."""

    __slots__ = ("on_body", "on_message_begin", "on_message_complete")

    def __init__(self, parser: ResponseParser) -> None:
        self.on_message_begin = parser.on_message_begin
        self.on_body = parser.on_body
        self.on_message_complete = parser.on_message_complete


class FieldCallbacks:
    """llhttp's view of a parser that collects the fields as they arrive.

    The HEAD and streaming modes need the fields and the end of the head
    before the message ends; they differ only in where the body, the end of
    the head and the end of the message go (:func:`stream_callbacks`,
    :func:`head_callbacks`).
    """

    __slots__ = (
        "on_body",
        "on_header",
        "on_headers_complete",
        "on_message_begin",
        "on_message_complete",
    )

    def __init__(
        self,
        parser: ResponseParser,
        on_body: Callable[[bytes], None],
        on_headers_complete: Callable[[], None],
        on_message_complete: Callable[[], None],
    ) -> None:
        self.on_message_begin = parser.on_message_begin
        self.on_header = parser.on_header
        self.on_body = on_body
        self.on_headers_complete = on_headers_complete
        self.on_message_complete = on_message_complete


def stream_callbacks(parser: ResponseParser) -> FieldCallbacks:
    """A body streamed to the parser's :class:`BodySink` as it arrives."""
    return FieldCallbacks(parser, parser.stream_body, parser.stream_head, parser.stream_complete)


def head_callbacks(parser: ResponseParser) -> FieldCallbacks:
    """A HEAD response: the message ends with its head."""
    return FieldCallbacks(parser, parser.on_body, parser.head_complete, parser.on_message_complete)
