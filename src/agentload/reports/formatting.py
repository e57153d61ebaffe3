"""Number and time formatting shared by the file renderers (HTML, CSV): pure functions."""

from __future__ import annotations

import datetime as dt

__all__ = ["fmt_count", "fmt_duration_s", "fmt_ms", "fmt_pct", "fmt_rate", "fmt_timestamp"]


def fmt_ms(value: object, sep: str = " ") -> str:
    """A latency in ms for humans: ``0.42 ms``, ``12.3 ms``, ``240 ms``, ``1.50 s``.

    ``sep`` goes between number and unit (the console's tables use ``""``).
    """
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    if value >= 1000:
        return f"{value / 1000:.2f}{sep}s"
    if value >= 100:
        return f"{value:.0f}{sep}ms"
    if value >= 10:
        return f"{value:.1f}{sep}ms"
    return f"{value:.2f}{sep}ms"


def fmt_count(value: object) -> str:
    """An integer-ish count with thousands separators (``12,345``); ``–`` when absent."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def fmt_rate(value: object) -> str:
    """A per-second rate: ``178.3``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "–"
    return f"{value:,.1f}"


def fmt_pct(fraction: object, digits: int = 2) -> str:
    """A 0-1 fraction as a percentage: ``1.25%``."""
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        return "–"
    return f"{fraction * 100:.{digits}f}%"


def fmt_duration_s(seconds: object) -> str:
    """Seconds as ``45.2 s``, ``3 min 05 s`` or ``1 h 02 min``."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s"


def fmt_timestamp(epoch: object) -> str:
    """Epoch seconds as ``2026-05-04 13:45:10 UTC``."""
    if isinstance(epoch, bool) or not isinstance(epoch, int | float):
        return "–"
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
