"""The sans-I/O SSE parser against the WHATWG HTML spec (§9.2.5-9.2.6): bytes in, events out.

No sockets, no sleeps. The examples are the spec's own where it gives them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.errors import ProtocolError
from agentload.protocols.sse import SSEError, SSEEvent, SSEParser


def parse(*chunks: bytes, eof: bool = True) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        parser.receive_data(chunk)
        events.extend(parser.events_received())
    if eof:
        parser.receive_eof()
    return events


# -- the spec's examples (§9.2.6) ----------------------------------------------------


def test_spec_example_stock_ticker() -> None:
    # "data: YHOO / data: +2 / data: 10" → one event whose data is "YHOO\n+2\n10".
    assert parse(b"data: YHOO\ndata: +2\ndata: 10\n\n") == [SSEEvent("YHOO\n+2\n10")]


def test_spec_example_four_blocks() -> None:
    # The comment block fires nothing; "id: 1" carries over to the last event.
    stream = (
        b": test stream\n\n"
        b"data: first event\nid: 1\n\n"
        b"data:second event\nid\n\n"
        b"data:  third event\n\n"
    )
    assert parse(stream) == [
        SSEEvent("first event", last_event_id="1"),
        SSEEvent("second event", last_event_id=""),
        SSEEvent(" third event", last_event_id=""),  # only one leading space is removed
    ]


def test_spec_example_empty_data_lines() -> None:
    # "data" alone twice → "\n"; "data" alone then blank → "" (an event, empty data);
    # a block without data fires nothing.
    assert parse(b"data\n\ndata\ndata\n\ndata:\n") == [SSEEvent(""), SSEEvent("\n")]


def test_spec_example_colon_space_equivalence() -> None:
    assert parse(b"data:test\n\ndata: test\n\n") == [SSEEvent("test"), SSEEvent("test")]


# -- fields ------------------------------------------------------------------------------


def test_event_type_is_set_then_reset_after_dispatch() -> None:
    events = parse(b"event: add\ndata: 1\n\ndata: 2\n\n")
    assert events == [SSEEvent("1", event="add"), SSEEvent("2", event="message")]


def test_empty_event_field_means_message() -> None:
    assert parse(b"event:\ndata: x\n\n") == [SSEEvent("x", event="message")]


def test_id_with_nul_is_ignored_and_id_persists_without_data() -> None:
    parser = SSEParser()
    parser.receive_data(b"id: 7\n\nid: a\x00b\ndata: x\n\n")
    assert parser.events_received() == [SSEEvent("x", last_event_id="7")]
    assert parser.last_event_id == "7"


def test_retry_takes_digits_only() -> None:
    parser = SSEParser()
    parser.receive_data(b"retry: 2500\n\nretry: 12a\n\nretry:\n\n")
    assert parser.retry_ms == 2500
    assert parser.events_received() == []


def test_unknown_fields_and_comments_are_ignored() -> None:
    assert parse(b": keep-alive\nfoo: bar\ndata: x\n:\n\n") == [SSEEvent("x")]


def test_field_without_colon_has_empty_value() -> None:
    assert parse(b"data\n\n") == [SSEEvent("")]


def test_only_the_first_colon_splits() -> None:
    assert parse(b'data: {"a": "b:c"}\n\n') == [SSEEvent('{"a": "b:c"}')]


# -- line endings, BOM, encoding -------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(eol: bytes) -> None:
    stream = b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol
    assert parse(stream) == [SSEEvent("a\nb", event="e")]


def test_mixed_line_endings() -> None:
    assert parse(b"data: a\r\ndata: b\rdata: c\n\r\n") == [SSEEvent("a\nb\nc")]


def test_crlf_split_between_reads_is_one_line_end() -> None:
    # "data: a\r" | "\n" | "\r\n": CR LF is one line end, so the event fires once, at the end.
    parser = SSEParser()
    parser.receive_data(b"data: a\r")
    parser.receive_data(b"\n")
    assert parser.events_received() == []
    parser.receive_data(b"\r\n")
    assert parser.events_received() == [SSEEvent("a")]


def test_cr_then_other_byte_is_a_line_end() -> None:
    parser = SSEParser()
    parser.receive_data(b"data: a\r")
    parser.receive_data(b"\r")  # a second CR: an empty line → dispatch
    assert parser.events_received() == [SSEEvent("a")]


def test_leading_bom_is_dropped_once_even_split() -> None:
    bom = b"\xef\xbb\xbf"
    assert parse(bom + b"data: x\n\n") == [SSEEvent("x")]
    assert parse(bom[:1], bom[1:2], bom[2:] + b"data: x\n\n") == [SSEEvent("x")]
    # A second BOM is data, and a BOM later in the stream is not stripped.
    assert parse(bom + bom + b"data: x\n\n") == []  # the field name is "\ufeffdata"
    assert parse(b"data: \xef\xbb\xbfx\n\n") == [SSEEvent("\ufeffx")]


def test_utf8_split_inside_a_character() -> None:
    text = "données 🚀".encode()
    stream = b"data: " + text + b"\n\n"
    cut = stream.index(b"\xf0") + 2  # inside the 4-byte rocket
    assert parse(stream[:cut], stream[cut:]) == [SSEEvent("données 🚀")]


def test_invalid_utf8_becomes_replacement_characters() -> None:
    assert parse(b"data: a\xffb\n\n") == [SSEEvent("a\ufffdb")]


# -- the end of the stream -------------------------------------------------------------------


def test_an_event_without_its_blank_line_is_discarded_at_eof() -> None:
    parser = SSEParser()
    parser.receive_data(b"data: complete\n\ndata: partial\n")
    assert parser.events_received() == [SSEEvent("complete")]
    parser.receive_eof()
    assert parser.events_received() == []


def test_events_received_drains() -> None:
    parser = SSEParser()
    parser.receive_data(b"data: 1\n\ndata: 2\n\n")
    assert [e.data for e in parser.events_received()] == ["1", "2"]
    assert parser.events_received() == []


# -- limits ------------------------------------------------------------------------------------


def test_a_line_over_the_limit_fails_with_our_error() -> None:
    parser = SSEParser(max_event_bytes=100)
    with pytest.raises(SSEError, match="longer than 100 bytes"):
        parser.receive_data(b"data: " + b"x" * 200)
    with pytest.raises(SSEError):  # and the parser stays failed
        parser.receive_data(b"\n\n")


def test_an_event_over_the_limit_fails() -> None:
    parser = SSEParser(max_event_bytes=100)
    with pytest.raises(SSEError, match="larger than 100 bytes"):
        parser.receive_data(b"data: " + b"x" * 60 + b"\ndata: " + b"y" * 60 + b"\n")


def test_sse_error_is_a_protocol_error() -> None:
    assert issubclass(SSEError, ProtocolError)


# -- properties ------------------------------------------------------------------------------


_LINES = st.lists(
    st.one_of(
        st.sampled_from([b"", b":", b": ping", b"data", b"data:", b"id", b"retry: 10", b"event"]),
        st.builds(
            lambda name, value: name + value,
            st.sampled_from([b"data: ", b"data:", b"event: ", b"id: ", b"retry: ", b"x: "]),
            st.text(
                st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
                max_size=12,
            ).map(str.encode),
        ),
    ),
    max_size=30,
)
_EOLS = st.sampled_from([b"\n", b"\r\n", b"\r"])


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    """Well-formed-ish event streams: fields, comments and blank lines, any line ending."""
    lines = draw(_LINES)
    bom = draw(st.booleans())
    return (b"\xef\xbb\xbf" if bom else b"") + b"".join(line + draw(_EOLS) for line in lines)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


@settings(max_examples=400, deadline=None)
@given(stream=streams(), cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=12))
def test_any_split_yields_the_same_events(stream: bytes, cuts: list[int]) -> None:
    whole = SSEParser()
    whole.receive_data(stream)
    expected = whole.events_received()
    parts = SSEParser()
    got: list[SSEEvent] = []
    for piece in _split(stream, cuts):
        parts.receive_data(piece)
        got.extend(parts.events_received())
    assert got == expected
    assert parts.last_event_id == whole.last_event_id
    assert parts.retry_ms == whole.retry_ms


@settings(max_examples=400, deadline=None)
@given(stream=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=8))
def test_byte_by_byte_equals_one_read_for_arbitrary_bytes(stream: bytes, cuts: list[int]) -> None:
    one = SSEParser()
    one.receive_data(stream)
    split = SSEParser()
    events: list[SSEEvent] = []
    for piece in _split(stream, cuts):
        split.receive_data(piece)
        events.extend(split.events_received())
    assert events == one.events_received()


@settings(max_examples=400, deadline=None)
@given(chunks=st.lists(st.binary(max_size=64), max_size=10), limit=st.integers(1, 64))
def test_arbitrary_bytes_raise_nothing_but_sse_error(chunks: list[bytes], limit: int) -> None:
    parser = SSEParser(max_event_bytes=limit)
    try:
        for chunk in chunks:
            parser.receive_data(chunk)
            for event in parser.events_received():
                assert isinstance(event.data, str)
        parser.receive_eof()
    except SSEError:
        pass
