"""Parsing of durations and sizes as users write them (``30s``, ``1m30s``, ``250ms``)."""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration"]

_UNIT_SECONDS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(us|µs|ms|s|m|h|d)")


def parse_duration(value: str | int | float) -> float:
    """Return seconds for ``30``, ``2.5``, ``"30s"``, ``"1m30s"``, ``"250ms"`` or ``"1h"``.

    A bare number means seconds. Raises ``ValueError`` with a message that says
    what forms are accepted; negative durations are rejected.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 30s or 500ms, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        return float(value)
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if seconds < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        return seconds
    if text.startswith("-"):
        raise ValueError(f"a duration cannot be negative, got {value!r}")
    pos = 0
    total = 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos == 0 or pos != len(text):
        raise ValueError(
            f"expected a duration such as 30s, 1m30s, 500ms or 2h, got {value!r}"
        )
    return total


def format_duration(seconds: float) -> str:
    """Format seconds compactly for humans: ``90.0`` → ``1m30s``, ``0.25`` → ``250ms``."""
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    whole = round(seconds)
    if abs(seconds - whole) > 1e-9 or whole < 60:
        return f"{seconds:g}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    if hours:
        out += f"{hours}h"
    if minutes:
        out += f"{minutes}m"
    if secs:
        out += f"{secs}s"
    return out
