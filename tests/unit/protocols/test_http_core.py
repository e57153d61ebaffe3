"""The sans-I/O HTTP core: request encoding, body encoders, URLs and the response parser.

Everything here is bytes in, values or errors out: no socket, no event loop.
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import itertools

import httptools
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.errors import ErrorKind
from agentload.protocols.http import (
    FilePart,
    HttpError,
    Origin,
    Response,
    ResponseParser,
    build_target,
    default_user_agent,
    encode_form,
    encode_json,
    encode_multipart,
    encode_request,
    parse_url,
)

# -- request encoding --------------------------------------------------------------


class _RequestSink:
    """Collects what httptools' request parser sees, to check our bytes are valid HTTP."""

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""
        self.done = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True


def _parse_request(data: bytes) -> tuple[bytes, _RequestSink]:
    sink = _RequestSink()
    parser = httptools.HttpRequestParser(sink)
    parser.feed_data(data)
    assert sink.done
    return parser.get_method(), sink


def test_get_has_request_line_host_first_and_user_agent() -> None:
    data = encode_request("GET", "/a?b=1", host="example.com", headers=(), body=None)
    assert data == (
        b"GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\n"
        + f"User-Agent: {default_user_agent()}\r\n\r\n".encode()
    )
    assert default_user_agent().startswith("agentload/")


def test_user_headers_are_kept_in_order_and_never_duplicated() -> None:
    headers = [("X-A", "1"), ("host", "other:81"), ("user-agent", "me"), ("X-A", "2")]
    data = encode_request("GET", "/", host="example.com", headers=headers, body=None)
    method, sink = _parse_request(data)
    assert method == b"GET"
    assert sink.headers == [
        (b"X-A", b"1"),
        (b"host", b"other:81"),
        (b"user-agent", b"me"),
        (b"X-A", b"2"),
    ]


def test_body_gets_content_length() -> None:
    data = encode_request(
        "POST", "/p", host="h", headers=[("Content-Type", "text/plain")], body=b"hello"
    )
    method, sink = _parse_request(data)
    assert method == b"POST"
    assert (b"Content-Length", b"5") in sink.headers
    assert sink.body == b"hello"


def test_post_without_body_sends_content_length_zero_and_get_sends_none() -> None:
    assert b"Content-Length: 0\r\n" in encode_request("POST", "/", host="h", headers=(), body=None)
    assert b"Content-Length" not in encode_request("GET", "/", host="h", headers=(), body=None)
    assert b"Content-Length: 0\r\n" in encode_request("GET", "/", host="h", headers=(), body=b"")


def test_user_content_length_is_checked_and_transfer_encoding_respected() -> None:
    data = encode_request("PUT", "/", host="h", headers=[("content-length", "3")], body=b"abc")
    assert data.count(b"ength:") == 1
    with pytest.raises(ValueError, match="disagrees"):
        encode_request("PUT", "/", host="h", headers=[("Content-Length", "4")], body=b"abc")
    chunked = b"3\r\nabc\r\n0\r\n\r\n"
    data = encode_request(
        "POST", "/", host="h", headers=[("Transfer-Encoding", "chunked")], body=chunked
    )
    assert b"Content-Length" not in data
    assert _parse_request(data)[1].body == b"abc"


def test_header_values_are_utf8() -> None:
    data = encode_request("GET", "/", host="h", headers=[("X-Name", "José 東京")], body=None)
    assert "X-Name: José 東京\r\n".encode() in data


