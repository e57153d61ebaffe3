"""``stats.csv`` and ``history.csv``: the run as spreadsheets. Pure: data in, CSV text out.

``stats.csv`` has one row per endpoint, as ``summary.json``'s ``requests``;
``history.csv`` one row per interval (normally one second). Latencies are in
milliseconds; empty cells mean "no sample". Text cells that a spreadsheet
would run as a formula (``=``, ``+``, ``-``, ``@`` first) get a leading ``'``:
request names come from scenario files and must not execute in Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agentload.reports.redact import redact
from agentload.reports.timeline import Timeline

__all__ = ["HISTORY_COLUMNS", "STATS_COLUMNS", "render_history_csv", "render_stats_csv"]

_TREND = ("min", "avg", "med", "p90", "p95", "p99", "max")
STATS_COLUMNS: tuple[str, ...] = (
    "scenario",
    "name",
    "method",
    "count",
    "rps",
    "failed",
    "failed_rate",
    *(f"{c}_ms" for c in _TREND),
    "status_codes",
    "errors",
)
HISTORY_COLUMNS: tuple[str, ...] = (
    "t",
    "end",
    "requests",
    "requests_per_s",
    "vus",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "errors",
    "failed",
    "failed_rate",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: object) -> str:
    text = redact(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def _num(value: object, digits: int = 3) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def _pairs(mapping: Mapping[str, Any]) -> str:
    # "200:58 500:2": one cell, space-separated, stable order (as in summary.json).
    return " ".join(f"{k}:{_num(v)}" for k, v in mapping.items())


def _write(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def render_stats_csv(requests: Sequence[Mapping[str, Any]]) -> str:
    """One row per endpoint (``summary["requests"]``), columns :data:`STATS_COLUMNS`."""
    rows = []
    for r in requests:
        count = r.get("count") or 0
        failed = r.get("failed") or 0
        d = r.get("duration_ms") or {}
        rows.append(
            [
                _text(r.get("scenario", "")),
                _text(r.get("name", "")),
                _text(r.get("method", "")),
                _num(count),
                _num(r.get("rps")),
                _num(failed),
                _num(failed / count if count else 0.0, 6),
                *(_num(d.get(c)) for c in _TREND),
                _text(_pairs(r.get("status_codes") or {})),
                _text(_pairs(r.get("errors") or {})),
            ]
        )
    return _write(STATS_COLUMNS, rows)


def render_history_csv(timeline: Timeline) -> str:
    """One row per timeline window, columns :data:`HISTORY_COLUMNS` (``t`` = window start, s)."""
    rows = [
        [
            _num(p.start),
            _num(p.end),
            _num(p.requests),
            _num(p.rps),
            _num(p.vus),
            _num(p.p50),
            _num(p.p95),
            _num(p.p99),
            _num(p.errors),
            _num(p.failed),
            _num(p.failed_rate, 6),
        ]
        for p in timeline.points
    ]
    return _write(HISTORY_COLUMNS, rows)
