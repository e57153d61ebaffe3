"""Human descriptions of plans, for ``agentload inspect`` and run headers.

The text is deterministic (golden tests pin it): numbers use ``:g`` or whole
values, durations use :func:`agentload._units.format_duration`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentload._units import format_duration
from agentload.profiles.model import ClosedModel, Stage

if TYPE_CHECKING:
    from agentload.profiles.plan import Plan

__all__ = ["describe_plan"]


def describe_plan(plan: Plan) -> str:
    """Four lines: the stages, the totals, the scenarios and the segment.

    A plan of several load groups gets a header line, then each group's four
    lines, indented.
    """
    if not plan.extra:
        return _describe_single(plan)
    parts = plan.parts()
    lines = [
        f"{len(parts)} load groups side by side; duration {_duration(plan.duration)}; "
        f"up to {_vus(plan.unsplit().max_vus())} in all"
    ]
    for n, part in enumerate(parts, start=1):
        names = ", ".join(name for name, _ in part.plan.weights)
        lines.append(f"group {n} ({names}):")
        lines += ["  " + line for line in _describe_single(part.plan).splitlines()]
    return "\n".join(lines)


def _describe_single(plan: Plan) -> str:
    model = plan.model
    weights = ", ".join(f"{name} ×{weight}" for name, weight in plan.weights)
    if isinstance(model, ClosedModel):
        stages = _stages(model.stages, float(model.start_vus), closed=True, hold="hold {v} for {d}")
        head = f"closed model: {stages}"
        peak = plan.unsplit().max_vus()
        totals = (
            f"peak {_vus(peak)}; duration {_duration(plan.duration)}; "
            f"graceful ramp-down {_duration(model.graceful_ramp_down)}, "
            f"graceful stop {_duration(model.graceful_stop)}"
        )
        here = f"peak {_vus(plan.max_vus())}"
    else:
        stages = _stages(model.stages, model.start_rate, closed=False, hold="{v} for {d}")
        spacing = f"Poisson, seed {model.seed}" if model.poisson else "evenly spaced"
        if model.breakpoint:
            spacing += "; breakpoint test"
        head = f"open model: {stages} ({spacing})"
        totals = (
            f"max {_vus(model.max_vus)} ({model.pre_allocated_vus} pre-allocated), "
            f"queue {model.max_queue}; ≈{round(plan.unsplit().expected_iterations())} iterations; "
            f"duration {_duration(plan.duration)}; graceful stop {_duration(model.graceful_stop)}"
        )
        here = (
            f"max {_vus(plan.max_vus())} ({plan.pre_allocated_vus()} pre-allocated), "
            f"≈{round(plan.expected_iterations())} iterations"
        )
    segment = plan.segment
    if segment.whole:
        where = "segment: whole plan"
    else:
        what = "VUs k" if isinstance(model, ClosedModel) else "VUs and iterations k"
        where = (
            f"segment {segment}: {what} with k % {segment.count} == {segment.index}; "
            f"this segment: {here}"
        )
    return "\n".join([head, totals, f"scenarios: {weights}", where])


def _stages(stages: tuple[Stage, ...], start: float, *, closed: bool, hold: str) -> str:
    parts: list[str] = []
    previous = start
    for stage in stages:
        value = _vus(int(stage.target)) if closed else f"{_number(stage.target)} it/s"
        if stage.duration == 0:
            parts.append(f"jump to {value}")
        elif stage.target == previous:
            parts.append(hold.format(v=value, d=_duration(stage.duration)))
        else:
            parts.append(f"{_number(previous)} → {value} over {_duration(stage.duration)}")
        previous = stage.target
    return ", ".join(parts)


def _vus(count: int) -> str:
    return "1 VU" if count == 1 else f"{count} VUs"


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


def _duration(seconds: float) -> str:
    # format_duration writes 0 as "0ms"; a zero graceful period reads better as 0s.
    return "0s" if seconds == 0 else format_duration(seconds)