@pytest.mark.parametrize(
    ("method", "target", "headers"),
    [
        ("GET", "/", [("X-Evil", "a\r\nInjected: 1")]),
        ("GET", "/", [("X-Evil", "a\nb")]),
        ("GET", "/", [("X-Evil", "a\rb")]),
        ("GET", "/", [("X-Evil", "a\x00b")]),
        ("GET", "/", [("X-Evil", "a\x7fb")]),
        ("GET", "/", [("Bad Name", "x")]),
        ("GET", "/", [("Bad:Name", "x")]),
        ("GET", "/", [("", "x")]),
        ("GET", "/", [("X\r\nInjected", "x")]),
        ("GE T", "/", []),
        ("GET\r\n", "/", []),
        ("", "/", []),
        ("GET", "/a b", []),
        ("GET", "/a\r\nHost: evil", []),
        ("GET", "/é", []),
        ("GET", "", []),
    ],
)
def test_injection_and_invalid_tokens_are_rejected(
    method: str, target: str, headers: list[tuple[str, str]]
) -> None:
    with pytest.raises(ValueError):
        encode_request(method, target, host="h", headers=headers, body=None)


def test_host_value_is_validated() -> None:
    with pytest.raises(ValueError):
        encode_request("GET", "/", host="h\r\nX: 1", headers=(), body=None)


def test_tab_is_allowed_in_a_value() -> None:
    assert b"X-T: a\tb\r\n" in encode_request(
        "GET", "/", host="h", headers=[("X-T", "a\tb")], body=None
    )


# -- body encoders -------------------------------------------------------------------


def test_encode_json() -> None:
    body, content_type = encode_json({"a": [1, 2.5, None, True], "é": "ü"})
    assert content_type == "application/json"
    assert orjson.loads(body) == {"a": [1, 2.5, None, True], "é": "ü"}


def test_encode_form() -> None:
    body, content_type = encode_form(
        [("a", "1"), ("b", "x y"), ("c", "&=+"), ("d", True), ("é", 2)]
    )
    assert content_type == "application/x-www-form-urlencoded"
    assert body == b"a=1&b=x+y&c=%26%3D%2B&d=true&%C3%A9=2"
    assert encode_form({"k": ["1", "2"], "z": 0.5})[0] == b"k=1&k=2&z=0.5"


def _multipart_parts(body: bytes, content_type: str) -> list[email.message.MIMEPart]:
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    assert message.is_multipart()
    return list(message.iter_parts())


def test_encode_multipart_round_trips() -> None:
    files = [
        FilePart("upload", "a.bin", b"\x00\x01binary\r\n--", "application/octet-stream"),
        FilePart("doc", 'we"ird\r\nname.txt', b"text", "text/plain"),
    ]
    body, content_type = encode_multipart([("field", "value é"), ("raw", b"\xff")], files)
    assert content_type.startswith("multipart/form-data; boundary=agentload-")
    parts = _multipart_parts(body, content_type)
    assert [p.get_param("name", header="content-disposition") for p in parts] == [
        "field",
        "raw",
        "upload",
        "doc",
    ]
    assert parts[0].get_payload(decode=True) == "value é".encode()
    assert parts[1].get_payload(decode=True) == b"\xff"
    assert parts[2].get_payload(decode=True) == b"\x00\x01binary\r\n--"
    assert parts[2].get_filename() == "a.bin"
    assert parts[3].get_content_type() == "text/plain"
    assert parts[3].get_filename() == "we%22ird%0D%0Aname.txt"  # RFC 7578 §2 escaping


def test_multipart_files_may_be_tuples() -> None:
    as_tuple = encode_multipart((), [("f", "a.txt", b"abc", "text/plain")], boundary="b")[0]
    as_part = encode_multipart((), [FilePart("f", "a.txt", b"abc", "text/plain")], boundary="b")[0]
    assert as_tuple == as_part


def test_multipart_boundary_is_random_and_checked() -> None:
    first = encode_multipart([("a", "1")])[1]
    second = encode_multipart([("a", "1")])[1]
    assert first != second
    body, content_type = encode_multipart([("a", "1")], boundary="fixed")
    assert content_type == "multipart/form-data; boundary=fixed"
    assert body == b'--fixed\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--fixed--\r\n'
    with pytest.raises(ValueError, match="boundary"):
        encode_multipart([("a", "x--fixed")], boundary="fixed")


