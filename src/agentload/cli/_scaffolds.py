"""The commented scenarios ``agentload init KIND`` writes (one per kind).

Each targets the bundled reference backend (``agentload target``), so it runs
as written; comments say what to change for a real system. Tests load every
scaffold with ``agentload inspect`` (tests/e2e/test_init.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["SCAFFOLDS"]

_HTTP = """\
# An HTTP API load test. Try it against the bundled reference backend:
#   agentload target &                      # http://127.0.0.1:8080
#   agentload inspect {file}                 # validate and chart the plan
#   agentload run {file}                     # live progress, then summary.json + report.html
# Format: docs/scenario-format.md
config:
  target: "${{env.TARGET:-http://127.0.0.1:8080}}"   # or --target URL
  headers:
    Authorization: "Bearer ${{env.API_TOKEN:-demo-token}}"   # secrets come from the environment
  health: {{url: /health, expect: {{status: 200}}}}  # checked before (down: exit 3) and after

load:                                      # or a preset: {{preset: smoke}}, average, stress, spike…
  stages:
    - {{duration: 10s, target: 10}}          # ramp up to 10 virtual users
    - {{duration: 30s, target: 10}}          # hold
    - {{duration: 5s, target: 0}}            # ramp down
  # open model instead (arrivals/s, queueing visible): {{rate: 50, duration: 1m, max_vus: 100}}

scenarios:
  - name: browse
    weight: 3                              # 3 in 4 VUs run this scenario
    flow:
      - get:
          url: /api/analytics/kpi
          name: kpi                        # the name in metrics and reports
          expect: {{status: 200}}
      - think: {{uniform: [500ms, 1500ms]}}  # a user reading the page

  - name: write
    weight: 1
    flow:
      - post:
          url: /api/calls/schedule
          name: schedule call
          json: {{phone: "+15550100"}}
          expect: {{status: 202}}
          capture:
            - {{json: $.call_id, as: call}}  # reuse later as ${{call}}
      - think: 1s

thresholds:                                # failing ones make the exit code 1 (CI gate)
  http_req_duration: ["p(95)<500", "p(99)<1000"]
  http_req_failed: ["rate<0.01"]
"""

_LLM = """\
# An LLM endpoint load test (OpenAI-compatible /v1/chat/completions: OpenAI, vLLM,
# SGLang, Ollama, LiteLLM…). Streams every reply and measures time to first token,
# inter-token latency and time per output token; `slo` decides goodput.
#   agentload target &                      # its simulated model takes ?ttft_ms=&tps=&tokens=
#   agentload run {file}
#   TARGET=https://api.openai.com OPENAI_API_KEY=sk-… agentload run {file}
# Format: docs/scenario-format.md#llm-streaming-llm-and-sse-steps
config:
  target: "${{env.TARGET:-http://127.0.0.1:8080}}"
  headers:
    Authorization: "Bearer ${{env.OPENAI_API_KEY:-sk-agentload}}"

load:
  vus: 4                                   # concurrent conversations
  duration: 30s

scenarios:
  - name: chat
    flow:
      - llm:
          name: ask
          url: /v1/chat/completions?ttft_ms=200&tps=50&tokens=30   # knobs: reference target only
          model: "${{env.MODEL:-gpt-4o-mini}}"
          messages:
            - {{role: system, content: "You are a helpful support agent."}}
            - {{role: user, content: "Where is my order?"}}
          max_tokens: 128
          slo: {{ttft: 500ms, itl: 100ms, e2e: 5s}}
          expect: {{status: 200, finish_reason: [stop, length]}}
          capture:
            - {{json: $.content, as: answer}}   # the assembled reply
      - llm:
          name: follow up
          url: /v1/chat/completions?ttft_ms=100&tps=80&tokens=20
          model: "${{env.MODEL:-gpt-4o-mini}}"
          messages:
            - {{role: user, content: "Where is my order?"}}
            - {{role: assistant, content: "${{answer}}"}}
            - {{role: user, content: "Thanks! When will it arrive?"}}
          max_tokens: 64
      - think: {{uniform: [1s, 3s]}}           # the user reads the answer

thresholds:
  llm_ttft: ["p(95)<800"]
  llm_tpot: ["p(95)<60"]
  llm_requests_failed: ["rate<0.01"]
  llm_goodput: ["rate>0.95"]
