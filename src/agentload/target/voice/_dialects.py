"""The dialect ends of the reference voice agent (aiohttp WebSocket handlers)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import time
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from aiohttp import WSMsgType, web

from agentload.target.voice._agent import Output, VoiceAgent, VoiceKnobs
from agentload.target.voice._dsp import ulaw_decode, ulaw_encode

__all__ = ["pcm_handler", "realtime_handler", "twilio_handler", "twiml_handler"]

_MAX_MESSAGE = 4 << 20


class _Sender(Output):
    """Sends on an aiohttp WebSocket without awaiting (frames are small; the
    transport buffers), so the agent's pacing loop is never blocked."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self._sending: set[asyncio.Future[None]] = set()

    def _keep(self, future: asyncio.Future[None]) -> None:
        # Each send writes synchronously up to its first await, so order is kept.
        self._sending.add(future)
        future.add_done_callback(self._sent)

    def _sent(self, future: asyncio.Future[None]) -> None:
        self._sending.discard(future)
        if not future.cancelled():
            future.exception()  # a send to a closing socket is not an error here

    def text(self, obj: dict[str, Any]) -> None:
        if not self.ws.closed:
            self._keep(asyncio.ensure_future(self.ws.send_str(orjson.dumps(obj).decode())))

    def binary(self, data: bytes) -> None:
        if not self.ws.closed:
            self._keep(asyncio.ensure_future(self.ws.send_bytes(data)))


async def _drop(request: web.Request, ws: web.WebSocketResponse, code: int | None) -> None:
    if code is not None:
        await ws.close(code=code, message=b"agentload target drop_code")
        return
    transport = request.transport
    if transport is not None:
        transport.abort()  # no close frame: the client sees 1006


async def _serve(
    request: web.Request,
    agent_factory: Any,
    on_text: Any,
    on_binary: Any,
    *,
    speed: float = 1.0,
) -> web.WebSocketResponse:
    knobs = VoiceKnobs.parse(request.query, speed=speed)
    ws = web.WebSocketResponse(max_msg_size=_MAX_MESSAGE, heartbeat=None)
    await ws.prepare(request)
    agent: VoiceAgent = agent_factory(ws, knobs)
    try:
        async for msg in ws:
            now = time.perf_counter_ns()
            if msg.type is WSMsgType.TEXT:
                if on_text(agent, msg.data, now) is False:
                    break
            elif msg.type is WSMsgType.BINARY:
                on_binary(agent, msg.data, now)
            else:
                break
    finally:
        await agent.close()
    return ws


# ------------------------------------------------------------------ raw PCM
class _PcmOut(_Sender):
    out_rate = 16000
    frame_ms = 32

    def audio(self, samples: npt.NDArray[np.int16]) -> None:
        self.binary(samples.astype("<i2").tobytes())

    def interrupt(self) -> None:
        self.text({"type": "interrupted"})


class _PcmJsonOut(_Sender):
    out_rate = 24000
    frame_ms = 32

    def __init__(self, ws: web.WebSocketResponse) -> None:
        super().__init__(ws)
        self.block = 0

    def _event(self, name: str, body: dict[str, Any]) -> None:
        self.text({"event": {name: body}})

    def response_started(self) -> None:
        self.block += 1
        self._event(
            "contentStart",
            {"role": "ASSISTANT", "type": "AUDIO", "contentName": f"reply-{self.block}"},
        )

    def audio(self, samples: npt.NDArray[np.int16]) -> None:
        content = base64.b64encode(samples.astype("<i2").tobytes()).decode()
        self._event("audioOutput", {"contentName": f"reply-{self.block}", "content": content})

    def interrupt(self) -> None:
        self._event("textOutput", {"role": "ASSISTANT", "content": '{ "interrupted" : true }'})

    def response_ended(self, interrupted: bool) -> None:
        reason = "INTERRUPTED" if interrupted else "END_TURN"
        self._event(
            "contentEnd",
            {"type": "AUDIO", "contentName": f"reply-{self.block}", "stopReason": reason},
        )

    def caller_stopped(self, end_ns: int) -> None:
        self._event(
            "contentStart",
            {
                "role": "USER",
                "type": "TEXT",
                "additionalModelFields": '{"generationStage":"FINAL"}',
            },
        )
        self._event("textOutput", {"role": "USER", "content": "(caller speech)"})
        self._event("contentEnd", {"type": "TEXT", "stopReason": "END_TURN"})


