"""A plan as a terminal chart: VUs or arrival rate over time, in block characters.

``agentload inspect`` prints it under the plan's description::

    active VUs over 1m30s (1.5s per column)
    100 ┤                              ▂▄▆█▆▄▂
        │                           ▂▅████████▅▂
        │                        ▁▄██████████████▄▁
        │▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▂▄▇████████████████████▇▄▂▁
      0 └────────────────────────────────────────────────────────────
         0s                                                     1m30s

Each column covers ``duration / width`` seconds and shows the *largest* value
in it, so a spike narrower than a column still shows. Bar heights are in
eighths of a row (``▁▂▃▄▅▆▇█``), rounded to the nearest eighth of the peak;
a column with any load shows at least ``▁``, so load is never invisible.

The renderer is pure (text in, text out) and deterministic: golden tests pin it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentload._units import format_duration
from agentload.profiles._open import rate_pieces
from agentload.profiles.model import ClosedModel

if TYPE_CHECKING:
    from agentload.profiles.plan import Plan

__all__ = ["column_values", "render_chart"]

_EIGHTHS = " ▁▂▃▄▅▆▇█"


def column_values(plan: Plan, width: int) -> tuple[float, ...]:
    """The largest value (VUs or it/s, this segment's) in each of ``width`` equal columns."""
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"a chart is at least 1 column wide, got {width!r}")
    duration = plan.duration
    edges = [duration * i / width for i in range(width + 1)]
    if isinstance(plan.model, ClosedModel):
        return _closed_columns(plan, edges)
    return _open_columns(plan, edges)


def _closed_columns(plan: Plan, edges: Sequence[float]) -> tuple[float, ...]:
    changes = plan.vu_changes()
    out: list[float] = []
    k = 0  # index of the change in force at the column's start
    for t0, t1 in itertools.pairwise(edges):
        while k + 1 < len(changes) and changes[k + 1].at <= t0:
            k += 1
        peak = changes[k].active
        j = k + 1
        while j < len(changes) and changes[j].at < t1:
            peak = max(peak, changes[j].active)
            j += 1
        out.append(float(peak))
    return tuple(out)


def _open_columns(plan: Plan, edges: Sequence[float]) -> tuple[float, ...]:
    assert not isinstance(plan.model, ClosedModel)
    pieces = rate_pieces(plan.model)
    count = plan.segment.count
    out: list[float] = []
    for t0, t1 in itertools.pairwise(edges):
        peak = 0.0
        for piece in pieces:
            if piece.start >= t1 or piece.end <= t0:
                continue
            # The rate is linear on a piece, so its largest value on the overlap
            # is at one of the overlap's ends.
            span = piece.end - piece.start
            for t in (max(piece.start, t0), min(piece.end, t1)):
                rate = piece.rate0 + (piece.rate1 - piece.rate0) * ((t - piece.start) / span)
                peak = max(peak, rate)
        out.append(peak / count)
    return tuple(out)


def _label(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.3g}"


def render_chart(plan: Plan, *, width: int = 60, height: int = 8) -> str:
    """The chart of ``plan`` (this segment's share), ``width`` columns × ``height`` rows.

    Lines: a title, ``height`` rows of bars with the peak labelled on the top
    one, the time axis with 0, and the start and end times. No line has
    trailing spaces.
    """
    if isinstance(height, bool) or not isinstance(height, int) or height < 1:
        raise ValueError(f"a chart is at least 1 row high, got {height!r}")
    if plan.extra:
        # Load groups may mix VUs and rates, which do not add up: one chart each.
        charts = []
        for n, part in enumerate(plan.parts(), start=1):
            names = ", ".join(name for name, _ in part.plan.weights)
            chart = render_chart(part.plan, width=width, height=height)
            charts.append(f"group {n} ({names}):\n{chart}")
        return "\n".join(charts)
    values = column_values(plan, width)
    closed = isinstance(plan.model, ClosedModel)
    peak = max(values)
    top = peak if peak > 0 else 1.0
    eighths: list[int] = []
    for value in values:
        e = round(value / top * height * 8)
        eighths.append(max(e, 1) if value > 0 else 0)
    top_label = _label(peak)
    margin = max(len(top_label), 1)
    total = format_duration(plan.duration)
    per = format_duration(plan.duration / width)
    what = "active VUs" if closed else "arrival rate (it/s)"
    where = "" if plan.segment.whole else f", segment {plan.segment}"
    lines = [f"{what} over {total} ({per} per column{where})"]
    for row in range(height):
        level = height - 1 - row
        bars = "".join(_EIGHTHS[min(max(e - level * 8, 0), 8)] for e in eighths)
        label, tick = (top_label, "┤") if row == 0 else ("", "│")
        lines.append(f"{label:>{margin}} {tick}{bars}".rstrip())
    lines.append(f"{'0':>{margin}} └{'─' * width}")
    start = "0s"
    gap = width - len(start) - len(total)
    axis = start + " " * gap + total if gap >= 1 else start
    lines.append(f"{'':>{margin}}  {axis}")
    return "\n".join(lines)