"""

_CHAT = """\
# A chat agent over WebSocket: each VU opens a session, waits for the greeting,
# sends messages and times the streamed replies (ws_reply_latency per exchange).
#   agentload target &                      # its /ws/chat agent streams token events
#   agentload run {file}
# Format: docs/scenario-format.md#websocket-ws-steps
config:
  target: "${{env.TARGET:-http://127.0.0.1:8080}}"   # http→ws, https→wss for ws steps
  headers:
    Authorization: "Bearer ${{env.API_TOKEN:-demo-token}}"

load:
  stages:
    - {{duration: 10s, target: 20}}          # 20 concurrent chat sessions
    - {{duration: 30s, target: 20}}
    - {{duration: 5s, target: 0}}

scenarios:
  - name: conversation
    flow:
      - ws:
          name: chat
          url: /ws/chat?tokens=12            # knobs: reference target only
          steps:
            - expect:                        # the agent's greeting
                name: session
                json: {{$.type: session}}
                capture: [{{json: $.session_id, as: session_id}}]
            - send_json: {{type: message, text: "Hello, I need help with my order"}}
            - expect: {{name: reply, json: {{$.type: done}}, timeout: 10s}}
            - think: {{uniform: [1s, 3s]}}    # the user reads and types
            - send_json: {{type: message, text: "What are your business hours?"}}
            - expect: {{name: reply, json: {{$.type: done}}, timeout: 10s}}
            - close: {{code: 1000, reason: done}}
      - think: 1s

thresholds:
  ws_connect_success: ["rate>0.95"]
  "ws_reply_latency{{exchange:reply}}": ["p(95)<500"]
  ws_message_success: ["rate>0.90"]
"""

_VOICE_TWILIO = """\
# A phone call as Twilio places it: agentload plays Twilio Media Streams (8 kHz µ-law,
# 20 ms frames) into the agent's stream endpoint, speaks, listens, and measures
# voice-to-voice latency, endpointing and barge-in reaction.
#   agentload target &                      # its /voice/twilio agent answers
#   agentload run {file}
# Against your agent: TARGET=https://your-agent, and its Media Streams path as url.
config:
  target: "${{env.TARGET:-http://127.0.0.1:8080}}"

load:
  vus: 3                                   # concurrent calls
  duration: 30s

scenarios:
  - name: phone call
    flow:
      - voice:
          name: twilio call
          dialect: twilio
          url: /voice/twilio?reply_delay_ms=400&barge_in_ms=150&greeting=1
          parameters: {{caller: "+15550100"}}  # arrive in start.customParameters
          greeting: true                   # wait for the agent to speak first
          audio: hello                     # a shipped utterance, or a WAV file
          turns: 2
          barge_in: 600ms                  # interrupt the agent's reply after 600 ms
          barge_in_audio: stop
          timeout: 5s                      # the longest wait for the agent's reply
      - think: 2s

thresholds:
  voice_v2v: ["p(95)<1500"]
  voice_barge_in_detect: ["p(95)<500"]
  voice_turns_failed: ["rate<0.01"]
"""

_VOICE_REALTIME = """\
# A speech-to-speech session in the OpenAI Realtime dialect: pcm16 audio in, server
# VAD, audio deltas out, function calls answered by agentload, a barge-in.
#   agentload target &                      # its /v1/realtime agent answers
#   agentload run {file}
# Against OpenAI: TARGET=https://api.openai.com, url /v1/realtime?model=gpt-realtime,
# OPENAI_API_KEY set (it costs money: start with one VU).
config:
  target: "${{env.TARGET:-http://127.0.0.1:8080}}"
  headers:
    Authorization: "Bearer ${{env.OPENAI_API_KEY:-sk-agentload}}"

load:
  vus: 2
  duration: 30s

scenarios:
  - name: realtime session
    flow:
      - voice:
          name: realtime call
          dialect: realtime
          url: /v1/realtime?reply_delay_ms=400&barge_in_ms=100
          tools: questionnaire             # the seed-000 tools, answered by agentload
          audio: [hello, rating]           # one utterance per turn
          barge_in: 500ms
          turns: 2
          timeout: 5s

thresholds:
  voice_v2v_first_byte: ["p(95)<1000"]
  voice_endpointing: ["p(95)<800"]
  voice_turns_failed: ["rate<0.01"]
"""

SCAFFOLDS: Mapping[str, str] = MappingProxyType(
    {
        "http": _HTTP,
        "chat": _CHAT,
        "llm": _LLM,
        "voice-twilio": _VOICE_TWILIO,
        "voice-realtime": _VOICE_REALTIME,
    }
)
"""Kind → template; ``{file}`` is the written file's name (braces doubled for ``format``)."""