async def pcm_handler(request: web.Request) -> web.WebSocketResponse:
    """``/voice/pcm``: binary PCM, or ``?format=json`` Nova-shaped events."""
    as_json = request.query.get("format") == "json"

    def make(ws: web.WebSocketResponse, knobs: VoiceKnobs) -> VoiceAgent:
        out = _PcmJsonOut(ws) if as_json else _PcmOut(ws)
        agent = VoiceAgent(knobs, 16000, out)
        code = knobs.drop_code
        agent.start(lambda: _drop(request, ws, code))
        return agent

    def on_text(agent: VoiceAgent, data: str, now: int) -> bool:
        if not as_json:
            return True
        try:
            event = orjson.loads(data).get("event", {})
            content = (
                event.get("audioInput", {}).get("content") if isinstance(event, dict) else None
            )
        except (orjson.JSONDecodeError, AttributeError):
            return True
        if isinstance(content, str):
            pcm = _b64_pcm(content)
            if pcm is not None:
                agent.feed(pcm, now)
        elif isinstance(event, dict) and "sessionEnd" in event:
            return False
        return True

    def on_binary(agent: VoiceAgent, data: bytes, now: int) -> None:
        if len(data) % 2 == 0:
            agent.feed(np.frombuffer(data, dtype="<i2"), now)

    return await _serve(request, make, on_text, on_binary)


def _b64_pcm(text: str) -> npt.NDArray[np.int16] | None:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return np.frombuffer(raw, dtype="<i2") if len(raw) % 2 == 0 else None


# ------------------------------------------------------------------- Twilio
class _TwilioOut(_Sender):
    out_rate = 8000
    frame_ms = 20

    def __init__(self, ws: web.WebSocketResponse) -> None:
        super().__init__(ws)
        self.stream_sid = ""
        self.marks = 0

    def audio(self, samples: npt.NDArray[np.int16]) -> None:
        payload = base64.b64encode(ulaw_encode(samples)).decode()
        self.text({"event": "media", "streamSid": self.stream_sid, "media": {"payload": payload}})

    def response_ended(self, interrupted: bool) -> None:
        if not interrupted:
            self.marks += 1
            mark = {"name": f"reply-{self.marks}"}
            self.text({"event": "mark", "streamSid": self.stream_sid, "mark": mark})

    def interrupt(self) -> None:
        self.text({"event": "clear", "streamSid": self.stream_sid})


async def twilio_handler(request: web.Request) -> web.WebSocketResponse:
    """``/voice/twilio``: the agent end of a bidirectional Media Stream."""

    def make(ws: web.WebSocketResponse, knobs: VoiceKnobs) -> VoiceAgent:
        return VoiceAgent(knobs, 8000, _TwilioOut(ws))

    def on_text(agent: VoiceAgent, data: str, now: int) -> bool:
        try:
            msg = orjson.loads(data)
        except orjson.JSONDecodeError:
            return True
        if not isinstance(msg, dict):
            return True
        event = msg.get("event")
        out = agent.out
        assert isinstance(out, _TwilioOut)
        if event == "media":
            media = msg.get("media")
            payload = media.get("payload") if isinstance(media, dict) else None
            if isinstance(payload, str):
                with contextlib.suppress(binascii.Error, ValueError):
                    agent.feed(ulaw_decode(base64.b64decode(payload, validate=True)), now)
        elif event == "start":
            start = msg.get("start")
            out.stream_sid = str(msg.get("streamSid") or (start or {}).get("streamSid") or "")
            code = agent.knobs.drop_code
            agent.start(lambda: _drop(request, out.ws, code))
        elif event == "stop":
            return False
        return True

    return await _serve(request, make, on_text, lambda *_: None)


