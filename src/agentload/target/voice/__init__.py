"""Reference voice agents over WebSocket, one per dialect (protocols.md §1–§3).

=====================  =========================================================
``GET /voice/pcm``     raw 16 kHz 16-bit mono PCM in binary frames both ways
                       (seed 000); ``?format=json``: Nova-Sonic-shaped JSON
                       events (``audioInput`` in, ``audioOutput`` 24 kHz out)
``GET /voice/twilio``  the agent end of Twilio Media Streams (8 kHz µ-law,
                       ``media``/``mark``/``clear``)
``POST /voice/twiml``  Twilio's voice webhook: TwiML ``<Connect><Stream>`` to
                       ``/voice/twilio`` with the same query
``GET /v1/realtime``   an OpenAI-Realtime-shaped server (24 kHz pcm16, server
                       VAD or manual turns, function calls with
                       ``?tool_call=1`` or when the session offers the
                       questionnaire tools; ``?beta=1``: beta event names)
=====================  =========================================================

Every route takes the knobs of :class:`~._agent.VoiceKnobs` in its query:
``reply_delay_ms`` (400), ``vad_silence_ms`` (250), ``barge_in_ms`` (0),
``greeting`` (0/1), ``greeting_ms``, ``speed`` (real-time multiple; 1, Realtime
3), ``stall_ms`` / ``stall_at_ms``, ``drop_after_ms`` / ``drop_code``,
``tool_call``.
"""

from __future__ import annotations

from aiohttp import web

from agentload.target.voice._dialects import (
    pcm_handler,
    realtime_handler,
    twilio_handler,
    twiml_handler,
)

__all__ = ["add_routes"]


def add_routes(app: web.Application) -> None:
    """Register the voice agents' WebSocket routes."""
    app.router.add_get("/voice/pcm", pcm_handler)
    app.router.add_get("/voice/twilio", twilio_handler)
    app.router.add_post("/voice/twiml", twiml_handler)
    app.router.add_get("/v1/realtime", realtime_handler)
