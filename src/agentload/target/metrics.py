"""Prometheus metrics of the reference target, on a registry private to each app."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from agentload.target.breaker import ErrorBreaker

__all__ = ["TargetMetrics"]

# Finer than prometheus_client's defaults at the low end: the target answers in
# single-digit milliseconds unless a fault is injected.
_LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)


class TargetMetrics:
    """The target's metrics; one instance per app so apps never share counters."""

    __slots__ = (
        "_hits",
        "_lookups",
        "active_sessions",
        "breaker",
        "cache_hit_ratio",
        "cache_hits",
        "cache_misses",
        "call_queue_depth",
        "calls_completed",
        "chat_messages",
        "circuit_breaker_state",
        "contacts_imported",
        "faults_injected",
        "import_jobs",
        "registry",
        "request_latency",
        "requests",
    )

    def __init__(self) -> None:
        # Plain ints beside the counters: the ratio gauge must not reach into
        # prometheus_client's private value holders.
        self._hits = 0
        self._lookups = 0
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter(
            "agentload_target_requests",
            "HTTP requests answered, by route, method and status.",
            ("path", "method", "status"),
            registry=reg,
        )
        self.request_latency = Histogram(
            "agentload_target_request_duration_seconds",
            "Time to answer a request, by route.",
            ("path",),
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.active_sessions = Gauge(
            "agentload_target_active_sessions",
            "Requests in flight (a stand-in for active sessions).",
            registry=reg,
        )
        self.call_queue_depth = Gauge(
            "agentload_target_call_queue_depth",
            "Scheduled calls waiting for the background worker.",
            registry=reg,
        )
        self.calls_completed = Counter(
            "agentload_target_calls_completed",
            "Scheduled calls the background worker completed.",
            registry=reg,
        )
        self.cache_hits = Counter(
            "agentload_target_cache_hits",
            "KPI cache lookups answered from the cache.",
            registry=reg,
        )
        self.cache_misses = Counter(
            "agentload_target_cache_misses",
            "KPI cache lookups that had to query the database.",
            registry=reg,
        )
        self.cache_hit_ratio = Gauge(
            "agentload_target_cache_hit_ratio",
            "Share of KPI cache lookups that were hits since start (0 before any lookup).",
            registry=reg,
        )
        self.contacts_imported = Counter(
            "agentload_target_contacts_imported",
            "Contact rows imported into the database.",
            registry=reg,
        )
        self.import_jobs = Counter(
            "agentload_target_import_jobs",
            "Contact-import jobs finished, by final status.",
            ("status",),
            registry=reg,
        )
        self.chat_messages = Counter(
            "agentload_target_chat_messages",
            "Chat messages answered.",
            registry=reg,
        )
        self.faults_injected = Counter(
            "agentload_target_faults_injected",
            "Responses replaced by an injected fault, by kind.",
            ("kind",),
            registry=reg,
        )
        self.cache_hit_ratio.set_function(self._hit_ratio)
        self.breaker = ErrorBreaker()
        self.circuit_breaker_state = Gauge(
            "agentload_target_circuit_breaker_state",
            "Error circuit breaker over API answers: 0 closed, 1 half-open, 2 open "
            "(reported, not enforced; target/breaker.py).",
            registry=reg,
        )
        self.circuit_breaker_state.set_function(lambda: float(self.breaker.state))

    def _hit_ratio(self) -> float:
        return self._hits / self._lookups if self._lookups else 0.0

    def record_cache_lookup(self, *, hit: bool) -> None:
        """Count one KPI cache lookup."""
        self._lookups += 1
        if hit:
            self._hits += 1
            self.cache_hits.inc()
        else:
            self.cache_misses.inc()

    def record_answer(self, path: str, status: int) -> None:
        """Feed one API answer to the circuit breaker (health/metrics/admin excluded)."""
        if path.startswith("/api/") or path.startswith("/v1/"):
            self.breaker.record(status)

    def bind_queue_depth(self, depth: Callable[[], int]) -> None:
        """Read the call queue depth from ``depth`` at every scrape."""
        self.call_queue_depth.set_function(lambda: float(depth()))

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return bytes(generate_latest(self.registry))
