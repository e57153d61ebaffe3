"""Response parsing, sans-I/O: bytes in, one parsed response out.

:class:`ResponseParser` wraps llhttp (``httptools.HttpResponseParser``), which
does the byte-level work in C; this layer adds what llhttp leaves to its user:
which request a response answers (HEAD), interim 1xx responses, bodies
delimited by the end of the connection, and mapping every parse failure to
:class:`HttpError` with kind ``MALFORMED``.

Each llhttp callback into Python costs about as much as the C parsing of a
small response, so the common path uses only three (``on_message_begin``,
``on_body``, ``on_message_complete``): header fields are parsed from the head's
raw bytes when first asked for (:mod:`._fields`). HEAD and streamed responses
get parsers that also collect the fields as they arrive (``on_header``) and
stop at the end of the head (``on_headers_complete``).
"""

from __future__ import annotations

import contextlib
from typing import Protocol

from httptools import HttpParserError, HttpParserUpgrade, HttpResponseParser

from agentload.errors import ErrorKind
from agentload.protocols.http._callbacks import BodyCallbacks, head_callbacks, stream_callbacks
from agentload.protocols.http._errors import HttpError
from agentload.protocols.http._fields import framed, head_fields, persistent

__all__ = ["MAX_HEAD_BYTES", "BodySink", "ResponseParser"]

MAX_HEAD_BYTES = 64 * 1024
"""The largest response head (status line and header fields) accepted, in bytes.

llhttp has no limit of its own, so without one a peer that never ends its head
would grow memory until a timeout (and with no ``total`` timeout, forever).
A larger head fails the request as ``MALFORMED``. (nginx proxies refuse heads
above 4-8 KiB by default; 64 KiB leaves room for big cookies.)
"""

# Parser states (plain ints: compared on every response).
_IDLE = 0  # no request is waiting for a response
_EXPECTING = 1  # a request was sent; no byte of its response yet
_RECEIVING = 2  # bytes of the response were fed
_COMPLETE = 3  # the response is complete; the public fields hold it
_BROKEN = 4  # the byte stream is unusable (parse error)
# For Connection.start, which inlines expect(False) (keep the two in step).
EXPECTING = _EXPECTING
BROKEN = _BROKEN


class _HeadDone(Exception):
    """Raised from a callback to stop llhttp after the head of a HEAD response."""


class _Unexpected(Exception):
    """Raised from a callback when a message arrives while none is expected."""


class _StreamStop(Exception):
    """Raised from a callback when a :class:`BodySink` asks to stop reading."""


