"""The health probe run before and after the load (``config.health``, ``--health``).

A plain blocking ``GET`` with the standard library's :mod:`http.client`: it
runs once before the event loop starts and once after it ends, never during
the load, so it needs none of the engine's machinery. Each attempt has its
own timeout; a failed attempt is retried ``retries`` times, ``interval``
seconds apart. The result is data (:class:`HealthResult`) for the summary's
``run.health``.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from agentload import __version__
from agentload._redact import redact
from agentload.scenario.model import HealthCheck

__all__ = ["HealthResult", "health_url", "probe"]

_MAX_BODY = 64 * 1024  # enough for any health payload; a larger one is read no further


@dataclass(frozen=True, slots=True)
class HealthResult:
    """The outcome of one health check (all attempts).

    Attributes:
        ok: the last attempt got the expected status (and body text).
        url: the URL probed, redacted.
        status: the last attempt's HTTP status; ``None`` when none arrived.
        attempts: attempts made (1 + retries used).
        latency_ms: the last attempt's time to a complete response, or to its failure.
        error: why the last attempt failed; ``None`` when ``ok``.
    """

    ok: bool
    url: str
    status: int | None
    attempts: int
    latency_ms: float
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The JSON form recorded in ``summary.json`` (``run.health.before``/``after``)."""
        return {
            "ok": self.ok,
            "url": self.url,
            "status": self.status,
            "attempts": self.attempts,
            "latency_ms": round(self.latency_ms, 3),
            "error": self.error,
        }

    def line(self) -> str:
        """One line for the console."""
        if self.ok:
            return f"{self.url} → {self.status} in {self.latency_ms:.0f} ms"
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.url} failed{tries}: {self.error}"


def health_url(check: HealthCheck, target: str) -> str:
    """The absolute URL of ``check``: as written, or appended to ``target``."""
    if check.url.startswith(("http://", "https://")):
        return check.url
    return target.rstrip("/") + check.url


def _attempt(check: HealthCheck, url: str) -> tuple[int | None, str | None]:
    """``(status, problem)`` of one GET; ``problem`` is ``None`` when it is as expected."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            host, parts.port, timeout=check.timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, parts.port, timeout=check.timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.request("GET", path, headers={"User-Agent": f"agentload/{__version__} health"})
        response = conn.getresponse()
        body = response.read(_MAX_BODY)
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, TimeoutError | socket.timeout):
            return None, f"no answer within {check.timeout:g}s"
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return None, reason
    finally:
        conn.close()
    if response.status != check.status:
        return response.status, f"status {response.status}, expected {check.status}"
    if check.body_contains is not None:
        text = body.decode("utf-8", "replace")
        if check.body_contains not in text:
            return response.status, f"the body does not contain {check.body_contains!r}"
    return response.status, None


def probe(
    check: HealthCheck,
    target: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> HealthResult:
    """Run ``check`` against ``target``: up to ``1 + retries`` attempts until one passes."""
    url = health_url(check, target)
    status: int | None = None
    problem: str | None = "not attempted"
    attempts = 0
    latency_ms = 0.0
    for attempt in range(check.retries + 1):
        if attempt:
            sleep(check.interval)
        attempts += 1
        t0 = time.perf_counter()
        status, problem = _attempt(check, url)
        latency_ms = (time.perf_counter() - t0) * 1000
        if problem is None:
            break
    return HealthResult(
        ok=problem is None,
        url=redact(url),
        status=status,
        attempts=attempts,
        latency_ms=latency_ms,
        error=None if problem is None else redact(problem),
    )
