"""Metric kinds and the definitions of the built-in metrics.

Durations are always recorded as integer **microseconds** (unit ``"us"``) and
shown in milliseconds; sizes are recorded in bytes (``"bytes"``); counts have
no unit (``""``). Names follow k6's ``builtin.go`` so that k6 users recognise
them, with a protocol prefix where one applies.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["BUILTIN_METRICS", "MetricDef", "MetricKind", "metric_def"]


class MetricKind(enum.StrEnum):
    """How a metric's samples are aggregated."""

    TREND = "trend"
    """A distribution of values (an HDR histogram per interval): avg, p(N), max…"""
    COUNTER = "counter"
    """A monotonically growing sum: count, rate per second."""
    RATE = "rate"
    """A fraction of true outcomes: passes / total."""
    GAUGE = "gauge"
    """A current level (e.g. active VUs) with the interval's min and max."""


@dataclass(frozen=True, slots=True)
class MetricDef:
    """What a metric is: its name, kind, recorded unit and a one-line description.

    ``unit`` is ``"us"`` for durations (recorded in µs, displayed in ms),
    ``"bytes"`` for sizes, ``""`` for plain counts and fractions.
    """

    name: str
    kind: MetricKind
    unit: str = ""
    description: str = ""

    @property
    def is_duration(self) -> bool:
        """True when values are microseconds (thresholds and reports use ms)."""
        return self.unit == "us"


def _defs(*defs: MetricDef) -> Mapping[str, MetricDef]:
    return MappingProxyType({d.name: d for d in defs})


_T, _C, _R, _G = MetricKind.TREND, MetricKind.COUNTER, MetricKind.RATE, MetricKind.GAUGE