# -- targets and URLs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/p", {"q": "a b", "x": ["1", "2"]}, "/p?q=a%20b&x=1&x=2"),
        ("/p?a=1", [("b", "2")], "/p?a=1&b=2"),
        ("/p?", [("b", "2")], "/p?b=2"),
        ("/p", [("k&=?/#", "v&=?/#")], "/p?k%26%3D%3F%2F%23=v%26%3D%3F%2F%23"),
        ("/p", [("t", True), ("n", 3), ("f", 0.5)], "/p?t=true&n=3&f=0.5"),
        ("/a b/é", (), "/a%20b/%C3%A9"),
        ("/already%20encoded", (), "/already%20encoded"),
        ("/x#frag", [("a", "1")], "/x?a=1"),
        ("", (), "/"),
        ("rel", (), "/rel"),
        ("*", (), "*"),
        ("/", [("é", "ü")], "/?%C3%A9=%C3%BC"),
    ],
)
def test_build_target(path: str, params: object, expected: str) -> None:
    assert build_target(path, params) == expected  # type: ignore[arg-type]


def test_parse_url() -> None:
    assert parse_url("http://example.com") == (Origin("http", "example.com", 80), "/")
    origin, target = parse_url("https://EXAMPLE.com:8443/a b?x=1#frag")
    assert origin == Origin("https", "example.com", 8443)
    assert target == "/a%20b?x=1"
    assert origin.tls
    assert origin.authority == "example.com:8443"
    assert parse_url("HTTPS://h/")[0].authority == "h"
    v6, _ = parse_url("http://[::1]:8080/x")
    assert v6.host == "::1"
    assert v6.authority == "[::1]:8080"
    assert str(v6) == "http://[::1]:8080"
    assert parse_url("http://bücher.example/")[0].host == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/", "scheme"),
        ("example.com/path", "scheme"),
        ("http://", "no host"),
        ("http:///path", "no host"),
        ("http://host:99999/", "invalid URL"),
        ("http://host:abc/", "invalid URL"),
        ("http://host:0/", "port 0"),
        ("http://user:pw@host/", "credentials"),
    ],
)
def test_parse_url_rejects(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_url(url)


# -- the response parser ---------------------------------------------------------------

CONTENT_LENGTH = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\n"
    b"Set-Cookie: b=2\r\nContent-Length: 11\r\n\r\nhello world"
)
CHUNKED = (
    b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n1\r\n \r\nB\r\nchunked bod\r\n0\r\nX-Trailer: t\r\n\r\n"
)


def _feed_all(parser: ResponseParser, *chunks: bytes) -> bool:
    done = False
    for chunk in chunks:
        assert not done, "response complete before the last chunk"
        done = parser.feed(chunk)
    return done


def _splits(data: bytes) -> list[tuple[bytes, ...]]:
    cuts: list[tuple[bytes, ...]] = [(data[:i], data[i:]) for i in range(1, len(data))]
    cuts.append(tuple(data[i : i + 1] for i in range(len(data))))
    return cuts


