"""agentload as Twilio: a mark is echoed once the audio queued before it has played.

A small real Twilio-speaking agent (aiohttp, in this process) answers the
caller's ``start`` with 200 ms of µ-law audio sent at once (faster than real
time, as bots may) and a ``mark``, then records when the echo comes back:
Twilio's player (and agentload's emulated one) plays 8000 bytes/s, so the
echo is due 200 ms after the first media arrived, not at once.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time

import pytest
from aiohttp import WSMsgType, web

from agentload.protocols.voice import Dialect, VoiceSession, make_codec

pytestmark = pytest.mark.slow

LOG = web.AppKey("log", dict[str, object])


async def _agent(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    log = request.app[LOG]
    async for msg in ws:
        if msg.type is not WSMsgType.TEXT:
            break
        event = json.loads(msg.data)
        if event["event"] == "start":
            sid = event["streamSid"]
            payload = base64.b64encode(b"\xff" * 160).decode()
            log["sent"] = time.perf_counter()
            media = {"event": "media", "streamSid": sid, "media": {"payload": payload}}
            for _ in range(10):  # 10 × 20 ms, all at once
                await ws.send_str(json.dumps(media))
            mark = {"event": "mark", "streamSid": sid, "mark": {"name": "end"}}
            await ws.send_str(json.dumps(mark))
        elif event["event"] == "mark":
            log["echo"] = time.perf_counter()
            log["name"] = event["mark"]["name"]
    return ws


def test_marks_are_echoed_when_their_audio_has_played() -> None:
    async def main() -> dict[str, object]:
        app = web.Application()
        log: dict[str, object] = {}
        app[LOG] = log
        app.router.add_get("/stream", _agent)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            session = await VoiceSession.open(
                f"ws://127.0.0.1:{port}/stream", make_codec(Dialect.TWILIO)
            )
            await asyncio.sleep(0.6)
            report = await session.close()
            assert report.protocol_errors == 0
        finally:
            await runner.cleanup()
        return log

    log = asyncio.run(main())
    assert log.get("name") == "end", log
    delay = float(log["echo"]) - float(log["sent"])  # type: ignore[arg-type]
    assert delay >= 0.19, delay  # not before the 200 ms of audio could have played
