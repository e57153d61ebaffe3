"""Request time limits: a small value shared by scenarios and the HTTP client."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Timeouts"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-request time limits in seconds; ``None`` means no limit."""

    connect: float | None = 10.0
    read: float | None = 60.0
    total: float | None = None
