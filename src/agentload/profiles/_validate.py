"""Validation of load models: every problem, each as an actionable message.

Like k6's ``Validate() []error``, this collects all problems instead of stopping
at the first, so the user fixes a model in one pass. Messages name the field
(stages are numbered from 1, as the user wrote them) and say what to do.
"""

from __future__ import annotations

import math
from typing import TypeGuard

from agentload.profiles.model import ClosedModel, LoadModel, OpenModel, Stage

__all__ = ["validate_model"]


MAX_VUS = 100_000
"""VUs one run may ask for (closed targets, ``start_vus``, ``max_vus``).

Far above what one machine sustains (~10,000 idle VUs per GB); the limit exists
so that a typo (``vus: 1e9``) is an error rather than minutes of allocation.
"""

MAX_RATE = 1_000_000.0
"""Iterations per second one run may ask for (start rate and stage targets)."""


def validate_model(model: LoadModel) -> list[str]:
    """Return the problems of ``model`` as messages; an empty list means it is valid.

    Checked: at least one stage; finite, non-negative durations and targets;
    a positive total duration; whole VU targets for the closed model; some
    load at all; for the open model ``0 ≤ pre_allocated_vus ≤ max_vus`` and
    ``max_vus ≥ 1`` when the rate is ever positive; non-negative graceful
    periods and queue size.
    """
    if isinstance(model, ClosedModel):
        return _closed_problems(model)
    if isinstance(model, OpenModel):
        return _open_problems(model)
    return [f"unknown load model {type(model).__name__}: use ClosedModel or OpenModel"]


def _is_number(value: object) -> TypeGuard[int | float]:
    # Models are typed, but they may come from parsed files: check, don't trust.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _seconds_problem(name: str, value: object) -> list[str]:
    if _is_number(value) and math.isfinite(value) and value >= 0:
        return []
    return [f"{name} {value!r} must be a finite number of seconds, 0 or more"]


def _stage_problems(stages: tuple[Stage, ...], unit: str, *, whole: bool) -> list[str]:
    if not stages:
        return ["no stages: add at least one stage with a duration and a target"]
    problems: list[str] = []
    for n, stage in enumerate(stages, start=1):
        duration, target = stage.duration, stage.target
        if not _is_number(duration) or not math.isfinite(duration):
            problems.append(f"stage {n}: duration {duration!r} is not a finite number of seconds")
        elif duration < 0:
            problems.append(
                f"stage {n}: duration {duration:g}s is negative; use 0 to jump to the target "
                "or a positive number of seconds to ramp to it"
            )
        if not _is_number(target) or not math.isfinite(target):
            problems.append(f"stage {n}: target {target!r} is not a finite number")
        elif target < 0:
            problems.append(f"stage {n}: target {target:g} {unit} is negative; use 0 or more")
        elif whole and target != int(target):
            problems.append(
                f"stage {n}: target {target:g} {unit} is not a whole number; "
                "a closed model runs whole VUs"
            )
    limit = MAX_VUS if whole else MAX_RATE
    for n, stage in enumerate(stages, start=1):
        if _is_number(stage.target) and math.isfinite(stage.target) and stage.target > limit:
            problems.append(_too_many(f"stage {n}: target", stage.target, unit, limit))
    if not problems and all(stage.duration == 0 for stage in stages):
        problems.append("the stages last 0s in total: give at least one stage a positive duration")
    return problems


def _too_many(what: str, value: float, unit: str, limit: float) -> str:
    return (
        f"{what} {value:,.0f} {unit} is above the limit of {limit:,.0f} {unit} per run; "
        "lower it (for more load, run several generators)"
    )


def _closed_problems(model: ClosedModel) -> list[str]:
    problems = _stage_problems(model.stages, "VUs", whole=True)
    if not _is_count(model.start_vus):
        problems.append(f"start_vus {model.start_vus!r} must be a whole number, 0 or more")
    elif model.start_vus > MAX_VUS:
        problems.append(_too_many("start_vus", model.start_vus, "VUs", MAX_VUS))
    problems += _seconds_problem("graceful_ramp_down", model.graceful_ramp_down)
    problems += _seconds_problem("graceful_stop", model.graceful_stop)
    if not problems and model.start_vus == 0 and all(s.target == 0 for s in model.stages):
        problems.append(
            "the VU target is 0 throughout, so no VU would run: raise start_vus or a stage target"
        )
    return problems


def _open_problems(model: OpenModel) -> list[str]:
    problems = _stage_problems(model.stages, "it/s", whole=False)
    start = model.start_rate
    if not _is_number(start) or not math.isfinite(start) or start < 0:
        problems.append(f"start_rate {start!r} must be a finite number of iterations/s, 0 or more")
    pre, cap = model.pre_allocated_vus, model.max_vus
    if not _is_count(pre):
        problems.append(f"pre_allocated_vus {pre!r} must be a whole number, 0 or more")
    if not _is_count(cap):
        problems.append(f"max_vus {cap!r} must be a whole number, 0 or more")
    if _is_count(cap) and cap > MAX_VUS:
        problems.append(_too_many("max_vus", cap, "VUs", MAX_VUS))
    if _is_number(start) and math.isfinite(start) and start > MAX_RATE:
        problems.append(_too_many("start_rate", start, "it/s", MAX_RATE))
    if _is_count(pre) and _is_count(cap) and cap < pre:
        problems.append(
            f"max_vus ({cap}) is less than pre_allocated_vus ({pre}): "
            "raise max_vus or lower pre_allocated_vus"
        )
    if not _is_count(model.max_queue):
        problems.append(f"max_queue {model.max_queue!r} must be a whole number, 0 or more")
    if not isinstance(model.poisson, bool):
        problems.append(f"poisson {model.poisson!r} must be true or false")
    if not isinstance(model.breakpoint, bool):
        problems.append(f"breakpoint {model.breakpoint!r} must be true or false")
    if isinstance(model.seed, bool) or not isinstance(model.seed, int):
        problems.append(f"seed {model.seed!r} must be a whole number")
    problems += _seconds_problem("graceful_stop", model.graceful_stop)
    if problems:
        return problems
    # The rate is linear between these points, so its peak is one of them.
    peak = max([start, *(s.target for s in model.stages)])
    if peak == 0:
        problems.append(
            "the arrival rate is 0 throughout, so no iteration would start: "
            "raise start_rate or a stage target"
        )
    elif cap == 0:
        problems.append(
            f"max_vus is 0 but the rate reaches {peak:g} it/s, so no VU could run an "
            "iteration: set max_vus to 1 or more"
        )
    return problems