# ------------------------------------------------------------------ Realtime
class _RealtimeOut(_Sender):
    out_rate = 24000
    frame_ms = 40

    def __init__(self, ws: web.WebSocketResponse, beta: bool) -> None:
        super().__init__(ws)
        self.delta = "response.audio.delta" if beta else "response.output_audio.delta"
        self.responses = 0
        self.response_id = self.item_id = ""
        self.manual = False
        self.tools = False
        self.tool_result: asyncio.Future[None] | None = None
        self.audio_ms = 0

    def _new_ids(self) -> None:
        self.responses += 1
        self.response_id = f"resp_{self.responses:04d}"
        self.item_id = f"item_{self.responses:04d}"

    def response_started(self) -> None:
        self._new_ids()
        self.text(
            {
                "type": "response.created",
                "response": {"id": self.response_id, "status": "in_progress"},
            }
        )

    def audio(self, samples: npt.NDArray[np.int16]) -> None:
        delta = base64.b64encode(samples.astype("<i2").tobytes()).decode()
        self.text(
            {
                "type": self.delta,
                "response_id": self.response_id,
                "item_id": self.item_id,
                "output_index": 0,
                "content_index": 0,
                "delta": delta,
            }
        )

    def response_ended(self, interrupted: bool) -> None:
        if interrupted:
            response = {
                "id": self.response_id,
                "status": "cancelled",
                "status_details": {"type": "cancelled", "reason": "turn_detected"},
            }
        else:
            self.text({"type": "response.output_audio.done", "response_id": self.response_id})
            response = {"id": self.response_id, "status": "completed"}
        self.text({"type": "response.done", "response": response})

    def interrupt(self) -> None:
        self.text(
            {
                "type": "input_audio_buffer.speech_started",
                "audio_start_ms": self.audio_ms,
                "item_id": "caller",
            }
        )

    def caller_started(self) -> None:
        if not self.manual:
            self.interrupt()

    def caller_stopped(self, end_ns: int) -> None:
        if not self.manual:
            self.text(
                {
                    "type": "input_audio_buffer.speech_stopped",
                    "audio_end_ms": self.audio_ms,
                    "item_id": "caller",
                }
            )
            self.text({"type": "input_audio_buffer.committed", "item_id": "caller"})

    async def tool_round_trip(self) -> None:
        self._new_ids()
        call_id = f"call_{self.responses:04d}"
        self.tool_result = asyncio.get_running_loop().create_future()
        self.text({"type": "response.created", "response": {"id": self.response_id}})
        self.text(
            {
                "type": "response.function_call_arguments.done",
                "response_id": self.response_id,
                "item_id": self.item_id,
                "call_id": call_id,
                "name": "get_next_question",
                "arguments": '{"session_id": "voice"}',
            }
        )
        self.text(
            {"type": "response.done", "response": {"id": self.response_id, "status": "completed"}}
        )
        try:
            async with asyncio.timeout(30):
                await self.tool_result
        except TimeoutError:
            pass


async def realtime_handler(request: web.Request) -> web.WebSocketResponse:
    """``/v1/realtime``: an OpenAI-Realtime-shaped voice agent."""
    beta = request.query.get("beta") == "1"

    def make(ws: web.WebSocketResponse, knobs: VoiceKnobs) -> VoiceAgent:
        out = _RealtimeOut(ws, beta)
        agent = VoiceAgent(knobs, 24000, out)
        out.text({"type": "session.created", "session": {"id": "sess_agentload"}})
        return agent

    def on_text(agent: VoiceAgent, data: str, now: int) -> bool:
        try:
            msg = orjson.loads(data)
        except orjson.JSONDecodeError:
            return True
        out = agent.out
        assert isinstance(out, _RealtimeOut)
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "input_audio_buffer.append":
            pcm = _b64_pcm(str(msg.get("audio", "")))
            if pcm is not None:
                out.audio_ms += len(pcm) * 1000 // 24000
                agent.feed(pcm, now)
        elif kind == "session.update":
            session = msg.get("session") or {}
            audio_in = (session.get("audio") or {}).get("input") or {}
            out.manual = "turn_detection" in audio_in and audio_in["turn_detection"] is None
            agent.vad_turns = not out.manual
            names = {t.get("name") for t in session.get("tools") or [] if isinstance(t, dict)}
            if "get_next_question" in names:
                agent.knobs = _with_tools(agent.knobs)
            out.text({"type": "session.updated", "session": session})
            code = agent.knobs.drop_code
            agent.start(lambda: _drop(request, out.ws, code))
        elif kind == "conversation.item.create":
            item = msg.get("item") or {}
            waiting = out.tool_result
            if item.get("type") == "function_call_output" and waiting and not waiting.done():
                waiting.set_result(None)
        elif kind == "input_audio_buffer.commit" and out.manual:
            out.text({"type": "input_audio_buffer.committed", "item_id": "caller"})
            agent.end_of_turn()
        elif kind == "conversation.item.truncate":
            out.text(
                {
                    "type": "conversation.item.truncated",
                    "item_id": msg.get("item_id"),
                    "audio_end_ms": msg.get("audio_end_ms"),
                }
            )
        return True

    return await _serve(request, make, on_text, lambda *_: None, speed=3.0)


def _with_tools(knobs: VoiceKnobs) -> VoiceKnobs:
    return dataclasses.replace(knobs, tool_call=True)


async def twiml_handler(request: web.Request) -> web.Response:
    """``POST /voice/twiml``: Twilio's voice webhook; answers TwiML that connects the call
    to ``/voice/twilio`` on this host, with this request's query (the knobs) passed on."""
    form = await request.post()
    call_sid = str(form.get("CallSid", ""))
    scheme = "wss" if request.secure else "ws"
    query = f"?{request.query_string}" if request.query_string else ""
    url = f"{scheme}://{request.host}/voice/twilio{query}".replace("&", "&amp;")
    sid = call_sid.replace("&", "").replace('"', "").replace("<", "")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
        f'<Stream url="{url}"><Parameter name="callSid" value="{sid}"/></Stream>'
        "</Connect></Response>"
    )
    return web.Response(text=body, content_type="text/xml")
