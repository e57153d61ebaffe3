"""Health checks before and after the load (seed 003: "health check passes at start and end").

``config.health`` (or ``--health URL``) names an endpoint that must answer as
expected before any load is sent; the same check runs again after the load
and its result is recorded in ``summary.json`` (``run.health``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HealthCheck"]


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """One health probe: ``GET url`` must answer with ``status``.

    Attributes:
        url: absolute, or relative to ``config.target``.
        status: the expected HTTP status.
        timeout: seconds each attempt may take (connect + response).
        retries: attempts after the first one that failed.
        interval: seconds between attempts.
        body_contains: text the body must contain, if given.
        line: where it was written (0: the command line).
    """

    url: str
    status: int = 200
    timeout: float = 5.0
    retries: int = 0
    interval: float = 1.0
    body_contains: str | None = None
    line: int = 0
