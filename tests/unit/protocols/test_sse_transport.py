"""The byte path event streams ride on: ``ResponseParser.stream`` (sans-I/O, no sockets)."""

from __future__ import annotations

import pytest

from agentload.errors import ErrorKind
from agentload.protocols.http import HttpError, ResponseParser

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)


class Sink:
    def __init__(self, stop_after: int | None = None) -> None:
        self.heads: list[tuple[int, list[tuple[bytes, bytes]]]] = []
        self.pieces: list[bytes] = []
        self.stop_after = stop_after

    def receive_head(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.heads.append((status, list(headers)))

    def receive_body(self, data: bytes) -> bool:
        self.pieces.append(data)
        return self.stop_after is not None and len(self.pieces) >= self.stop_after


def streaming(sink: Sink) -> ResponseParser:
    parser = ResponseParser()
    parser.expect()
    parser.stream(sink)
    return parser


def test_pieces_reach_the_sink_as_they_are_fed_and_the_body_is_not_kept() -> None:
    sink = Sink()
    parser = streaming(sink)
    assert parser.feed(HEAD) is False
    assert sink.heads == [(200, sink.heads[0][1])]
    assert (b"Content-Type", b"text/event-stream") in sink.heads[0][1]
    assert parser.feed(chunked(b"data: 1\n\n")) is False
    assert sink.pieces == [b"data: 1\n\n"]
    assert parser.feed(chunked(b"data: 2\n\n") + b"0\r\n\r\n") is True
    assert sink.pieces == [b"data: 1\n\n", b"data: 2\n\n"]
    assert parser.status == 200 and parser.body == b"" and parser.keep_alive


def test_after_a_streamed_response_the_next_one_is_collected_again() -> None:
    sink = Sink()
    parser = streaming(sink)
    assert parser.feed(HEAD + chunked(b"x") + b"0\r\n\r\n") is True
    parser.expect()
    assert parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") is True
    assert parser.body == b"ok"
    assert sink.pieces == [b"x"]  # the sink saw nothing of the second response


def test_the_sink_can_stop_reading_and_the_connection_is_not_reused() -> None:
    sink = Sink(stop_after=1)
    parser = streaming(sink)
    done = parser.feed(HEAD + chunked(b"data: 1\n\n", b"data: 2\n\n"))
    assert done is True
    assert sink.pieces == [b"data: 1\n\n"]
    assert parser.status == 200 and not parser.keep_alive


def test_a_long_stream_is_not_mistaken_for_a_huge_head() -> None:
    sink = Sink()
    parser = streaming(sink)
    parser.feed(HEAD)
    piece = chunked(b"data: " + b"x" * 1000 + b"\n\n")
    for _ in range(200):  # 200 KB of body, well past the 64 KiB head limit
        assert parser.feed(piece) is False
    assert len(sink.pieces) == 200


def test_a_cut_framed_stream_raises_closed() -> None:
    parser = streaming(Sink())
    parser.feed(HEAD + chunked(b"data: 1\n\n"))
    with pytest.raises(HttpError) as caught:
        parser.feed_eof()
    assert caught.value.kind is ErrorKind.CLOSED


def test_a_close_delimited_stream_ends_at_eof_without_a_probe_byte() -> None:
    sink = Sink()
    parser = streaming(sink)
    parser.feed(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\n")
    assert parser.feed_eof() is True
    assert sink.pieces == [b"data: 1\n\n"]  # no NUL reached the sink
    assert parser.status == 200 and not parser.keep_alive


def test_eof_inside_the_head_of_a_streamed_response_raises_closed() -> None:
    sink = Sink()
    parser = streaming(sink)
    parser.feed(b"HTTP/1.1 200 OK\r\nContent-Ty")
    with pytest.raises(HttpError) as caught:
        parser.feed_eof()
    assert caught.value.kind is ErrorKind.CLOSED
    assert sink.heads == []


def test_interim_responses_do_not_reach_the_sink() -> None:
    sink = Sink()
    parser = streaming(sink)
    assert parser.feed(b"HTTP/1.1 100 Continue\r\n\r\n" + HEAD + b"0\r\n\r\n") is True
    assert [status for status, _ in sink.heads] == [200]


def test_stream_must_follow_expect_and_not_a_head_request() -> None:
    with pytest.raises(RuntimeError):
        ResponseParser().stream(Sink())
    parser = ResponseParser()
    parser.expect(head=True)
    with pytest.raises(RuntimeError):
        parser.stream(Sink())
