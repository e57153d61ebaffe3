"""Header fields read on demand from the raw bytes of a response head.

Each llhttp ``on_header`` callback is a call into Python: with the five to
eight fields a typical server sends, they were the largest share of the
parser's cost per response, for fields that a status-only request never
reads. So the common path parses without ``on_header`` and keeps the reads
that held the head (references, no copy); :func:`head_fields` parses those
bytes again, with llhttp, the first time someone asks for the fields
(``Response.headers``, a header check or capture, ``Response.text``).

Parsing the same bytes with the same parser gives exactly the fields the
first pass would have collected: the final (non-1xx) response's fields, in
order, with duplicates (RFC 9110 §15.2: interim responses are skipped).

Also here: the two rules the parser applies to fields itself, on its rare
paths (:func:`persistent` for HEAD responses, :func:`framed` at a close).
"""

from __future__ import annotations

from collections.abc import Iterable

from httptools import HttpParserError, HttpParserUpgrade, HttpResponseParser

__all__ = ["framed", "head_fields", "persistent"]


class _Found(Exception):
    """Raised from a callback to stop llhttp once the final head is read."""


class _Collect:
    """llhttp callbacks that collect the fields of the final response head."""

    __slots__ = ("fields", "final", "parser")

    def __init__(self) -> None:
        self.fields: list[tuple[bytes, bytes]] = []
        self.final: list[tuple[bytes, bytes]] | None = None
        self.parser = HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status >= 200 or status == 101:
            self.final = self.fields
            raise _Found
        self.fields = []  # an interim 1xx head: the final one follows


def head_fields(chunks: Iterable[bytes]) -> list[tuple[bytes, bytes]]:
    """The header fields of the response whose first reads are ``chunks``.

    ``chunks`` must start at the first byte of the response and hold its whole
    head (more bytes after it are ignored). When the final head is incomplete,
    the fields read so far of the last head are returned.
    """
    collect = _Collect()
    feed = collect.parser.feed_data
    try:
        for chunk in chunks:
            feed(chunk)
    except (HttpParserError, HttpParserUpgrade):
        # _Found ends the parse (llhttp reports it as a callback error); the
        # bytes already parsed cleanly once, so nothing else is expected here.
        pass
    return collect.final if collect.final is not None else collect.fields


def persistent(version: str, headers: list[tuple[bytes, bytes]]) -> bool:
    # RFC 9112 §9.3: HTTP/1.1 persists unless "close" is a connection option;
    # HTTP/1.0 persists only with the "keep-alive" option (RFC 9112 appendix C.2.2).
    options: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            options.update(v.strip().lower() for v in value.split(b","))
    if b"close" in options:
        return False
    return version != "1.0" or b"keep-alive" in options


def framed(headers: list[tuple[bytes, bytes]]) -> bool:
    # RFC 9112 §6.3: a response has a length of its own with Content-Length or
    # when chunked is the final transfer coding; otherwise it ends at close (rule 4, 8).
    codings: list[bytes] = []
    for name, value in headers:
        lower = name.lower()
        if lower == b"content-length":
            return True
        if lower == b"transfer-encoding":
            codings.extend(c.strip().lower() for c in value.split(b","))
    return bool(codings) and codings[-1] == b"chunked"
