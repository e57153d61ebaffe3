"""The objects llhttp calls back into, one per mode of :class:`~._parse.ResponseParser`.

httptools looks the ``on_*`` attributes up once, when a parser is created, and
calls only those that exist: each mode gets an object with exactly the
callbacks it needs (see the module docstring of ``_parse.py`` for why fewer
is cheaper).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentload.protocols.http._parse import ResponseParser

__all__ = ["BodyCallbacks", "HeadCallbacks", "StreamCallbacks"]


class BodyCallbacks:
    """llhttp's view of a parser in its usual mode: no per-field callback (``_fields.py``)."""

    __slots__ = ("on_body", "on_message_begin", "on_message_complete")

    def __init__(self, parser: ResponseParser) -> None:
        self.on_message_begin = parser.on_message_begin
        self.on_body = parser.on_body
        self.on_message_complete = parser.on_message_complete


class StreamCallbacks:
    """llhttp's view of a parser streaming a body to a :class:`BodySink`."""

    __slots__ = (
        "on_body",
        "on_header",
        "on_headers_complete",
        "on_message_begin",
        "on_message_complete",
    )

    def __init__(self, parser: ResponseParser) -> None:
        self.on_message_begin = parser.on_message_begin
        self.on_header = parser.on_header
        self.on_body = parser.stream_body
        self.on_message_complete = parser.stream_complete
        self.on_headers_complete = parser.stream_head


class HeadCallbacks:
    """llhttp's view of a parser waiting for a HEAD response: adds on_headers_complete."""

    __slots__ = (
        "on_body",
        "on_header",
        "on_headers_complete",
        "on_message_begin",
        "on_message_complete",
    )

    def __init__(self, parser: ResponseParser) -> None:
        self.on_message_begin = parser.on_message_begin
        self.on_header = parser.on_header
        self.on_body = parser.on_body
        self.on_message_complete = parser.on_message_complete
        self.on_headers_complete = parser.head_complete
