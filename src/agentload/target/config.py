"""Start-up configuration of the reference target: immutable, validated on creation."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Literal

from agentload._units import format_duration, parse_duration

__all__ = ["LatencyDist", "LatencyKind", "TargetConfig", "parse_latency"]

LatencyKind = Literal["constant", "uniform", "lognormal"]

# A simulated reply never takes longer than this, whatever the distribution's tail:
# one pathological draw must not hold a connection for minutes.
_MAX_LATENCY_S = 30.0


@dataclass(frozen=True, slots=True)
class LatencyDist:
    """A distribution of simulated latencies, in seconds.

    ``constant``: always ``a``. ``uniform``: between ``a`` and ``b``.
    ``lognormal``: median ``a``, shape ``b`` (sigma of the underlying normal).
    Build one with :meth:`constant`, :meth:`uniform`, :meth:`lognormal` or
    :func:`parse_latency`.
    """

    kind: LatencyKind
    a: float
    b: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.a) and math.isfinite(self.b)):
            raise ValueError("latency parameters must be finite numbers")
        if self.a < 0 or self.b < 0:
            raise ValueError("latency parameters cannot be negative")
        if self.kind == "uniform" and self.b < self.a:
            raise ValueError("uniform latency needs low <= high")
        if self.kind == "lognormal" and self.a <= 0:
            raise ValueError("lognormal latency needs a median above zero")
        if self.kind not in ("constant", "uniform", "lognormal"):
            raise ValueError(f"unknown latency distribution {self.kind!r}")

    @classmethod
    def constant(cls, seconds: float) -> LatencyDist:
        """Always ``seconds``."""
        return cls("constant", seconds)

    @classmethod
    def uniform(cls, low: float, high: float) -> LatencyDist:
        """Uniformly between ``low`` and ``high`` seconds."""
        return cls("uniform", low, high)

    @classmethod
    def lognormal(cls, median: float, sigma: float) -> LatencyDist:
        """Log-normal with the given median (seconds) and shape ``sigma``."""
        return cls("lognormal", median, sigma)

    def sample(self, rng: random.Random) -> float:
        """Draw one latency in seconds (capped at 30 s)."""
        if self.kind == "constant":
            value = self.a
        elif self.kind == "uniform":
            value = rng.uniform(self.a, self.b)
        else:
            value = rng.lognormvariate(math.log(self.a), self.b)
        return min(value, _MAX_LATENCY_S)

    def spec(self) -> str:
        """The text form accepted by :func:`parse_latency` (round-trips)."""
        if self.kind == "constant":
            return f"constant:{format_duration(self.a)}"
        if self.kind == "uniform":
            return f"uniform:{format_duration(self.a)}:{format_duration(self.b)}"
        return f"lognormal:{format_duration(self.a)}:{self.b:g}"


def parse_latency(text: str) -> LatencyDist:
    """Parse ``constant:20ms``, ``uniform:10ms:50ms`` or ``lognormal:20ms:0.5``.

    A bare duration (``20ms``) means constant; ``0`` or ``none`` means no latency.
    Raises ``ValueError`` saying which forms are accepted.
    """
    forms = "constant:20ms, uniform:10ms:50ms, lognormal:20ms:0.5 (median:sigma) or 20ms"
    raw = text.strip()
    if raw.lower() in ("none", "off", "0"):
        return LatencyDist.constant(0.0)
    kind, _, rest = raw.partition(":")
    parts = rest.split(":") if rest else []
    try:
        if not rest:
            return LatencyDist.constant(parse_duration(kind))
        if kind == "constant" and len(parts) == 1:
            return LatencyDist.constant(parse_duration(parts[0]))
        if kind == "uniform" and len(parts) == 2:
            return LatencyDist.uniform(parse_duration(parts[0]), parse_duration(parts[1]))
        if kind == "lognormal" and len(parts) == 2:
            return LatencyDist.lognormal(parse_duration(parts[0]), float(parts[1]))
    except ValueError as exc:
        raise ValueError(f"bad latency {text!r}: {exc}; expected {forms}") from None
    raise ValueError(f"bad latency {text!r}; expected {forms}")


def _default_chat_latency() -> LatencyDist:
    return LatencyDist.lognormal(0.020, 0.5)


@dataclass(frozen=True, slots=True)
class TargetConfig:
    """Everything the reference target is started with.

    The running app holds one instance at a time and swaps it whole (see
    ``POST /admin/config``), so readers never see a half-applied change.
    """

    delay_ms: float = 0.0
    """Extra latency added to every request except health, metrics and admin."""
    fail_rate: float = 0.0
    """Share (0..1) of requests answered 500, except health, metrics and admin."""
    chat_latency: LatencyDist = field(default_factory=_default_chat_latency)
    """Simulated thinking time of ``POST /api/chat/messages``."""
    call_drain_rate: float = 200.0
    """Scheduled calls the background worker completes per second."""
    import_row_cost_ms: float = 0.5
    """Simulated processing cost per imported contact row."""
    import_workers: int = 2
    """Contact-import jobs processed concurrently; others wait as ``queued``."""
    token: str | None = None
    """The only accepted bearer token; ``None`` accepts any non-empty token."""
    seed: int | None = None
    """Seed of the random draws (latency, failures, ids); ``None`` seeds from the OS."""
    kpi_cache_ttl_s: float = 1.0
    """How long a computed KPI answer is served from the cache."""
    db_path: str | None = None
    """SQLite file; ``None`` keeps the database in memory, private to the app."""
    max_upload_bytes: int = 32 * 1024 * 1024
    """Largest accepted request body (CSV uploads included)."""
    access_log: bool = False
    """Log one line per request (off by default: it costs throughput)."""
    llm_ttft_ms: float = 50.0
    """``POST /v1/chat/completions``: time from the request's arrival to its first token."""
    llm_tps: float = 50.0
    """``POST /v1/chat/completions``: tokens generated per second after the first."""
    llm_tokens: int = 30
    """``POST /v1/chat/completions``: tokens in a reply (capped by ``max_tokens``)."""
    tool_latency: LatencyDist = field(default_factory=lambda: LatencyDist.lognormal(0.005, 0.5))
    """Simulated execution time of a questionnaire tool (``target/questionnaire.py``)."""
    webhook_secret: str | None = None
    """Secret the ``/webhooks/*`` receivers verify; ``None`` accepts unsigned deliveries."""

    def __post_init__(self) -> None:
        for name in ("delay_ms", "import_row_cost_ms", "kpi_cache_ttl_s", "llm_ttft_ms"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if not (0.0 <= self.fail_rate <= 1.0):
            raise ValueError(f"fail_rate must be between 0 and 1, got {self.fail_rate!r}")
        if not math.isfinite(self.call_drain_rate) or self.call_drain_rate <= 0:
            raise ValueError(f"call_drain_rate must be > 0, got {self.call_drain_rate!r}")
        if not math.isfinite(self.llm_tps) or self.llm_tps <= 0:
            raise ValueError(f"llm_tps must be > 0, got {self.llm_tps!r}")
        if self.llm_tokens < 0:
            raise ValueError(f"llm_tokens must be >= 0, got {self.llm_tokens!r}")
        if self.import_workers < 1:
            raise ValueError(f"import_workers must be >= 1, got {self.import_workers!r}")
        if self.max_upload_bytes < 1024:
            raise ValueError(f"max_upload_bytes must be >= 1024, got {self.max_upload_bytes!r}")
        if self.token is not None and not self.token.strip():
            raise ValueError("token must not be empty; leave it unset to accept any token")
