"""The dialect codecs: raw PCM (binary or Nova-shaped JSON), Twilio, OpenAI Realtime.

Wire shapes are protocols.md §1 (Realtime), §2 (Twilio Media Streams) and §3
(Nova Sonic events as AWS's sample WebSocket server relays them).
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from agentload.protocols.voice._json import b64, field, load_object, text_field, unb64
from agentload.protocols.voice.codec import Dialect, Outgoing, VoiceCodec
from agentload.protocols.voice.events import (
    AgentAudio,
    AgentMark,
    EndOfSpeech,
    Interrupted,
    ResponseDone,
    ServerError,
    SessionReady,
    ToolCall,
    VoiceEvent,
    VoiceProtocolError,
)
from agentload.protocols.voice.g711 import ulaw_decode, ulaw_encode

__all__ = ["PcmCodec", "PcmJsonCodec", "RealtimeCodec", "TwilioCodec", "make_codec"]


def _pcm(data: bytes, what: str) -> npt.NDArray[np.int16]:
    if len(data) % 2:
        raise VoiceProtocolError(f"{what}: 16-bit PCM audio has an odd number of bytes")
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


class PcmCodec(VoiceCodec):
    """Raw 16-bit little-endian mono PCM in binary frames (seed 000: 16 kHz, 32 ms chunks).

    Agent audio comes as binary frames at ``agent_rate``. A text frame that is
    ``{"type": "interrupted"}`` or ``{"event": "clear"}`` is the agent's barge-in
    signal; other text frames are ignored (servers send status JSON).
    """

    dialect = Dialect.PCM

    def __init__(self, *, rate: int = 16000, chunk_ms: int = 32, agent_rate: int = 16000) -> None:
        self.caller_rate = rate
        self.agent_rate = agent_rate
        self.frame_samples = rate * chunk_ms // 1000

    def _payload(self, frame: npt.NDArray[np.int16]) -> bytes:
        return frame.astype("<i2").tobytes()

    def audio(self, payload: Any) -> Outgoing:
        return payload  # type: ignore[no-any-return]  # prepared bytes

    def decode(self, data: str | bytes) -> list[VoiceEvent]:
        if isinstance(data, bytes):
            return [AgentAudio(_pcm(data, "agent audio"))]
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            return []
        if isinstance(obj, dict) and (
            obj.get("type") == "interrupted" or obj.get("event") == "clear"
        ):
            return [Interrupted("interrupted")]
        return []


class PcmJsonCodec(VoiceCodec):
    """Nova-Sonic-shaped JSON events over a WebSocket (protocols.md §3.2–3.5).

    Caller: ``sessionStart`` → ``promptStart`` → ``contentStart`` (AUDIO, USER)
    → ``audioInput`` (base64 16 kHz PCM, 32 ms) … → ``contentEnd`` →
    ``promptEnd`` → ``sessionEnd``. Agent: ``audioOutput`` (base64 PCM at
    ``agent_rate``, 24 kHz by default); ``contentEnd`` with ``stopReason``
    ``INTERRUPTED`` or a ``textOutput`` holding ``"interrupted": true`` is the
    barge-in signal; ``END_TURN`` ends a response; a USER text block marked
    ``FINAL`` is the end-of-turn signal; ``toolUse`` is a tool call.
    """

    dialect = Dialect.PCM_JSON

    def __init__(
        self, *, rate: int = 16000, chunk_ms: int = 32, agent_rate: int = 24000, session: str = ""
    ) -> None:
        self.caller_rate = rate
        self.agent_rate = agent_rate
        self.frame_samples = rate * chunk_ms // 1000
        self.prompt = f"prompt-{session}"
        self.content = f"audio-{session}"
        self._user_final = False
        self._head = (
            f'{{"event":{{"audioInput":{{"promptName":"{self.prompt}",'
            f'"contentName":"{self.content}","content":"'
        )

    def _payload(self, frame: npt.NDArray[np.int16]) -> str:
        return b64(frame.astype("<i2").tobytes())

    def _event(self, name: str, body: dict[str, Any]) -> str:
        return orjson.dumps({"event": {name: body}}).decode()

    def opening(self) -> list[Outgoing]:
        p, c = self.prompt, self.content
        audio_out = {
            "mediaType": "audio/lpcm", "sampleRateHertz": self.agent_rate, "sampleSizeBits": 16,
            "channelCount": 1, "encoding": "base64", "audioType": "SPEECH",
        }  # fmt: skip
        audio_in = {
            "mediaType": "audio/lpcm", "sampleRateHertz": self.caller_rate, "sampleSizeBits": 16,
            "channelCount": 1, "audioType": "SPEECH", "encoding": "base64",
        }  # fmt: skip
        return [
            self._event("sessionStart", {"inferenceConfiguration": {"maxTokens": 1024}}),
            self._event(
                "promptStart",
                {"promptName": p, "textOutputConfiguration": {"mediaType": "text/plain"},
                 "audioOutputConfiguration": audio_out},
            ),
            self._event(
                "contentStart",
                {"promptName": p, "contentName": c, "type": "AUDIO", "interactive": True,
                 "role": "USER", "audioInputConfiguration": audio_in},
            ),
        ]  # fmt: skip

    def audio(self, payload: Any) -> Outgoing:
        return f'{self._head}{payload}"}}}}}}'

    def tool_result(self, call_id: str, output: str) -> list[Outgoing]:
        p, name = self.prompt, f"tool-{call_id}"
        return [
            self._event(
                "contentStart",
                {"promptName": p, "contentName": name, "interactive": False, "type": "TOOL",
                 "role": "TOOL", "toolResultInputConfiguration": {"toolUseId": call_id,
                 "type": "TEXT", "textInputConfiguration": {"mediaType": "text/plain"}}},
            ),
            self._event("toolResult", {"promptName": p, "contentName": name, "content": output}),
            self._event("contentEnd", {"promptName": p, "contentName": name}),
        ]  # fmt: skip

    def closing(self) -> list[Outgoing]:
        p = self.prompt
        return [
            self._event("contentEnd", {"promptName": p, "contentName": self.content}),
            self._event("promptEnd", {"promptName": p}),
            self._event("sessionEnd", {}),
        ]

    def decode(self, data: str | bytes) -> list[VoiceEvent]:
        what = "pcm_json message"
        obj = load_object(data, what)
        if "body" in obj and "event" not in obj:  # the sample server may wrap events
            obj = load_object(text_field(obj, "body", what), what)
        event = field(obj, "event", what)
        out: list[VoiceEvent] = []
        for name, body in event.items():
            if not isinstance(body, dict):
                raise VoiceProtocolError(f"{what}: event {name[:40]!r} is not an object")
            if name == "audioOutput":
                pcm = unb64(text_field(body, "content", f"{what} audioOutput"), what)
                out.append(AgentAudio(_pcm(pcm, what), response=str(body.get("contentName", ""))))
            elif name == "contentStart":
                extra = body.get("additionalModelFields")
                self._user_final = (
                    body.get("role") == "USER"
                    and body.get("type") == "TEXT"
                    and isinstance(extra, str)
                    and "FINAL" in extra
                )
            elif name == "textOutput":
                text = body.get("content")
                if isinstance(text, str) and '"interrupted"' in text.replace(" ", ""):
                    out.append(Interrupted("interrupted"))
                elif self._user_final:
                    out.append(EndOfSpeech("user_final_text"))
                    self._user_final = False
            elif name == "contentEnd":
                reason = body.get("stopReason")
                if reason == "INTERRUPTED":
                    out.append(Interrupted("INTERRUPTED"))
                elif reason == "END_TURN" and body.get("type") == "AUDIO":
                    out.append(ResponseDone(str(body.get("contentName", "")), "completed"))
            elif name == "toolUse":
                out.append(
                    ToolCall(
                        text_field(body, "toolUseId", what),
                        text_field(body, "toolName", what),
                        text_field(body, "content", what, default="{}"),
                    )
                )
        return out


class TwilioCodec(VoiceCodec):
    """agentload plays Twilio Media Streams (protocols.md §2.2–2.6).

    Sends ``connected``, ``start`` (fresh ``MZ``/``CA``/``AC`` ids,
    ``customParameters``), one ``media`` per 20 ms (160 µ-law bytes, base64)
    with ``sequenceNumber``, ``chunk`` and ``timestamp`` counted as Twilio
    does, ``mark`` echoes and ``stop``. Reads the agent's ``media``, ``mark``
    and ``clear``; a ``streamSid`` other than ours is a protocol error.
    """

    dialect = Dialect.TWILIO
    caller_rate = 8000
    agent_rate = 8000
    frame_samples = 160

    def __init__(
        self, *, rng: random.Random | None = None, parameters: dict[str, str] | None = None
    ) -> None:
        rng = rng or random.Random()
        self.stream_sid = "MZ" + f"{rng.getrandbits(128):032x}"
        self.call_sid = "CA" + f"{rng.getrandbits(128):032x}"
        self.account_sid = "AC" + f"{rng.getrandbits(128):032x}"
        self.parameters = dict(parameters or {})
        self._seq = 0
        self._chunk = 0
        self._head = f'","streamSid":"{self.stream_sid}","media":{{"track":"inbound","chunk":"'

    def _payload(self, frame: npt.NDArray[np.int16]) -> str:
        return b64(ulaw_encode(frame))

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def opening(self) -> list[Outgoing]:
        connected = {"event": "connected", "protocol": "Call", "version": "1.0.0"}
        start = {
            "event": "start",
            "sequenceNumber": str(self._next_seq()),
            "streamSid": self.stream_sid,
            "start": {
                "streamSid": self.stream_sid,
                "accountSid": self.account_sid,
                "callSid": self.call_sid,
                "tracks": ["inbound"],
                "customParameters": self.parameters,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        }
        return [orjson.dumps(connected).decode(), orjson.dumps(start).decode()]

    def audio(self, payload: Any) -> Outgoing:
        seq = self._next_seq()
        chunk = self._chunk = self._chunk + 1
        # media.timestamp: milliseconds of media since the stream started (20 ms per chunk).
        return (
            f'{{"event":"media","sequenceNumber":"{seq}{self._head}{chunk}",'
            f'"timestamp":"{(chunk - 1) * 20}","payload":"{payload}"}}}}'
        )

    def mark_echo(self, name: str) -> list[Outgoing]:
        msg = {
            "event": "mark",
            "sequenceNumber": str(self._next_seq()),
            "streamSid": self.stream_sid,
            "mark": {"name": name},
        }
        return [orjson.dumps(msg).decode()]

    def dtmf(self, digit: str) -> Outgoing:
        """A ``dtmf`` message for ``digit``."""
        msg = {
            "event": "dtmf",
            "sequenceNumber": str(self._next_seq()),
            "streamSid": self.stream_sid,
            "dtmf": {"track": "inbound_track", "digit": digit},
        }
        return orjson.dumps(msg).decode()

    def closing(self) -> list[Outgoing]:
        msg = {
            "event": "stop",
            "sequenceNumber": str(self._next_seq()),
            "streamSid": self.stream_sid,
            "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
        }
        return [orjson.dumps(msg).decode()]

    def decode(self, data: str | bytes) -> list[VoiceEvent]:
        what = "Twilio message"
        if isinstance(data, bytes):
            raise VoiceProtocolError(
                f"{what}: a binary frame (Media Streams messages are JSON text)"
            )
        obj = load_object(data, what)
        event = text_field(obj, "event", what)
        sid = obj.get("streamSid")
        if event in ("media", "mark", "clear") and sid != self.stream_sid:
            raise VoiceProtocolError(f"{what}: {event} for streamSid {sid!r}, not this stream's")
        if event == "media":
            media = field(obj, "media", what)
            audio = unb64(text_field(media, "payload", what), what)
            if not audio:
                raise VoiceProtocolError(f"{what}: a media message without audio")
            return [AgentAudio(ulaw_decode(audio))]
        if event == "mark":
            return [AgentMark(text_field(field(obj, "mark", what), "name", what))]
        if event == "clear":
            return [Interrupted("clear")]
        return []


class RealtimeCodec(VoiceCodec):
    """The OpenAI Realtime API over WebSocket (protocols.md §1.2–1.8).

    ``session.update`` (pcm 24 kHz both ways, ``server_vad`` unless
    ``manual_turns``, the given tools) after ``session.created``; caller audio
    as ``input_audio_buffer.append``; in manual mode ``commit`` +
    ``response.create`` after each utterance. Reads GA and beta audio deltas,
    ``speech_started`` (barge-in when the agent is speaking), ``speech_stopped``
    (end of turn), ``response.done``, function calls and ``error``.
    """

    dialect = Dialect.REALTIME
    caller_rate = 24000
    agent_rate = 24000
    waits_for_ready = True

    def __init__(
        self,
        *,
        chunk_ms: int = 20,
        manual_turns: bool = False,
        instructions: str = "",
        tools: list[dict[str, Any]] | None = None,
        model: str = "",
    ) -> None:
        self.frame_samples = self.caller_rate * chunk_ms // 1000
        self.manual_turns = manual_turns
        self.instructions = instructions
        self.tools = list(tools or [])
        self.model = model

    def _payload(self, frame: npt.NDArray[np.int16]) -> str:
        return b64(frame.astype("<i2").tobytes())

    def after_ready(self) -> list[Outgoing]:
        fmt = {"type": "audio/pcm", "rate": 24000}
        turn = None if self.manual_turns else {"type": "server_vad", "silence_duration_ms": 500}
        session: dict[str, Any] = {
            "type": "realtime",
            "output_modalities": ["audio"],
            "audio": {"input": {"format": fmt, "turn_detection": turn}, "output": {"format": fmt}},
        }
        if self.model:
            session["model"] = self.model
        if self.instructions:
            session["instructions"] = self.instructions
        if self.tools:
            session["tools"] = self.tools
        return [orjson.dumps({"type": "session.update", "session": session}).decode()]

    def audio(self, payload: Any) -> Outgoing:
        return f'{{"type":"input_audio_buffer.append","audio":"{payload}"}}'

    def end_of_utterance(self) -> list[Outgoing]:
        if not self.manual_turns:
            return []
        return ['{"type":"input_audio_buffer.commit"}', '{"type":"response.create"}']

    def barge_in(self, item: str, played_ms: int) -> list[Outgoing]:
        if not item:
            return []
        msg = {
            "type": "conversation.item.truncate",
            "item_id": item,
            "content_index": 0,
            "audio_end_ms": played_ms,
        }
        return [orjson.dumps(msg).decode()]

    def tool_result(self, call_id: str, output: str) -> list[Outgoing]:
        item = {"type": "function_call_output", "call_id": call_id, "output": output}
        return [
            orjson.dumps({"type": "conversation.item.create", "item": item}).decode(),
            '{"type":"response.create"}',
        ]

    def decode(self, data: str | bytes) -> list[VoiceEvent]:
        what = "Realtime event"
        if isinstance(data, bytes):
            raise VoiceProtocolError(f"{what}: a binary frame (Realtime events are JSON text)")
        obj = load_object(data, what)
        kind = text_field(obj, "type", what)
        if kind in ("response.output_audio.delta", "response.audio.delta"):
            audio = unb64(text_field(obj, "delta", what), what)
            return [
                AgentAudio(
                    _pcm(audio, what),
                    response=str(obj.get("response_id", "")),
                    item=str(obj.get("item_id", "")),
                )
            ]
        if kind == "input_audio_buffer.speech_started":
            return [Interrupted("speech_started")]
        if kind == "input_audio_buffer.speech_stopped":
            return [EndOfSpeech("speech_stopped")]
        if kind == "input_audio_buffer.committed" and not self.manual_turns:
            return [EndOfSpeech("committed")]
        if kind == "response.done":
            response = field(obj, "response", what)
            return [ResponseDone(str(response.get("id", "")), str(response.get("status", "")))]
        if kind == "response.function_call_arguments.done":
            return [
                ToolCall(
                    text_field(obj, "call_id", what),
                    text_field(obj, "name", what, default=""),
                    text_field(obj, "arguments", what, default="{}"),
                )
            ]
        if kind in ("session.created", "session.updated"):
            return [SessionReady(kind)]
        if kind == "error":
            error = obj.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            return [ServerError(str(message or "error event"))]
        return []


def make_codec(dialect: Dialect, *, rng: random.Random | None = None, **options: Any) -> VoiceCodec:
    """A fresh codec for one call (Twilio ids come from ``rng``)."""
    if dialect is Dialect.PCM:
        return PcmCodec(**options)
    if dialect is Dialect.PCM_JSON:
        session = f"{(rng or random.Random()).getrandbits(64):016x}"
        return PcmJsonCodec(session=session, **options)
    if dialect is Dialect.TWILIO:
        return TwilioCodec(rng=rng, **options)
    return RealtimeCodec(**options)
