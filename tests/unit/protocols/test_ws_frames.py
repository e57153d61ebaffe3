"""Sans-I/O WebSocket parts: close-code classification and fragment reassembly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.errors import ErrorKind
from agentload.protocols.ws import (
    FrameError,
    MessageAssembler,
    close_error_kind,
    describe_close,
    is_sendable_close_code,
)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (1000, None),
        (1001, None),
        (1005, None),
        (1006, ErrorKind.WS_ABNORMAL_CLOSE),
        (1002, ErrorKind.WS_CLOSE_ERROR),
        (1008, ErrorKind.WS_CLOSE_ERROR),
        (1011, ErrorKind.WS_CLOSE_ERROR),
        (1013, ErrorKind.WS_CLOSE_ERROR),
        (3000, ErrorKind.WS_CLOSE_ERROR),
        (4999, ErrorKind.WS_CLOSE_ERROR),
    ],
)
def test_close_error_kind(code: int, kind: ErrorKind | None) -> None:
    assert close_error_kind(code) is kind


def test_describe_close() -> None:
    assert describe_close(1011, "overloaded") == "1011 (internal error): overloaded"
    assert describe_close(4001) == "4001 (application code)"
    assert describe_close(1006) == "1006 (abnormal closure, no close frame)"


def test_sendable_close_codes() -> None:
    assert is_sendable_close_code(1000)
    assert is_sendable_close_code(4321)
    assert not is_sendable_close_code(1005)
    assert not is_sendable_close_code(1006)
    assert not is_sendable_close_code(999)
    assert not is_sendable_close_code(5000)


def test_unfragmented_and_fragmented() -> None:
    a = MessageAssembler(100)
    assert a.feed(0x1, True, b"hi") == "hi"
    assert a.feed(0x2, True, b"\x00") == b"\x00"
    assert a.feed(0x1, False, "é".encode()[:1]) is None
    assert a.in_progress
    assert a.feed(0x0, False, "é".encode()[1:]) is None
    assert a.feed(0x0, True, b"!") == "é!"
    assert not a.in_progress


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        ([(0x0, True, b"x")], 1002),
        ([(0x1, False, b"x"), (0x1, True, b"y")], 1002),
        ([(0x3, True, b"")], 1002),
        ([(0x1, True, b"\xff")], 1007),
        ([(0x2, True, b"x" * 11)], 1009),
        ([(0x2, False, b"x" * 6), (0x0, True, b"x" * 6)], 1009),
    ],
)
def test_violations_carry_close_codes(frames: list[tuple[int, bool, bytes]], code: int) -> None:
    a = MessageAssembler(10)
    with pytest.raises(FrameError) as info:
        for opcode, fin, payload in frames:
            a.feed(opcode, fin, payload)
    assert info.value.close_code == code


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0x0, 0x1, 0x2, 0x3, 0xA]), st.booleans(), st.binary(max_size=8)),
        max_size=20,
    )
)
def test_any_frame_sequence_gives_messages_or_frame_errors(
    frames: list[tuple[int, bool, bytes]],
) -> None:
    a = MessageAssembler(32)
    for opcode, fin, payload in frames:
        try:
            out = a.feed(opcode, fin, payload)
        except FrameError as exc:
            assert exc.close_code in (1002, 1007, 1009)
            a = MessageAssembler(32)
            continue
        assert out is None or isinstance(out, (str, bytes))


@settings(deadline=None)
@given(st.binary(max_size=64), st.integers(min_value=1, max_value=63))
def test_split_anywhere_reassembles_the_same(payload: bytes, cut: int) -> None:
    a = MessageAssembler(1 << 10)
    cut = min(cut, len(payload))
    assert a.feed(0x2, False, payload[:cut]) is None
    assert a.feed(0x0, True, payload[cut:]) == payload