@pytest.mark.parametrize("chunks", _splits(CONTENT_LENGTH))
def test_content_length_response_split_anywhere(chunks: tuple[bytes, ...]) -> None:
    parser = ResponseParser()
    parser.expect()
    assert _feed_all(parser, *chunks)
    assert parser.status == 200
    assert parser.body == b"hello world"
    assert parser.keep_alive
    assert parser.headers == [
        (b"Content-Type", b"text/plain"),
        (b"Set-Cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
        (b"Content-Length", b"11"),
    ]


@pytest.mark.parametrize("chunks", _splits(CHUNKED))
def test_chunked_response_split_anywhere(chunks: tuple[bytes, ...]) -> None:
    parser = ResponseParser()
    parser.expect()
    assert _feed_all(parser, *chunks)
    assert parser.status == 201
    assert parser.body == b"hello chunked bod"
    assert parser.keep_alive


def test_keep_alive_stream_carries_several_responses() -> None:
    parser = ResponseParser()
    for data in (CONTENT_LENGTH, CHUNKED, CONTENT_LENGTH):
        parser.expect()
        assert parser.waiting
        assert parser.feed(data)
        assert not parser.waiting
    assert parser.body == b"hello world"


@pytest.mark.parametrize("chunks", _splits(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"))
def test_head_response_has_no_body(chunks: tuple[bytes, ...]) -> None:
    parser = ResponseParser()
    parser.expect(head=True)
    assert _feed_all(parser, *chunks)
    assert parser.status == 200
    assert parser.body == b""
    assert parser.headers == [(b"Content-Length", b"10")]
    assert parser.keep_alive
    parser.expect()  # the next response on the same stream parses normally
    assert parser.feed(CONTENT_LENGTH)
    assert parser.body == b"hello world"


def test_head_response_followed_by_stray_bytes_is_not_reused() -> None:
    parser = ResponseParser()
    parser.expect(head=True)
    assert parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
    assert parser.body == b""
    assert not parser.keep_alive


def test_head_response_honours_connection_close_and_http10() -> None:
    parser = ResponseParser()
    parser.expect(head=True)
    assert parser.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\n")
    assert not parser.keep_alive
    parser = ResponseParser()
    parser.expect(head=True)
    assert parser.feed(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n")
    assert not parser.keep_alive


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: x\r\n\r\n",
    ],
)
def test_204_and_304_have_no_body(data: bytes) -> None:
    parser = ResponseParser()
    parser.expect()
    assert parser.feed(data)
    assert parser.body == b""
    assert parser.keep_alive


def test_interim_1xx_responses_are_skipped() -> None:
    parser = ResponseParser()
    parser.expect()
    interim = b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n"
    data = interim + CONTENT_LENGTH
    for chunk in (data[:30], data[30:]):
        done = parser.feed(chunk)
    assert done
    assert parser.status == 200
    assert (b"X-Interim", b"1") not in parser.headers


@pytest.mark.parametrize(
    ("data", "keep_alive"),
    [
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", False),
        (b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", False),
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", True),
    ],
)
def test_persistence(data: bytes, keep_alive: bool) -> None:
    parser = ResponseParser()
    parser.expect()
    assert parser.feed(data)
    assert parser.keep_alive is keep_alive


@pytest.mark.parametrize(
    ("head", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", b"hello, until the end"),
        (b"HTTP/1.0 200 OK\r\n\r\n", b"x"),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", b""),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", b"raw"),
    ],
)
def test_response_delimited_by_eof(head: bytes, body: bytes) -> None:
    parser = ResponseParser()
    parser.expect()
    assert not parser.feed(head)
    if body:
        assert not parser.feed(body)
    assert parser.feed_eof()
    assert parser.status == 200
    assert parser.body == body
    assert not parser.keep_alive


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "before any response byte"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "head was complete"),
        (b"HTTP/1.1 200 OK\r\nX: 1\r\n", "head was complete"),
        (b"HTTP/1.1 200 OK\r\nX: 1\r\n\r", "head was complete"),
        (b"HTTP/1.1 20", "head was complete"),
        (b"HTTP/1.1 100 Continue\r\n\r\n", "head was complete"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "response was complete"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            "response was complete",
        ),
    ],
)
def test_eof_before_the_end_is_closed(data: bytes, message: str) -> None:
    parser = ResponseParser()
    parser.expect()
    if data:
        assert not parser.feed(data)
    with pytest.raises(HttpError, match=message) as info:
        parser.feed_eof()
    assert info.value.kind is ErrorKind.CLOSED


def test_eof_while_idle_or_after_a_response_is_not_an_error() -> None:
    parser = ResponseParser()
    assert not parser.feed_eof()
    parser.expect()
    assert parser.feed(CONTENT_LENGTH)
    assert not parser.feed_eof()


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 20x OK\r\n\r\n",
        b"HTTX/1.1 200 OK\r\n\r\n",
        b"hello world\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
        b"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
    ],
)
def test_malformed_responses(data: bytes) -> None:
    parser = ResponseParser()
    parser.expect()
    with pytest.raises(HttpError) as info:
        parser.feed(data)
    assert info.value.kind is ErrorKind.MALFORMED
    assert str(info.value).startswith("malformed response")
    with pytest.raises(HttpError):
        parser.expect()  # the stream is unusable


