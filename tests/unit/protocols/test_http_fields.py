"""Header fields parsed on demand (``_fields.py``) equal the ones llhttp reports eagerly.

The parser's usual mode runs llhttp without ``on_header`` and keeps the reads
that held the head; ``headers`` parses them when first read. These tests
compare that, for any response and any way of splitting it into reads, with
an eager ``on_header`` collection of the same bytes (the reference).
"""

from __future__ import annotations

import httptools
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.protocols.http import Response, ResponseParser
from agentload.protocols.http._fields import head_fields


class _Eager:
    """The reference: every field of the final (non-1xx) response, via on_header."""

    def __init__(self) -> None:
        self.fields: list[tuple[bytes, bytes]] = []
        self.final: list[tuple[bytes, bytes]] = []
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields.append((name, value))

    def on_headers_complete(self) -> None:
        if self.parser.get_status_code() >= 200:
            self.final = self.fields
        self.fields = []


def _eager(data: bytes) -> list[tuple[bytes, bytes]]:
    ref = _Eager()
    ref.parser.feed_data(data)
    return ref.final


_TOKEN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
_NAME = st.text(alphabet=_TOKEN, min_size=1)
_VALUE = st.binary(min_size=0, max_size=30).map(
    # Field values: visible ASCII, spaces and obs-text (RFC 9110 §5.5), no CR/LF/NUL.
    lambda b: bytes(c for c in b if c >= 0x20 and c != 0x7F).strip()
)
_FIELD = st.tuples(_NAME.map(str.encode), _VALUE).filter(
    lambda f: f[0].lower() not in (b"content-length", b"transfer-encoding", b"connection")
)


def _response(fields: list[tuple[bytes, bytes]], body: bytes, interim: int, chunked: bool) -> bytes:
    head = b"".join(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" for _ in range(interim))
    lines = b"".join(name + b": " + value + b"\r\n" for name, value in fields)
    if chunked:
        framing = b"Transfer-Encoding: chunked\r\n"
        payload = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
    else:
        framing = b"Content-Length: %d\r\n" % len(body)
        payload = body
    return head + b"HTTP/1.1 200 OK\r\n" + lines + framing + b"\r\n" + payload


@settings(max_examples=300, deadline=None)
@given(
    fields=st.lists(_FIELD, max_size=8),
    body=st.binary(max_size=40),
    interim=st.integers(0, 2),
    chunked=st.booleans(),
    cuts=st.lists(st.integers(0, 400), max_size=6),
)
def test_fields_on_demand_equal_the_eager_ones_for_any_split(
    fields: list[tuple[bytes, bytes]], body: bytes, interim: int, chunked: bool, cuts: list[int]
) -> None:
    data = _response(fields, body, interim, chunked)
    points = sorted({c for c in cuts if 0 < c < len(data)})
    reads = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    parser = ResponseParser()
    parser.expect()
    done = [parser.feed(r) for r in reads]
    assert done[-1] and not any(done[:-1])
    expected = _eager(data)
    assert parser.fields is None  # the usual mode collected nothing eagerly
    assert parser.headers == expected
    assert parser.body == body
    # What the connection hands to Response: the same fields, parsed on first read.
    response = Response(200, [], parser.body, 0, len(data), 0, 0, 0)
    response._headers, response._head = None, parser.head
    assert response.headers == expected
    assert response.headers is response.headers  # parsed once


def test_duplicates_and_order_are_kept() -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-A: x\r\nSet-Cookie: b=2\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    parser = ResponseParser()
    parser.expect()
    assert parser.feed(data)
    assert parser.headers == [
        (b"Set-Cookie", b"a=1"),
        (b"X-A", b"x"),
        (b"Set-Cookie", b"b=2"),
        (b"Content-Length", b"0"),
    ]


def test_a_second_response_on_the_connection_has_its_own_fields() -> None:
    parser = ResponseParser()
    parser.expect()
    assert parser.feed(b"HTTP/1.1 200 OK\r\nX-N: 1\r\nContent-Length: 2\r\n\r\nok")
    first = parser.head
    parser.expect()
    assert parser.feed(b"HTTP/1.1 404 Not Found\r\nX-N: 2\r\nContent-Length: 0\r\n\r\n")
    assert parser.headers == [(b"X-N", b"2"), (b"Content-Length", b"0")]
    assert head_fields(first) == [(b"X-N", b"1"), (b"Content-Length", b"2")]


def test_reads_after_the_head_are_not_kept() -> None:
    # A large body must not stay referenced twice: only reads holding head bytes are kept.
    parser = ResponseParser()
    parser.expect()
    assert not parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab")
    assert not parser.feed(b"cd")
    assert parser.feed(b"ef")
    assert parser.head == [b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab"]
    assert parser.headers == [(b"Content-Length", b"6")]


def test_an_incomplete_head_gives_the_fields_read_so_far() -> None:
    assert head_fields([b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n"]) == [(b"A", b"1")]