class BodySink(Protocol):
    """Where a streamed response goes, as llhttp parses it (see :meth:`ResponseParser.stream`)."""

    def receive_head(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        """The head of the final (non-1xx) response is complete."""

    def receive_body(self, data: bytes) -> bool:
        """A piece of the body (de-chunked); return ``True`` to stop reading the response."""


class ResponseParser:
    """Parse HTTP/1.1 responses from a byte stream, one request at a time.

    Usage: call :meth:`expect` when a request was sent, then :meth:`feed` the
    bytes read from the connection until it returns ``True``; the response is
    then in :attr:`status`, :attr:`headers`, :attr:`body`, :attr:`keep_alive`
    (the fields as parsed, :attr:`fields`, or else the raw head, :attr:`head`).
    When the peer closes, call :meth:`feed_eof`. Every parse failure raises
    :class:`HttpError` (kind ``MALFORMED``); a stream that ends too early raises
    kind ``CLOSED``. After an error the parser is unusable (as is the connection).

    The ``on_*`` and ``head_complete`` methods are llhttp's callbacks, not for callers.
    """

    __slots__ = (
        "_body",
        "_callbacks",
        "_head",
        "_head_bytes",
        "_headers",
        "_lazy",
        "_p",
        "_raw",
        "_sink",
        "_state",
        "_tail",
        "body",
        "fields",
        "head",
        "keep_alive",
        "status",
    )

    def __init__(self) -> None:
        self._callbacks = BodyCallbacks(self)
        self._p = HttpResponseParser(self._callbacks)
        self._state = _IDLE
        self._head = False
        self._lazy = True
        """True while llhttp runs without on_header: the fields come from the raw head."""
        self._tail = b""
        self._head_bytes = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._raw: list[bytes] = []
        self._body: list[bytes] = []
        self._sink: BodySink | None = None
        self.status = 0
        """The status code of the final response (0 until one is complete)."""
        self.fields: list[tuple[bytes, bytes]] | None = []
        """The header fields of the complete response, or ``None``: parse :attr:`head`."""
        self.head: list[bytes] = []
        """The reads that held the complete response's head (from its first byte on)."""
        self.body = b""
        """The body (complete when :meth:`feed` returned ``True``)."""
        self.keep_alive = False
        """True when the connection may carry another request after this response."""

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """The header fields as received (name, value), in order, with duplicates."""
        fields = self.fields
        if fields is None:
            fields = self.fields = head_fields(self.head)
        return fields

    @property
    def waiting(self) -> bool:
        """True between :meth:`expect` and the end of that response."""
        return self._state in (_EXPECTING, _RECEIVING)

    def expect(self, head: bool = False) -> None:
        """Prepare for the response to a request just sent (``head``: it was a HEAD).

        A HEAD response has no body whatever its headers say (RFC 9110 §9.3.2,
        RFC 9112 §6.3 rule 1); llhttp cannot know the method, so a HEAD gets a
        parser that stops after the head. (``Connection.start`` inlines the
        non-HEAD case: change both together.)
        """
        if self._state == _BROKEN:
            raise HttpError(ErrorKind.MALFORMED, "the connection's byte stream is unusable")
        self._state = _EXPECTING
        self._raw = []
        self._body = []
        self.keep_alive = False
        self._head_bytes = 0
        self._head = head
        if head:
            self._headers = []
            self._lazy = False
            self._tail = b""
            self._p = HttpResponseParser(head_callbacks(self))

    def stream(self, sink: BodySink) -> None:
        """Hand the response just :meth:`expect`-ed to ``sink`` as it is parsed.

        ``sink.receive_head`` gets the head of the final response, then
        ``sink.receive_body`` every piece of its body, during :meth:`feed`; the
        body is not collected (:attr:`body` stays empty). When ``receive_body``
        returns ``True`` the response ends there: :meth:`feed` returns ``True``
        with :attr:`keep_alive` false (the unread rest makes the stream unusable).
        A completed streamed response puts the parser back in its usual mode; any
        other end (error, stop, close) ends the connection, and the parser with it.
        """
        if self._state != _EXPECTING or self._head:
            raise RuntimeError("stream() must follow expect() of a request other than HEAD")
        self._sink = sink
        self._headers = []
        self._lazy = False
        self._p = HttpResponseParser(stream_callbacks(self))

    # -- llhttp callbacks (called from feed_data, in C) ---------------------------

    def on_message_begin(self) -> None:
        # The first byte of a message. After the response is complete, it is a
        # byte nothing asked for (in the same read): stop llhttp right there.
        if self._state != _RECEIVING:
            raise _Unexpected

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_body(self, chunk: bytes) -> None:
        self._body.append(chunk)

    def on_message_complete(self) -> None:
        parser = self._p
        status = parser.get_status_code()
        if status < 200 and status != 101:
            # RFC 9110 §15.2: 1xx responses are interim; the final one follows.
            self._headers = []
            self._body = []
            return
        self.status = status
        # _complete_head(), inlined: this runs once per response.
        if self._lazy:
            self.fields = None
            self.head = self._raw
        else:
            self.fields = self._headers
            self.head = []
        self.body = b"".join(self._body)
        self.keep_alive = parser.should_keep_alive()
        self._state = _COMPLETE

    def _complete_head(self) -> None:
        # The fields as collected, or (usual mode) the raw head to parse on demand.
        if self._lazy:
            self.fields = None
            self.head = self._raw
        else:
            self.fields = self._headers
            self.head = []

    def head_complete(self) -> None:
        if self._p.get_status_code() >= 200:
            raise _HeadDone

    def stream_head(self) -> None:
        status = self._p.get_status_code()
        if status < 200 or self._sink is None:
            return  # an interim response (RFC 9110 §15.2): the final one follows
        # An empty piece marks the head as complete for feed()'s head-size limit
        # and feed_eof(); the body itself goes to the sink.
        self._body.append(b"")
        self._sink.receive_head(status, self._headers)

    def stream_body(self, chunk: bytes) -> None:
        if self._sink is not None and self._sink.receive_body(chunk):
            raise _StreamStop

    def stream_complete(self) -> None:
        self.on_message_complete()
        if self._state == _COMPLETE:
            # Back to collecting bodies for the next request on this connection.
            # llhttp finishes this feed_data with the parser it started with.
            self._sink = None
            self._lazy = True
            self._p = HttpResponseParser(self._callbacks)

    # -- input ----------------------------------------------------------------

    def feed(self, data: bytes) -> bool:
        """Parse ``data``; return ``True`` when the expected response is complete.

        Raises :class:`HttpError` (``MALFORMED``) when the bytes are not a valid
        response, or arrive while no response is expected.
        """
        if self._state not in (_RECEIVING, _EXPECTING):
            self._state = _BROKEN
            raise HttpError(ErrorKind.MALFORMED, "data received while no response was expected")
        self._state = _RECEIVING
        if not self._body:
            # This read may hold bytes of the head: keep it for head_fields().
            self._raw.append(data)
        try:
            self._p.feed_data(data)
        except HttpParserUpgrade:
            # 101 Switching Protocols: the message is complete (llhttp called
            # on_message_complete), but the connection no longer speaks HTTP/1.1.
            self.keep_alive = False
        except HttpParserError as exc:
            return self._parse_failed(exc, data)
        if self._head:
            self._tail = (self._tail + data)[-3:]
        if self._state == _COMPLETE:
            return True
        if not self._body:
            # Not complete and no body byte yet: all bytes fed so far for this
            # response are its head (only incomplete reads pay for this check).
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._state = _BROKEN
                raise HttpError(
                    ErrorKind.MALFORMED,
                    f"malformed response: the head exceeds {MAX_HEAD_BYTES // 1024} KiB "
                    "(too many or too large header fields)",
                )
        return False

    def _parse_failed(self, exc: HttpParserError, data: bytes) -> bool:
        cause = exc.__context__
        if isinstance(cause, _HeadDone):
            return self._head_done(data)
        if isinstance(cause, _StreamStop):
            return self._stream_ended()
        if self._state == _COMPLETE:
            # The response completed in this read; the bytes after it (another
            # message, or data after "Connection: close") make the stream unusable.
            self.keep_alive = False
            return True
        self._state = _BROKEN
        if isinstance(cause, _Unexpected):
            raise HttpError(ErrorKind.MALFORMED, "data received while no response was expected")
        reason = str(exc) or exc.__class__.__name__
        raise HttpError(ErrorKind.MALFORMED, f"malformed response: {reason}") from None

    def _head_done(self, data: bytes) -> bool:
        version = self._p.get_http_version()
        self.status = self._p.get_status_code()
        # llhttp is now in an error state; a fresh parser takes the next response.
        self._lazy = True
        self._p = HttpResponseParser(self._callbacks)
        self.fields = self._headers
        self.head = []
        self.body = b""
        self._state = _COMPLETE
        # Bytes after the head in this read (a body sent to a HEAD request, which
        # RFC 9110 §9.3.2 forbids) would be read as the next response: do not reuse.
        ends_clean = (self._tail + data).endswith(b"\r\n\r\n")
        self.keep_alive = ends_clean and persistent(version, self._headers)
        self._tail = b""
        return True

    def _stream_ended(self) -> bool:
        # A streamed response that ends without llhttp's on_message_complete:
        # stopped by its sink, or delimited by the close. Never reusable.
        self.status = self._p.get_status_code()
        self._complete_head()
        self.body = b""
        self.keep_alive = False
        self._sink = None
        self._state = _COMPLETE
        return True

    def feed_eof(self) -> bool:
        """The peer closed the connection; return ``True`` if that completed a response.

        A response without ``Content-Length`` or chunked framing ends when the
        connection closes (RFC 9112 §6.3 rule 8). Returns ``False`` when no
        response was expected; raises :class:`HttpError` (``CLOSED``) when the
        expected response was not complete.
        """
        state = self._state
        if state == _EXPECTING:
            raise HttpError(ErrorKind.CLOSED, "connection closed before any response byte")
        if state != _RECEIVING:
            return False
        if self._head or framed(head_fields(self._raw) if self._lazy else self._headers):
            # llhttp completes a framed message itself, so this one was cut short.
            raise HttpError(ErrorKind.CLOSED, "connection closed before the response was complete")
        if self._sink is not None:
            # A streamed body delimited by the close: the marker says whether the
            # head was complete (the NUL probe below would reach the sink).
            if not self._body:
                self._state = _BROKEN
                message = "connection closed before the response head was complete"
                raise HttpError(ErrorKind.CLOSED, message)
            return self._stream_ended()
        # Was the head complete? Only in the read-until-close body state does
        # llhttp hand any byte to on_body; anywhere in the head a NUL is an
        # error or part of the reason phrase. So probe with one.
        parts = self._body
        count = len(parts)
        with contextlib.suppress(HttpParserError):
            self._p.feed_data(b"\x00")
        if len(parts) == count:
            self._state = _BROKEN
            message = "connection closed before the response head was complete"
            raise HttpError(ErrorKind.CLOSED, message)
        del parts[count:]
        self.status = self._p.get_status_code()
        self._complete_head()
        self.body = b"".join(parts)
        self.keep_alive = False
        self._state = _COMPLETE
        return True
