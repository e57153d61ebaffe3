"""The dialect codecs: messages as the protocols describe them, and clear errors on bad input."""

from __future__ import annotations

import base64
import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.protocols.voice import (
    Dialect,
    PcmCodec,
    PcmJsonCodec,
    RealtimeCodec,
    TwilioCodec,
    VoiceProtocolError,
    make_codec,
    ulaw_encode,
)
from agentload.protocols.voice.events import (
    AgentAudio,
    AgentMark,
    EndOfSpeech,
    Interrupted,
    ResponseDone,
    ServerError,
    SessionReady,
    ToolCall,
)


def test_twilio_messages_count_like_twilio() -> None:
    codec = TwilioCodec(rng=random.Random(1), parameters={"caller": "+1555"})
    connected, start = (json.loads(m) for m in codec.opening())
    assert connected == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert start["sequenceNumber"] == "1" and start["streamSid"].startswith("MZ")
    assert start["start"]["callSid"].startswith("CA")
    assert start["start"]["mediaFormat"] == {
        "encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}  # fmt: skip
    assert start["start"]["customParameters"] == {"caller": "+1555"}
    payloads = codec.prepare(np.zeros(400, dtype=np.int16))  # 2.5 frames → 3, padded
    assert len(payloads) == 3 and base64.b64decode(payloads[0]) == b"\xff" * 160
    assert codec.frame_ns == 20_000_000
    m1, m2 = (json.loads(codec.audio(p)) for p in payloads[:2])
    assert m1["sequenceNumber"] == "2" and m2["sequenceNumber"] == "3"
    assert m1["media"] == {"track": "inbound", "chunk": "1", "timestamp": "0",
                           "payload": payloads[0]}  # fmt: skip
    assert m2["media"]["chunk"] == "2" and m2["media"]["timestamp"] == "20"
    assert m1["streamSid"] == start["streamSid"]
    echo = json.loads(codec.mark_echo("reply-1")[0])
    assert echo["event"] == "mark" and echo["mark"] == {"name": "reply-1"}
    assert echo["sequenceNumber"] == "4"
    stop = json.loads(codec.closing()[0])
    assert stop["event"] == "stop" and stop["stop"]["callSid"] == start["start"]["callSid"]


def test_twilio_decodes_media_mark_and_clear() -> None:
    codec = TwilioCodec(rng=random.Random(2))
    sid = codec.stream_sid
    audio = ulaw_encode(np.array([0, 1000, -1000], dtype=np.int16))
    payload = base64.b64encode(audio).decode()
    msg = {"event": "media", "streamSid": sid, "media": {"payload": payload}}
    (event,) = codec.decode(json.dumps(msg))
    assert isinstance(event, AgentAudio) and len(event.samples) == 3
    assert abs(int(event.samples[1]) - 1000) < 40
    mark = {"event": "mark", "streamSid": sid, "mark": {"name": "m"}}
    assert codec.decode(json.dumps(mark)) == [AgentMark("m")]
    assert codec.decode(json.dumps({"event": "clear", "streamSid": sid})) == [Interrupted("clear")]
    with pytest.raises(VoiceProtocolError, match="not this stream"):
        codec.decode(json.dumps({"event": "clear", "streamSid": "MZother"}))
    with pytest.raises(VoiceProtocolError, match="without audio"):
        codec.decode(json.dumps({"event": "media", "streamSid": sid, "media": {"payload": ""}}))


def test_realtime_session_audio_and_turns() -> None:
    codec = RealtimeCodec(manual_turns=True, tools=[{"type": "function", "name": "f"}])
    assert codec.caller_rate == 24000 and codec.frame_samples == 480
    assert codec.waits_for_ready and codec.opening() == []
    update = json.loads(codec.after_ready()[0])
    session = update["session"]
    assert update["type"] == "session.update" and session["type"] == "realtime"
    assert session["audio"]["input"] == {
        "format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": None}  # fmt: skip
    assert session["tools"] == [{"type": "function", "name": "f"}]
    (payload,) = codec.prepare(np.arange(480, dtype=np.int16))
    append = json.loads(codec.audio(payload))
    assert append["type"] == "input_audio_buffer.append"
    assert np.array_equal(np.frombuffer(base64.b64decode(append["audio"]), "<i2"), np.arange(480))
    assert [json.loads(m)["type"] for m in codec.end_of_utterance()] == [
        "input_audio_buffer.commit", "response.create"]  # fmt: skip
    trunc = json.loads(codec.barge_in("item_1", 1234)[0])
    assert trunc == {"type": "conversation.item.truncate", "item_id": "item_1",
                     "content_index": 0, "audio_end_ms": 1234}  # fmt: skip
    create, respond = (json.loads(m) for m in codec.tool_result("call_1", '{"ok":1}'))
    assert create["item"] == {"type": "function_call_output", "call_id": "call_1",
                              "output": '{"ok":1}'}  # fmt: skip
    assert respond == {"type": "response.create"}
    assert RealtimeCodec().end_of_utterance() == []


@pytest.mark.parametrize("name", ["response.output_audio.delta", "response.audio.delta"])
def test_realtime_accepts_ga_and_beta_audio(name: str) -> None:
    pcm = np.array([1, -2, 3], "<i2").tobytes()
    msg = {"type": name, "response_id": "r", "item_id": "i",
           "delta": base64.b64encode(pcm).decode()}  # fmt: skip
    (event,) = RealtimeCodec().decode(json.dumps(msg))
    assert isinstance(event, AgentAudio)
    assert event.samples.tolist() == [1, -2, 3] and event.response == "r" and event.item == "i"


def test_realtime_events() -> None:
    c = RealtimeCodec()
    assert c.decode('{"type":"session.created"}') == [SessionReady("session.created")]
    assert c.decode('{"type":"input_audio_buffer.speech_started"}') == [
        Interrupted("speech_started")]  # fmt: skip
    assert c.decode('{"type":"input_audio_buffer.speech_stopped"}') == [
        EndOfSpeech("speech_stopped")]  # fmt: skip
    done = '{"type":"response.done","response":{"id":"r1","status":"cancelled"}}'
    assert c.decode(done) == [ResponseDone("r1", "cancelled")]
    call = ('{"type":"response.function_call_arguments.done","call_id":"c","name":"n",'
            '"arguments":"{}"}')  # fmt: skip
    assert c.decode(call) == [ToolCall("c", "n", "{}")]
    assert c.decode('{"type":"error","error":{"message":"bad"}}') == [ServerError("bad")]
    assert c.decode('{"type":"rate_limits.updated"}') == []
    with pytest.raises(VoiceProtocolError, match="odd number"):
        c.decode('{"type":"response.audio.delta","delta":"AAAA"}')


def test_pcm_binary_and_nova_json() -> None:
    pcm = PcmCodec()
    assert pcm.frame_samples == 512 and pcm.frame_ns == 32_000_000
    (frame,) = pcm.prepare(np.ones(512, dtype=np.int16))
    assert pcm.audio(frame) == np.ones(512, "<i2").tobytes()
    assert pcm.decode(b"\x01\x00\x02\x00")[0].samples.tolist() == [1, 2]  # type: ignore[union-attr]
    assert pcm.decode('{"type":"interrupted"}') == [Interrupted("interrupted")]
    assert pcm.decode("status: fine") == []
    with pytest.raises(VoiceProtocolError):
        pcm.decode(b"\x01")
    nova = PcmJsonCodec(session="s1")
    kinds = [next(iter(json.loads(m)["event"])) for m in nova.opening()]
    assert kinds == ["sessionStart", "promptStart", "contentStart"]
    (payload,) = nova.prepare(np.zeros(512, dtype=np.int16))
    sent = json.loads(nova.audio(payload))["event"]["audioInput"]
    assert sent["promptName"] == "prompt-s1" and sent["contentName"] == "audio-s1"
    assert len(base64.b64decode(sent["content"])) == 1024  # 32 ms at 16 kHz, as AWS's sample
    out = {"event": {"audioOutput": {"content": base64.b64encode(b"\x05\x00").decode()}}}
    assert nova.decode(json.dumps(out))[0].samples.tolist() == [5]  # type: ignore[union-attr]
    end = {"event": {"contentEnd": {"type": "AUDIO", "stopReason": "INTERRUPTED"}}}
    assert nova.decode(json.dumps(end)) == [Interrupted("INTERRUPTED")]
    text = {"event": {"textOutput": {"content": '{ "interrupted" : true }'}}}
    assert nova.decode(json.dumps(text)) == [Interrupted("interrupted")]
    final = {
        "event": {
            "contentStart": {
                "role": "USER",
                "type": "TEXT",
                "additionalModelFields": '{"generationStage":"FINAL"}',
            }
        }
    }
    assert nova.decode(json.dumps(final)) == []
    assert nova.decode('{"event":{"textOutput":{"content":"hi"}}}') == [
        EndOfSpeech("user_final_text")]  # fmt: skip
    assert [next(iter(json.loads(m)["event"])) for m in nova.closing()] == [
        "contentEnd", "promptEnd", "sessionEnd"]  # fmt: skip


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        "event",
        "type",
        "media",
        "payload",
        "delta",
        "streamSid",
        "mark",
        "response",
        "audioOutput",
        "content",
        "contentEnd",
        "textOutput",
    ]
)


def _message() -> st.SearchStrategy[str | bytes]:
    structured = st.dictionaries(_KEYS, _JSONISH, max_size=5).map(json.dumps)
    return st.one_of(st.binary(max_size=64), st.text(max_size=64), structured)


@pytest.mark.parametrize("dialect", list(Dialect))
@settings(max_examples=120, deadline=None)
@given(data=_message())
def test_decoders_never_crash_only_clear_errors(dialect: Dialect, data: str | bytes) -> None:
    codec = make_codec(dialect, rng=random.Random(0))
    try:
        events = codec.decode(data)
    except VoiceProtocolError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(events, list)
