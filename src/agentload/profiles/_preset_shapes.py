"""The shapes behind the presets: resolved parameters → a load model.

Each function takes every parameter of its preset already resolved (defaults
filled in, phases fitted to ``duration``; see :mod:`agentload.profiles.presets`)
and returns the model with its options at their defaults, except those the
preset sets itself.

Zero-length phases are jumps; a jump at the very start is the start value, and
one at the very end (which could change nothing) is left out.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from agentload.profiles.model import ClosedModel, LoadModel, OpenModel, Stage
from agentload.profiles.shapes import whole_vus

__all__ = [
    "DAY",
    "Values",
    "breakpoint_shape",
    "constant_shape",
    "ramp_hold_shape",
    "realistic_shape",
    "spike_shape",
    "step_shape",
]

Values = Mapping[str, float]
"""Preset parameters by name."""


def _closed(start: float, phases: Sequence[tuple[float, float]]) -> ClosedModel:
    """A closed model from ``(length, target)`` phases; 0-length phases are jumps."""
    stages: list[Stage] = []
    level = start
    for n, (length, target) in enumerate(phases):
        if length == 0 and (target == level or n == len(phases) - 1):
            continue  # a jump to where we are, or at the very end: changes nothing
        if length == 0 and not stages:
            start = level = target  # a jump at time 0 is the start value
            continue
        stages.append(Stage(float(length), float(target)))
        level = target
    return ClosedModel(stages=tuple(stages), start_vus=int(start))


def constant_shape(v: Values) -> LoadModel:
    """``smoke``: ``vus`` for ``duration``, as ``load: {vus, duration}`` would be."""
    return ClosedModel(stages=(Stage(v["duration"], v["vus"]),), start_vus=int(v["vus"]))


def ramp_hold_shape(v: Values) -> LoadModel:
    """``average``, ``stress``, ``soak``: 0 → ``vus`` over ``ramp_up``, hold, → 0 (k6's shape)."""
    vus = v["vus"]
    return _closed(0, [(v["ramp_up"], vus), (v["hold"], vus), (v["ramp_down"], 0)])


def spike_shape(v: Values) -> LoadModel:
    """``spike``: ``base`` for ``before``, → ``peak`` → ``base``, then ``base`` for ``after``."""
    base, peak = v["base"], v["peak"]
    phases = [(v["before"], base), (v["ramp_up"], peak), (v["ramp_down"], base), (v["after"], base)]
    return _closed(base, phases)


def step_shape(v: Values) -> LoadModel:
    """``step``: at ``interval·(k-1)`` jump to ``whole_vus(k·vus/steps)``, ``k = 1…steps``."""
    steps = int(v["steps"])
    phases: list[tuple[float, float]] = []
    for k in range(1, steps + 1):
        level = whole_vus(k * v["vus"] / steps)
        phases += [(0.0, level), (v["interval"], level)]
    return _closed(0, phases)


def breakpoint_shape(v: Values) -> LoadModel:
    """``breakpoint``: one ramp ``start_rate → rate`` it/s, flagged ``breakpoint``."""
    # A large VU pool: the target, not agentload's pool, should be what breaks.
    return OpenModel(
        stages=(Stage(v["duration"], v["rate"]),),
        start_rate=v["start_rate"],
        max_vus=1000,
        pre_allocated_vus=50,
        breakpoint=True,
    )


# (hour of a 12-hour day from 8:00, share of the peak): a quiet start, the
# morning ramp, the lunch spike (12:00-13:00), an afternoon plateau and the
# evening decline.
DAY = ((0, 0.1), (3, 0.6), (3.5, 0.6), (4, 1.0), (5, 1.0), (5.5, 0.6), (8, 0.6), (12, 0.1))


def realistic_shape(v: Values) -> LoadModel:
    """``realistic``: :data:`DAY` scaled to ``vus`` and squeezed into ``duration``."""
    vus, hour = v["vus"], v["duration"] / 12
    phases = [
        ((h1 - h0) * hour, whole_vus(share * vus))
        for (h0, _), (h1, share) in itertools.pairwise(DAY)
    ]
    return _closed(whole_vus(DAY[0][1] * vus), phases)
