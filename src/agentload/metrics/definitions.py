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
    MetricDef("sse_first_event", _T, "us", "time to first event: first event minus request start"),
    MetricDef("sse_event_gap", _T, "us", "gap between consecutive events of a stream"),
    MetricDef("sse_stream_duration", _T, "us",
              "request start to the end of reading (until/max_events met, or the stream ended)"),
    MetricDef("sse_events", _C, "", "server-sent events received"),
    MetricDef("sse_streams_failed", _R, "", "fraction of event streams that failed"),
)
"""Definitions of the built-in metrics, by name (read-only)."""


def metric_def(name: str) -> MetricDef | None:
    """Return the built-in definition of ``name``, or ``None`` for a custom metric."""
    return BUILTIN_METRICS.get(name)