BUILTIN_METRICS: Mapping[str, MetricDef] = _defs(
    MetricDef("http_req_duration", _T, "us",
              "response complete minus the intended start (includes queueing in the open model)"),
    MetricDef("http_req_service_time", _T, "us",
              "response complete minus the moment the request was actually sent"),
    MetricDef("http_req_waiting", _T, "us",
              "time to first byte: request sent to first response byte"),
    MetricDef("http_req_connecting", _T, "us", "TCP connect time (new connections only)"),
    MetricDef("http_req_tls_handshaking", _T, "us", "TLS handshake time (new connections only)"),
    MetricDef("iteration_duration", _T, "us", "time to run one full scenario iteration"),
    MetricDef("iteration_queue_time", _T, "us",
              "actual minus intended iteration start (open model): how late the generator was"),
    MetricDef("http_reqs", _C, "", "HTTP requests completed (any outcome)"),
    MetricDef("http_req_failed", _R, "", "fraction of HTTP requests that failed"),
    MetricDef("iterations", _C, "", "scenario iterations completed"),
    MetricDef("dropped_iterations", _C, "",
              "open model: arrivals dropped because the wait queue was full or the plan ended"),
    MetricDef("iterations_interrupted", _C, "",
              "iterations cancelled by a ramp-down or a stop after their grace period"),
    MetricDef("data_sent", _C, "bytes", "bytes written to the network"),
    MetricDef("data_received", _C, "bytes", "bytes read from the network"),
    MetricDef("checks", _R, "", "fraction of checks that passed"),
    MetricDef("errors", _C, "", "failed requests, tagged by kind (see ErrorKind)"),
    MetricDef("vus", _G, "", "active virtual users"),
    MetricDef("vus_max", _G, "", "allocated virtual users"),
    # LLM streaming (docs/metrics.md, "LLM streaming"; protocols.md §8).
    MetricDef("llm_ttft", _T, "us",
              "time to first token: first token-bearing chunk minus request start"),
    MetricDef("llm_ttfot", _T, "us",
              "time to first output token: first non-reasoning token-bearing chunk minus start"),
    MetricDef("llm_itl", _T, "us",
              "inter-token latency: gap between consecutive token-bearing chunks (per chunk)"),
    MetricDef("llm_tpot", _T, "us",
              "time per output token: (last − first token chunk) / (output tokens − 1)"),
    MetricDef("llm_e2e", _T, "us", "last token-bearing chunk minus request start"),
    MetricDef("llm_done", _T, "us", "the [DONE] event minus request start"),
    MetricDef("llm_output_tokens", _C, "",
              "output tokens: usage.completion_tokens, else token-bearing chunks"),
    MetricDef("llm_output_tokens_per_s", _T, "",
              "per-request decode rate (output tokens − 1) / (last − first token chunk), rounded"),
    MetricDef("llm_requests_failed", _R, "", "fraction of LLM requests that failed"),
    MetricDef("llm_goodput", _R, "",
              "fraction of LLM requests that succeeded and met every SLO of their step"),
    # --- tool cycles --- (docs/metrics.md, "Tool calls and webhooks")
    MetricDef("llm_tool_calls", _C, "", "tool calls in successful LLM replies (assembled calls)"),
    MetricDef("sse_first_event", _T, "us", "time to first event: first event minus request start"),
    MetricDef("sse_event_gap", _T, "us", "gap between consecutive events of a stream"),
    MetricDef("sse_stream_duration", _T, "us",
              "request start to the end of reading (until/max_events met, or the stream ended)"),
    MetricDef("sse_events", _C, "", "server-sent events received"),
    MetricDef("sse_streams_failed", _R, "", "fraction of event streams that failed"),
    # --- websocket --- (docs/metrics.md, "WebSocket")
    MetricDef("ws_connecting", _T, "us", "TCP connect + TLS + WebSocket handshake time"),
    MetricDef("ws_session_duration", _T, "us",
              "connect start to the end of the connection (closed by either side or dropped)"),
    MetricDef("ws_sessions", _C, "", "WebSocket sessions that ended (any outcome)"),
    MetricDef("ws_msgs_sent", _C, "", "WebSocket messages sent"),
    MetricDef("ws_msgs_received", _C, "", "WebSocket messages received (every message read)"),
    MetricDef("ws_reply_latency", _T, "us",
              "matching message arrival minus the last send before the expect (tag exchange)"),
    MetricDef("ws_connect_success", _R, "", "fraction of WebSocket connects that succeeded"),
    MetricDef("ws_message_success", _R, "",
              "fraction of expects whose matching message arrived before the timeout"),
    # --- flow --- (docs/metrics.md, "Control flow and data feeders")
    MetricDef("poll_duration", _T, "us",
              "poll step: first poll request sent to the response that met 'until' (tag name)"),
    MetricDef("data_exhausted", _C, "",
              "VUs stopped because an at_end: stop data feeder had no row left (tag data)"),
    # --- voice --- (docs/metrics.md, "Voice"; protocols.md §8)
    MetricDef("voice_connect", _T, "us", "WebSocket connect (and Realtime session set-up) time"),
    MetricDef("voice_v2v", _T, "us",
              "voice-to-voice: agent speech onset on the playout clock minus the caller's end"),
    MetricDef("voice_v2v_first_byte", _T, "us",
              "first agent audio frame arrival minus the caller's end of speech"),
    MetricDef("voice_leading_silence", _T, "us", "voice_v2v minus voice_v2v_first_byte"),
    MetricDef("voice_endpointing", _T, "us",
              "agent's end-of-turn signal (speech_stopped, …) minus the caller's end of speech"),
    MetricDef("voice_greeting", _T, "us", "greeting speech onset minus session start"),
    MetricDef("voice_barge_in_detect", _T, "us",
              "agent's interruption signal minus the onset of the interrupting utterance"),
    MetricDef("voice_barge_in_stop", _T, "us",
              "last audio frame of the interrupted reply minus the interrupting onset"),
    MetricDef("voice_barge_in_residual", _T, "us",
              "audio still queued in the emulated player when the interruption was signalled"),
    MetricDef("voice_audio_jitter", _T, "us",
              "RFC 3550 interarrival jitter of a reply's audio frames (value at its last frame)"),
    MetricDef("voice_stall_time", _T, "us", "time a reply's emulated player had nothing to play"),
    MetricDef("voice_stalls", _C, "", "player underruns longer than 20 ms"),
    MetricDef("voice_rtf_permille", _T, "",
              "real-time factor × 1000: (last − first frame arrival) / reply audio duration"),
    MetricDef("voice_turns", _C, "", "caller turns (utterances) attempted"),
    MetricDef("voice_turns_failed", _R, "",
              "fraction of turns with no agent audio before the timeout (or cut by a drop)"),
    MetricDef("voice_calls_failed", _R, "",
              "fraction of calls that could not connect or ended by the agent's side early"),
    MetricDef("voice_send_lateness", _T, "us",
              "tester's own send lateness per caller frame: actual minus scheduled send time"),
    MetricDef("voice_send_jitter", _T, "us",
              "tester's own send jitter per call, RFC 3550 form on the send times"),
    MetricDef("voice_tool_calls", _C, "", "tool calls the agent made inside voice sessions"),
    # --- monitoring --- (docs/metrics.md, "Generator and target monitoring")
    MetricDef("gen_cpu_percent", _G, "",
              "CPU used by one generator process over the interval, % of one core (tag worker)"),
    MetricDef("gen_loop_lag", _T, "us",
              "how late a 50 ms event-loop timer fired: actual minus scheduled wake-up"),
    MetricDef("gen_open_sockets", _G, "", "sockets a generator process holds open (tag worker)"),
    MetricDef("target_cpu_percent", _G, "",
              "--monitor-pid: CPU of the target process over ~1 s, % of one core"),
    MetricDef("target_rss", _G, "bytes", "--monitor-pid: resident memory of the target process"),
    MetricDef("target_open_fds", _G, "", "--monitor-pid: file descriptors the target holds"),
    MetricDef("target_connections", _G, "", "--monitor-pid: inet sockets the target holds"),
    MetricDef("target_gauge", _G, "",
              "--monitor-prometheus: a gauge scraped from the target (tag metric)"),
)
"""Definitions of the built-in metrics, by name (read-only)."""


def metric_def(name: str) -> MetricDef | None:
    """Return the built-in definition of ``name``, or ``None`` for a custom metric."""
    return BUILTIN_METRICS.get(name)
