"""Custom load shapes and scaling: points, functions of time, ``--scale``.

Three ways to get a :data:`LoadModel` other than writing stages:

* :func:`shape_from_points` — ``(time, target)`` points joined by straight
  lines, as ``load: {shape: [[0s, 0], [30s, 50], …]}`` writes them;
* :func:`shape_from_function` — a pure function of elapsed seconds → target,
  sampled every ``step`` seconds (the idea of Locust's ``LoadTestShape``, but
  compiled to a plan up front, so it can be inspected, split and tested);
* :func:`shape_from_tick` — Locust's ``LoadTestShape.tick()`` contract: a
  function of elapsed seconds returning the target (or ``(users,
  spawn_rate)``), or ``None`` when the test should end;
* :func:`scale_model` — the same shape with every VU count and rate multiplied.

VU counts are whole; where a computation gives a fraction it goes through
:func:`whole_vus`: the nearest whole number, halves rounded up, and a positive
value never rounds down to 0 (a phase that had load keeps at least one VU, so
scaling or sampling never erases part of a shape).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Literal

from agentload.profiles._validate import validate_model
from agentload.profiles.model import ClosedModel, LoadModel, OpenModel, Stage

__all__ = [
    "ModelKind",
    "scale_model",
    "shape_from_function",
    "shape_from_points",
    "shape_from_tick",
    "whole_vus",
]

ModelKind = Literal["closed", "open"]
"""Which model a shape compiles to: VUs (closed) or an arrival rate (open)."""

_MAX_SAMPLES = 1_000_000  # a guard against step=1e-9 over an hour, not a real limit


def whole_vus(value: float) -> int:
    """``value`` as a VU count: nearest whole number, halves up, positive → at least 1."""
    if value <= 0:
        return 0
    # floor(x + 0.5) rounds halves up; round() would round them to even (2.5 → 2).
    return max(1, math.floor(value + 0.5))


def _problems(points: Sequence[tuple[float, float]], kind: str) -> list[str]:
    problems: list[str] = []
    if kind not in ("closed", "open"):
        problems.append(f"model must be 'closed' or 'open', got {kind!r}")
    if len(points) < 2:
        problems.append(
            f"a shape needs at least 2 points, got {len(points)}; e.g. [[0s, 0], [30s, 10]]"
        )
        return problems
    if points[0][0] != 0:
        problems.append(f"the first point is at {points[0][0]!r}s; start the shape at 0s")
    for n in range(1, len(points)):
        t, previous = points[n][0], points[n - 1][0]
        if math.isfinite(t) and math.isfinite(previous) and t < previous:
            problems.append(
                f"point {n + 1} is at {t:g}s, before point {n} at {previous:g}s; "
                "list the points in time order"
            )
    return problems


def shape_from_points(
    points: Sequence[tuple[float, float]], model: ModelKind = "closed"
) -> LoadModel:
    """A model whose target follows straight lines between ``(seconds, target)`` points.

    The first point must be at 0 (it is the start value); times must not go
    back. Two points at the same time make a jump. Targets are VUs (whole
    numbers) for ``"closed"`` and iterations/s for ``"open"``; the other model
    fields keep their defaults (``dataclasses.replace`` changes them).

    Raises ``ValueError`` listing every problem.
    """
    problems = _problems(points, model)
    if not problems:
        stages = tuple(
            Stage(float(t - t0), float(v)) for (t0, _), (t, v) in itertools.pairwise(points)
        )
        start = points[0][1]
        built: LoadModel
        if model == "open":
            built = OpenModel(stages=stages, start_rate=float(start))
        elif isinstance(start, int | float) and math.isfinite(start) and start == int(start):
            built = ClosedModel(stages=stages, start_vus=int(start))
        else:
            built = ClosedModel(stages=stages)
            problems.append(f"the first point's target {start!r} is not a whole number of VUs")
        problems += validate_model(built)
        if not problems:
            return built
    raise ValueError("invalid shape:\n" + "\n".join(f"- {p}" for p in problems))


def shape_from_function(
    fn: Callable[[float], float],
    duration: float,
    step: float = 1.0,
    *,
    model: ModelKind = "closed",
    hold: bool = False,
) -> LoadModel:
    """Sample ``fn(elapsed seconds) → target`` every ``step`` seconds into a model.

    Samples are taken at ``0, step, 2·step, …`` below ``duration``. By default
    the target moves in a straight line from one sample to the next, ending
    on ``fn(duration)``; with ``hold`` each sample is held until the next one
    and changes are jumps (Locust's ``tick()`` semantics; ``fn(duration)`` is
    then not called). Closed-model samples go through :func:`whole_vus`;
    open-model samples are rates, used as they are. Consecutive stages on one
    straight line are merged, so a function flat for an hour costs one stage.

    ``fn`` must be pure: it is called once per sample, in time order, and must
    return a finite number, 0 or more. Raises ``ValueError`` with the problems
    (the first few times at which ``fn`` misbehaved, and why).
    """
    if not (isinstance(duration, int | float) and math.isfinite(duration) and duration > 0):
        raise ValueError(f"duration must be a positive number of seconds, got {duration!r}")
    if not (isinstance(step, int | float) and math.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive number of seconds, got {step!r}")
    if duration / step > _MAX_SAMPLES:
        raise ValueError(
            f"{duration:g}s every {step:g}s is over {_MAX_SAMPLES} samples; use a larger step"
        )
    times: list[float] = []
    i = 0
    # i·step rather than a running sum, so the samples do not drift.
    while i * step < duration:
        times.append(i * step)
        i += 1
    sampled = times if hold else [*times, float(duration)]
    values: list[float] = []
    problems: list[str] = []
    for t in sampled:
        value = fn(t)
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"at {t:g}s the function returned {value!r}, not a number")
        elif not math.isfinite(value) or value < 0:
            problems.append(f"at {t:g}s the function returned {value!r}; return 0 or more")
        else:
            values.append(float(whole_vus(value)) if model == "closed" else float(value))
        if len(problems) >= 5:  # enough to see the pattern; the rest would repeat it
            break
    if problems:
        raise ValueError("invalid shape function:\n" + "\n".join(f"- {p}" for p in problems))
    if hold:
        # Each sample holds until the next sample's time, where the value jumps.
        points = [(times[0], values[0])]
        for n in range(1, len(times)):
            points += [(times[n], values[n - 1]), (times[n], values[n])]
        points.append((float(duration), values[-1]))
    else:
        points = list(zip(sampled, values, strict=True))
    return shape_from_points(_simplify(points), model)


def shape_from_tick(
    fn: Callable[[float], object],
    step: float = 1.0,
    *,
    max_duration: float = 86_400.0,
    model: ModelKind = "closed",
    hold: bool = True,
) -> LoadModel:
    """Sample a Locust-style ``tick``: ``fn(t)`` every ``step`` seconds until it returns ``None``.

    ``fn(t)`` returns the target at ``t`` (a number, or a ``(users, spawn_rate)``
    pair whose first item is used: the plan ramps on its own), or ``None`` to end
    the test at ``t``. Sampling also ends at ``max_duration``. By default each
    sample holds until the next (Locust's semantics); ``hold=False`` joins the
    samples with straight lines instead. Raises ``ValueError`` as
    :func:`shape_from_function` does, and when the first sample already ends it.
    """
    if not (isinstance(step, int | float) and math.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive number of seconds, got {step!r}")
    if not (isinstance(max_duration, int | float) and max_duration > 0):
        raise ValueError(f"max_duration must be positive, got {max_duration!r}")
    if max_duration / step > _MAX_SAMPLES:
        raise ValueError(f"{max_duration:g}s every {step:g}s is over {_MAX_SAMPLES} samples")
    values: dict[float, object] = {}
    end = float(max_duration)
    i = 0
    while i * step < max_duration:
        t = i * step
        value = fn(t)
        if isinstance(value, tuple | list) and value:
            value = value[0]
        if value is None:
            end = t
            break
        values[t] = value
        i += 1
    if end <= 0:
        raise ValueError(
            "invalid shape function:\n- it returned None at 0s: the test would not run"
        )
    last = values[max(values)]

    def sampled(t: float) -> float:
        # Only sample times are asked for, plus `end` without hold.
        value = values.get(t, last)
        return value  # type: ignore[return-value]  # checked by shape_from_function

    return shape_from_function(sampled, end, step, model=model, hold=hold)


def _simplify(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop repeated points and interior points exactly on the line through their neighbours.

    The plan depends only on the piecewise-linear target, which such points do
    not change. The comparison is exact (no tolerance), and jumps (two points
    at one time) are kept.
    """
    out: list[tuple[float, float]] = []
    for point in points:
        if out and out[-1] == point:
            continue
        if len(out) >= 2:
            (t0, v0), (t1, v1) = out[-2], out[-1]
            t2, v2 = point
            if t0 < t1 < t2 and (v1 - v0) * (t2 - t1) == (v2 - v1) * (t1 - t0):
                out[-1] = point
                continue
        out.append(point)
    return out


def scale_model(model: LoadModel, factor: float) -> LoadModel:
    """``model`` with every VU count or rate multiplied by ``factor`` (``--scale``).

    Closed model: ``start_vus`` and each stage target go through
    :func:`whole_vus`. Open model: rates are multiplied exactly, and
    ``max_vus`` and ``pre_allocated_vus`` are rounded *up* so the pool keeps
    pace with the scaled rate. Durations and graceful periods do not change.
    Raises ``ValueError`` unless ``factor`` is a finite number above 0.
    """
    if isinstance(factor, bool) or not isinstance(factor, int | float):
        raise ValueError(f"a scale factor must be a number, got {factor!r}")
    if not math.isfinite(factor) or factor <= 0:
        raise ValueError(f"a scale factor must be above 0, got {factor!r}; e.g. 0.5 or 2")
    if isinstance(model, ClosedModel):
        return dataclasses.replace(
            model,
            start_vus=whole_vus(model.start_vus * factor),
            stages=tuple(
                Stage(s.duration, float(whole_vus(s.target * factor))) for s in model.stages
            ),
        )
    return dataclasses.replace(
        model,
        start_rate=model.start_rate * factor,
        stages=tuple(Stage(s.duration, s.target * factor) for s in model.stages),
        max_vus=math.ceil(model.max_vus * factor),
        pre_allocated_vus=math.ceil(model.pre_allocated_vus * factor),
    )
