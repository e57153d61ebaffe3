"""``WsSession`` against the reference target's ``/ws/chat``: metrics on known inputs, faults.

The target runs in its own process (the session ``target_url`` fixture) and
schedules tokens drift-free from each message's arrival, so the reply
latency's expected value is known; windows are wide because the box may be
loaded, and they are checked on the median.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
import uvloop

from agentload.engine.ws import WsMetrics, WsSession, ws_url
from agentload.metrics import CounterData, RateData, Recorder, Snapshot, TrendData
from agentload.protocols.ws import JsonCondition, MessagePredicate

T = TypeVar("T")
DONE = MessagePredicate(json=[JsonCondition("$.type", "done")])
TOKEN = MessagePredicate(json=[JsonCondition("$.type", "token")])


def run(coro: Coroutine[Any, Any, T], loop: str = "uvloop") -> T:
    factory = uvloop.new_event_loop if loop == "uvloop" else None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(asyncio.wait_for(coro, 60))


def series(snap: Snapshot, metric: str, **tags: str) -> list[Any]:
    out = []
    for key, data in snap.series.items():
        if key.metric == metric and all(dict(key.tags).get(k) == v for k, v in tags.items()):
            out.append(data)
    return out


def count(snap: Snapshot, metric: str, **tags: str) -> float:
    return sum(d.value for d in series(snap, metric, **tags) if isinstance(d, CounterData))


def rate(snap: Snapshot, metric: str, **tags: str) -> tuple[int, int]:
    found = [d for d in series(snap, metric, **tags) if isinstance(d, RateData)]
    return sum(d.passes for d in found), sum(d.total for d in found)


def trend(snap: Snapshot, metric: str, **tags: str) -> TrendData:
    found = [d for d in series(snap, metric, **tags) if isinstance(d, TrendData)]
    assert len(found) == 1, found
    return found[0]


def errors(snap: Snapshot) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, data in snap.series.items():
        if key.metric == "errors" and isinstance(data, CounterData):
            kind = dict(key.tags)["kind"]
            out[kind] = out.get(kind, 0) + data.value
    return out


def test_ws_url_maps_schemes() -> None:
    assert ws_url("/ws/chat?a=1", "http://h:1") == "ws://h:1/ws/chat?a=1"
    assert ws_url("/x", "https://h/") == "wss://h/x"
    assert ws_url("HTTP://h/x", "http://ignored") == "ws://h/x"
    assert ws_url("wss://h/x", "http://ignored") == "wss://h/x"


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_reply_latency_on_known_inputs(target_url: str, loop: str) -> None:
    # first token 100 ms after the message arrives, 5 tokens at 50/s: done at 180 ms.
    url = ws_url("/ws/chat?first_token_ms=100&tps=50&tokens=5", target_url)
    recorder = Recorder()
    metrics = WsMetrics(recorder, name="chat", scenario="s")

    async def main() -> None:
        for _ in range(5):
            session = WsSession(metrics)
            assert await session.connect(url, subprotocols=["chat.v1"])
            assert session.connection is not None
            assert session.connection.subprotocol == "chat.v1"
            assert session.send_json({"type": "message", "text": "hi"})
            assert await session.expect(TOKEN, timeout=5, exchange="first_token") is not None
            assert await session.expect(DONE, timeout=5, exchange="reply") is not None
            await session.close()

    run(main(), loop)
    snap = recorder.snapshot(start=0, end=1)
    first = trend(snap, "ws_reply_latency", exchange="first_token").hist
    reply = trend(snap, "ws_reply_latency", exchange="reply").hist
    assert first.count == reply.count == 5
    assert 100_000 <= first.percentile(50) <= 160_000  # µs
    assert 180_000 <= reply.percentile(50) <= 240_000
    assert rate(snap, "ws_message_success") == (10, 10)
    assert rate(snap, "ws_connect_success") == (5, 5)
    assert count(snap, "ws_msgs_sent") == 5
    # per session: the session event, 5 tokens, done
    assert count(snap, "ws_msgs_received") == 5 * 7
    assert count(snap, "ws_sessions") == 5
    assert trend(snap, "ws_connecting").count == 5
    duration = trend(snap, "ws_session_duration").hist
    assert duration.count == 5 and duration.min >= 180_000
    assert errors(snap) == {}


def test_unread_messages_are_counted_at_the_end(target_url: str) -> None:
    url = ws_url("/ws/chat?first_token_ms=0&tps=1000&tokens=3", target_url)
    recorder = Recorder()

    async def main() -> None:
        session = WsSession(WsMetrics(recorder, name="n", scenario="s"))
        assert await session.connect(url)
        session.send_text("hello")
        assert session.connection is not None
        for _ in range(500):  # the reply arrives (on a loaded machine, later); nothing reads it
            if session.connection.messages_received >= 5:
                break
            await asyncio.sleep(0.01)
        await session.close()

    run(main())
    snap = recorder.snapshot(start=0, end=1)
    assert count(snap, "ws_msgs_received") == 1 + 3 + 1


def test_keepalive_pings_and_holds(target_url: str) -> None:
    url = ws_url("/ws/chat?hello=0", target_url)
    recorder = Recorder()

    async def main() -> int:
        session = WsSession(WsMetrics(recorder, name="n", scenario="s"))
        assert await session.connect(url)
        assert await session.keepalive(0.35, ping_every=0.1)
        assert session.connection is not None
        pongs = session.connection.pongs_received
        await session.close()
        return pongs

    assert run(main()) >= 2
    snap = recorder.snapshot(start=0, end=1)
    assert trend(snap, "ws_session_duration").min >= 350_000
    assert errors(snap) == {}


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("drop_after=1", "ws_abnormal_close"),
        ("close_code=4001&close_after=1", "ws_close_error"),
        ("close_code=1011&close_after=1", "ws_close_error"),
        ("close_code=1000&close_after=1", "connection_closed"),
    ],
)
def test_peer_ends_the_session(target_url: str, query: str, kind: str) -> None:
    url = ws_url(f"/ws/chat?first_token_ms=0&tokens=1&{query}", target_url)
    recorder = Recorder()

    async def main() -> None:
        session = WsSession(WsMetrics(recorder, name="n", scenario="s"))
        assert await session.connect(url)
        session.send_text("one")
        assert await session.expect(DONE, timeout=5) is not None
        await asyncio.sleep(0.1)  # the close (or drop) arrives meanwhile
        session.send_text("two")  # may or may not still go out; counted either way
        assert await session.expect(DONE, timeout=5) is None
        assert session.ended
        assert await session.expect(DONE, timeout=5) is None  # fails at once
        await session.close()

    run(main())
    snap = recorder.snapshot(start=0, end=1)
    assert errors(snap) == {kind: 1}
    assert rate(snap, "ws_message_success") == (1, 3)
    assert count(snap, "ws_sessions") == 1


def test_handshake_rejected_and_refused(target_url: str) -> None:
    recorder = Recorder()

    async def main() -> None:
        metrics = WsMetrics(recorder, name="n", scenario="s")
        assert not await WsSession(metrics).connect(ws_url("/ws/chat?status=403", target_url))
        assert not await WsSession(metrics).connect(ws_url("/no/such/path", target_url))
        assert not await WsSession(metrics).connect("ws://127.0.0.1:9/")

    run(main())
    snap = recorder.snapshot(start=0, end=1)
    assert errors(snap) == {"ws_handshake": 2, "connect_refused": 1}
    assert rate(snap, "ws_connect_success") == (0, 3)
    assert count(snap, "ws_sessions") == 0
    samples = snap.failures
    assert samples and any("HTTP 403" in s.error for s in samples)


def test_stalled_agent_times_out_and_the_session_goes_on(target_url: str) -> None:
    url = ws_url("/ws/chat?first_token_ms=0&tokens=1&stall_after=1", target_url)
    recorder = Recorder()

    async def main() -> None:
        session = WsSession(WsMetrics(recorder, name="n", scenario="s"))
        assert await session.connect(url)
        session.send_text("one")
        assert await session.expect(DONE, timeout=5, exchange="x") is not None
        session.send_text("two")
        assert await session.expect(DONE, timeout=0.2, exchange="x") is None
        assert not session.ended
        assert session.send_text("three")
        await session.close()

    run(main())
    snap = recorder.snapshot(start=0, end=1)
    assert errors(snap) == {"ws_timeout": 1}
    assert rate(snap, "ws_message_success", exchange="x") == (1, 2)
    assert trend(snap, "ws_reply_latency", exchange="x").count == 1
    assert count(snap, "ws_msgs_sent") == 3


def test_messages_that_came_before_the_close_are_still_read(target_url: str) -> None:
    url = ws_url("/ws/chat?first_token_ms=0&tokens=2&close_code=1000&close_after=1", target_url)
    recorder = Recorder()

    async def main() -> None:
        session = WsSession(WsMetrics(recorder, name="n", scenario="s"))
        assert await session.connect(url)
        session.send_text("one")
        assert session.connection is not None
        await asyncio.wait_for(session.connection.wait_closed(), 5)  # reply, then close
        assert await session.expect(DONE, timeout=1) is not None  # from the queue
        await session.close()

    run(main())
    snap = recorder.snapshot(start=0, end=1)
    assert errors(snap) == {}
    assert rate(snap, "ws_message_success") == (1, 1)
    assert count(snap, "ws_msgs_received") == 1 + 2 + 1  # session, 2 tokens, done


def test_target_echo_mode_and_bad_knobs(target_url: str) -> None:
    from agentload.protocols.ws import WsConnection, WsError

    async def main() -> None:
        conn = await WsConnection.connect(ws_url("/ws/chat?echo=1", target_url))
        conn.send_text("same")
        conn.send_bytes(b"\x00\xff")
        assert (await conn.recv(timeout=5)).data == "same"
        assert (await conn.recv(timeout=5)).data == b"\x00\xff"
        await conn.close()
        for bad in ("tps=0", "tokens=x", "close_code=1006", "first_token_ms=-1"):
            with pytest.raises(WsError) as info:
                await WsConnection.connect(ws_url(f"/ws/chat?{bad}", target_url))
            assert info.value.status == 400, bad

    run(main())


def test_target_with_a_token_rejects_a_handshake_without_it() -> None:
    from agentload.protocols.ws import WsConnection, WsError
    from agentload.target.app import serve
    from agentload.target.config import TargetConfig

    async def main() -> None:
        async with serve(TargetConfig(token="t0ken")) as target:
            url = ws_url("/ws/chat?hello=1", target.url)
            with pytest.raises(WsError) as info:
                await WsConnection.connect(url)
            assert info.value.status == 401
            conn = await WsConnection.connect(url, headers=[("Authorization", "Bearer t0ken")])
            assert '"session"' in str((await conn.recv(timeout=5)).data)
            await conn.close()

    run(main(), "asyncio")
