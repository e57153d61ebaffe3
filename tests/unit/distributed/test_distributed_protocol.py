"""The coordinator/worker protocol: every message survives the codec; garbage is refused."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.distributed.protocol import (
    PROTOCOL_VERSION,
    Done,
    Failed,
    Go,
    Interval,
    Message,
    MessageError,
    Ready,
    Setup,
    Stop,
    decode,
    encode,
)
from agentload.metrics import Recorder, Snapshot

SETUP = Setup(
    worker=1,
    workers=2,
    scenario_text="load: {vus: 2, duration: 1s}\nflow:\n  - get: /\n",
    scenario_filename="s.yaml",
    base_dir="/tmp",
    env={"TOKEN": "abc"},
    overrides={"target": "http://127.0.0.1:1"},
    fingerprint="f" * 64,
    plan={"model": {"kind": "closed"}},
    interval=1.0,
)


def _snapshot() -> Snapshot:
    rec = Recorder()
    for v in (100, 2_000, 30_000):
        rec.trend("http_req_duration", {"name": "chat"}).add(v)
    rec.counter("http_reqs").add(3)
    rec.gauge("vus").set(2)
    return rec.snapshot(start=2.0, end=3.0)


MESSAGES: list[Message] = [
    SETUP,
    Go(start_at_ns=123_456_789_000),
    Stop(force=True, reason="signal"),
    Ready(worker=0, pid=4242),
    Interval(worker=1, index=2, snapshot=_snapshot().to_dict()),
    Done(worker=1, stop_reason="completed", duration=3.5, intervals=4, start_skew_s=0.001),
    Failed(worker=0, error="RuntimeError: boom"),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_round_trips(message: Message) -> None:
    data = encode(message)
    assert isinstance(data, bytes)
    assert decode(data) == message
    assert orjson.loads(data)["version"] == PROTOCOL_VERSION


def test_an_interval_carries_the_snapshot_exactly() -> None:
    snap = _snapshot()
    back = decode(encode(Interval(worker=0, index=2, snapshot=snap.to_dict())))
    assert isinstance(back, Interval)
    again = Snapshot.from_dict(back.snapshot)
    assert again.to_dict() == snap.to_dict()


def test_a_float_field_takes_an_integer() -> None:
    raw = orjson.loads(encode(Done(0, "completed", 3.0, 3)))
    raw["duration"] = 3
    back = decode(orjson.dumps(raw))
    assert isinstance(back, Done) and back.duration == 3.0 and isinstance(back.duration, float)


def _raw(message: Message, **changes: object) -> bytes:
    raw = orjson.loads(encode(message))
    for key, value in changes.items():
        if value is ...:
            del raw[key]
        else:
            raw[key] = value
    return orjson.dumps(raw)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"not json", "bad JSON"),
        (b"[1, 2]", "a JSON list"),
        (_raw(Go(1), version=PROTOCOL_VERSION + 1), "protocol version"),
        (_raw(Go(1), version=...), "protocol version"),
        (_raw(Go(1), type="launch"), "unknown message type"),
        (_raw(Go(1), start_at_ns=...), "missing start_at_ns"),
        (_raw(Go(1), surprise=1), "unknown field(s) surprise"),
        (_raw(Go(1), start_at_ns="soon"), "start_at_ns"),
        (_raw(Stop(False, "signal"), force=1), "force"),
        (_raw(Ready(0, 1), pid=True), "pid"),
        (_raw(SETUP, env={"A": 1}), "env"),
        (_raw(SETUP, plan=[]), "plan"),
        (_raw(Failed(0, "x"), error=None), "error"),
    ],
)
def test_garbage_is_refused_with_a_reason(data: bytes, needle: str) -> None:
    with pytest.raises(MessageError) as info:
        decode(data)
    assert needle in str(info.value)


@settings(deadline=None)
@given(
    worker=st.integers(0, 1024),
    reason=st.text(max_size=40),
    duration=st.floats(0, 1e6, allow_nan=False),
    intervals=st.integers(0, 10**6),
)
def test_done_round_trips_for_any_values(
    worker: int, reason: str, duration: float, intervals: int
) -> None:
    message = Done(worker, reason, duration, intervals)
    assert decode(encode(message)) == message