def test_bytes_while_no_response_is_expected_are_malformed() -> None:
    parser = ResponseParser()
    with pytest.raises(HttpError, match="no response was expected") as info:
        parser.feed(CONTENT_LENGTH)
    assert info.value.kind is ErrorKind.MALFORMED
    parser = ResponseParser()
    parser.expect()
    assert parser.feed(CONTENT_LENGTH)
    with pytest.raises(HttpError, match="no response was expected"):
        parser.feed(b"HTTP/1.1 200 OK\r\n")


@pytest.mark.parametrize(
    "extra",
    [
        CONTENT_LENGTH,  # a whole second response
        b"HTTP/1.1 204 No Content\r\n\r\n",  # one without headers or body
        b"HTTP/1.1 200 OK\r\nX: y",  # the start of one
    ],
)
def test_bytes_after_the_response_in_the_same_read_end_reuse(extra: bytes) -> None:
    parser = ResponseParser()
    parser.expect()
    assert parser.feed(CONTENT_LENGTH + extra)
    assert parser.body == b"hello world"
    assert len(parser.headers) == 4
    assert not parser.keep_alive


def test_data_after_connection_close_ends_reuse() -> None:
    parser = ResponseParser()
    parser.expect()
    assert parser.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nokJUNK")
    assert parser.body == b"ok"
    assert not parser.keep_alive


def test_switching_protocols_completes_without_reuse() -> None:
    parser = ResponseParser()
    parser.expect()
    data = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    assert parser.feed(data + b"\x81\x00")
    assert parser.status == 101
    assert not parser.keep_alive


@settings(max_examples=400, deadline=None)
@given(
    prefix=st.sampled_from(
        [b"", b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"]
    ),
    data=st.binary(max_size=300),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=6),
    head=st.booleans(),
    eof=st.booleans(),
)
def test_arbitrary_bytes_raise_only_http_error(
    prefix: bytes, data: bytes, cuts: list[int], head: bool, eof: bool
) -> None:
    stream = prefix + data
    bounds = sorted({0, len(stream), *(c for c in cuts if c < len(stream))})
    parser = ResponseParser()
    parser.expect(head=head)
    try:
        for start, end in itertools.pairwise(bounds):
            if parser.feed(stream[start:end]):
                break
        if eof:
            parser.feed_eof()
    except HttpError as exc:
        assert exc.kind in (ErrorKind.MALFORMED, ErrorKind.CLOSED)


# -- the Response object ---------------------------------------------------------------


def test_response_helpers() -> None:
    headers = [
        (b"Content-Type", b"text/plain; charset=latin-1"),
        (b"X-Multi", b"1"),
        (b"x-multi", b"2"),
    ]
    response = Response(200, headers, "é".encode("latin-1"), 10, 20, 100, 150, 200, 5, 6, 7)
    assert response.header("content-type") == "text/plain; charset=latin-1"
    assert response.header("X-MULTI") == "1"
    assert response.header_all("x-multi") == ["1", "2"]
    assert response.header("missing") is None
    assert response.text() == "é"
    assert response.ttfb_ns == 50
    assert response.elapsed_ns == 100 + 5 + 6 + 7
    assert "200" in repr(response)
    as_json = Response(200, [], b'{"a": [1]}', 0, 0, 0, 0, 0)
    assert as_json.json() == {"a": [1]}
    assert as_json.text() == '{"a": [1]}'
    odd = Response(200, [(b"Content-Type", b"text/plain; charset=nope")], b"\xff", 0, 0, 0, 0, 0)
    assert odd.text() == "\ufffd"
