"""Closed-model arithmetic: when the number of active VUs changes.

The target ``target(t)`` is piecewise linear: it starts at ``start_vus`` and
each stage ramps linearly from the previous target to its own over its
duration (a stage of duration 0 jumps). The number of active VUs changes
exactly when the line reaches an integer, and becomes that integer:

* while ramping up it is ``floor(target(t))``: ``0 → 10`` over 10 s adds a VU
  at t = 1, 2, …, 10;
* while ramping down it is ``ceil(target(t))``: ``10 → 0`` over 10 s removes a
  VU at t = 1, 2, …, 10 (not at t = 0).

The rule is symmetric between the two directions: a ramp of ``n`` VUs over
``d`` seconds, up or down, has exactly ``n`` changes, at ``start + d·j/n`` for
``j = 1…n`` (as in k6's ramping-vus executor), and the count going down is
``n`` minus the count going up. Every change happens on an integer crossing of
the line, never at the instant a ramp begins. VU targets are whole numbers (validation rejects
fractions), so every stage ends on its target.

Global VU ``k`` is active while the total is greater than ``k``: VUs are added
and removed last-in, first-out.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from agentload.profiles.model import ClosedModel, Stage
from agentload.profiles.segment import Segment

__all__ = ["VUChange", "segment_vu_changes", "stage_ends", "total_vu_changes", "vus_at"]


@dataclass(frozen=True, slots=True)
class VUChange:
    """From time ``at`` (seconds since the start) the segment runs ``active`` VUs."""

    at: float
    active: int


def stage_ends(stages: Sequence[Stage]) -> tuple[float, ...]:
    """The end time of each stage, folded left to right.

    Every module computes stage boundaries with this one fold, so times that
    should coincide (a ramp's last step and the next stage's start) are equal
    floats, not merely close ones. (``sum()`` is not used: since Python 3.12
    it compensates rounding and would disagree with the fold.)
    """
    ends: list[float] = []
    t = 0.0
    for stage in stages:
        t = t + stage.duration
        ends.append(t)
    return tuple(ends)


def total_vu_changes(model: ClosedModel) -> tuple[tuple[float, int], ...]:
    """``(time, total active VUs)`` for the whole plan, times strictly increasing.

    The first entry is at 0; only actual changes follow (no final marker).
    """
    raw: list[tuple[float, int]] = [(0.0, model.start_vus)]
    start = 0.0
    current = model.start_vus
    for stage, end in zip(model.stages, stage_ends(model.stages), strict=True):
        target = int(stage.target)
        if stage.duration == 0:
            raw.append((start, target))
        elif target != current:
            step = 1 if target > current else -1
            span = target - current
            for value in range(current + step, target + step, step):
                # For value == target this is start + duration·1.0 == the next stage's start.
                raw.append((start + stage.duration * ((value - current) / span), value))
        start = end
        current = target
    return _collapse(raw)


def _collapse(raw: Sequence[tuple[float, int]]) -> tuple[tuple[float, int], ...]:
    """Keep the last value at each instant, then drop entries that change nothing."""
    by_time: list[tuple[float, int]] = []
    for at, value in raw:
        # Rounding keeps times non-decreasing; "<=" also absorbs equal instants.
        if by_time and at <= by_time[-1][0]:
            by_time[-1] = (by_time[-1][0], value)
        else:
            by_time.append((at, value))
    out: list[tuple[float, int]] = []
    for at, value in by_time:
        if not out or value != out[-1][1]:
            out.append((at, value))
    return tuple(out)


def segment_vu_changes(
    totals: Sequence[tuple[float, int]], segment: Segment, duration: float
) -> tuple[VUChange, ...]:
    """This segment's changes, derived from the totals; ends with a marker at ``duration``."""
    changes: list[VUChange] = []
    for at, total in totals:
        active = segment.share(total)
        if not changes or active != changes[-1].active:
            changes.append(VUChange(at, active))
    if changes[-1].at < duration:
        # The end marker may repeat the last count: it tells the engine when the plan ends.
        changes.append(VUChange(duration, changes[-1].active))
    return tuple(changes)


def vus_at(changes: Sequence[VUChange], t: float) -> int:
    """The active count at ``t``: the last change at or before ``t`` (0 before the start)."""
    pos = bisect_right(changes, t, key=_at)
    return changes[pos - 1].active if pos else 0


def _at(change: VUChange) -> float:
    return change.at
