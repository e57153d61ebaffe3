"""Open-model arithmetic: the arrival rate, its integral and the arrival times.

The rate ``r(t)`` (iterations per second) is piecewise linear: it starts at
``start_rate`` and each stage ramps linearly to its target over its duration
(a stage of duration 0 jumps). ``Λ(t) = ∫₀ᵗ r`` is the expected number of
arrivals by ``t``; it is piecewise quadratic and is inverted exactly, piece by
piece.

Arrival ``i`` (0-based) is intended at the *last* instant at which ``Λ`` equals
a level ``x_i``:

* evenly spaced: ``x_i = i``. As in k6, the first arrival is at 0 when the
  start rate is positive; arrivals lie in ``[0, duration)`` and there are
  ``ceil(Λ(duration))`` of them (up to float rounding of ``Λ``).
* Poisson: ``x_i = E₁ + … + E_{i+1}`` with ``Eⱼ ~ Exp(1)`` drawn in order from
  ``random.Random(seed)``: a Poisson process of intensity ``r(t)``.

"Last instant" matters only where the rate is 0: ``Λ`` is flat there, and the
arrival waits until the rate is positive again. So a stretch at rate 0 has no
arrivals, and a plan starting at rate 0 starts its first iteration as soon as
the rate rises.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from agentload.profiles.model import OpenModel
from agentload.profiles.segment import Segment

__all__ = [
    "RatePiece",
    "even_arrivals",
    "expected_arrivals",
    "poisson_arrivals",
    "rate_at",
    "rate_pieces",
]


@dataclass(frozen=True, slots=True)
class RatePiece:
    """One stage of positive duration: the rate ramps ``rate0 → rate1`` over ``[start, end]``.

    ``before`` and ``after`` are ``Λ(start)`` and ``Λ(end)``.
    """

    start: float
    end: float
    rate0: float
    rate1: float
    before: float
    after: float


def rate_pieces(model: OpenModel) -> tuple[RatePiece, ...]:
    """The stages of positive duration with the cumulative expected count at each end."""
    pieces: list[RatePiece] = []
    start = 0.0
    rate = model.start_rate
    count = 0.0
    for stage in model.stages:
        # The same left fold as _closed.stage_ends, so piece ends equal stage ends.
        end = start + stage.duration
        if stage.duration > 0:
            after = count + (rate + stage.target) * stage.duration / 2
            pieces.append(RatePiece(start, end, rate, stage.target, count, after))
            count = after
        start = end
        rate = stage.target
    return tuple(pieces)


def rate_at(model: OpenModel, t: float) -> float:
    """``r(t)``; right-continuous at jumps, the final target at and after the end."""
    begin = 0.0
    rate = model.start_rate
    for stage in model.stages:
        end = begin + stage.duration
        if stage.duration > 0 and t < end:
            if t <= begin:
                return rate
            return rate + (stage.target - rate) * ((t - begin) / stage.duration)
        begin = end
        rate = stage.target
    return rate


def expected_arrivals(pieces: Sequence[RatePiece]) -> float:
    """``Λ(duration)``: the expected number of arrivals of the whole plan."""
    return pieces[-1].after if pieces else 0.0


def _solve(piece: RatePiece, level: float) -> float:
    """The time in ``piece`` at which ``Λ`` reaches ``level`` (``before ≤ level < after``)."""
    delta = level - piece.before
    if delta <= 0:
        return piece.start
    duration = piece.end - piece.start
    r0 = piece.rate0
    slope = (piece.rate1 - r0) / duration
    if slope == 0:
        tau = delta / r0
    else:
        # Root of slope/2·τ² + r0·τ − delta = 0, written so that nothing cancels:
        # τ = 2·delta / (r0 + √(r0² + 2·slope·delta)). level < after keeps the
        # discriminant ≥ 0 in exact arithmetic; max() absorbs rounding.
        disc = max(r0 * r0 + 2 * slope * delta, 0.0)
        tau = 2 * delta / (r0 + math.sqrt(disc))
    # Rounding may overshoot the piece by an ulp; the next piece starts at `end`.
    return min(piece.start + tau, piece.end)


def _times(
    pieces: Sequence[RatePiece], levels: Iterable[tuple[int, float]], *, guard: bool
) -> Iterator[tuple[int, float]]:
    """Map non-decreasing levels to times; stop at the first level past the plan.

    With ``guard``, a running maximum keeps the times in order when two levels
    are within a few ulps and rounding could invert them (Poisson draws).
    Levels of even spacing differ by at least 1, far more than rounding, so
    they go unguarded and each time stays a function of its level alone.
    """
    if not pieces:
        return
    total = pieces[-1].after
    end = pieces[-1].end
    p = 0
    last = 0.0
    for index, level in levels:
        if level >= total:
            return
        # Terminates: level < total == pieces[-1].after.
        while level >= pieces[p].after:
            p += 1
        t = _solve(pieces[p], level)
        if guard and t < last:
            t = last
        if t >= end:
            return
        last = t
        yield index, t


def even_arrivals(pieces: Sequence[RatePiece], segment: Segment) -> Iterator[tuple[int, float]]:
    """Evenly spaced arrivals of ``segment``: levels ``i`` for its own ``i`` only.

    Each time is a function of ``i`` alone, so a segment computes only its own
    arrivals (O(its share)) and gets exactly the unsplit plan's times.
    """
    levels = ((i, float(i)) for i in itertools.count(segment.index, segment.count))
    return _times(pieces, levels, guard=False)


def poisson_arrivals(
    pieces: Sequence[RatePiece], segment: Segment, seed: int
) -> Iterator[tuple[int, float]]:
    """Poisson arrivals of ``segment``: the global sequence, filtered to its own ``i``.

    Every segment draws the whole global sequence from ``random.Random(seed)``
    and keeps its stripe, so the union over segments is exactly the unsplit
    sequence. The cost is O(total arrivals) per segment; a worker could skip
    ahead with jump-ahead RNG streams if that ever matters.
    """
    rng = random.Random(seed)

    def levels() -> Iterator[tuple[int, float]]:
        level = 0.0
        for i in itertools.count():
            level += rng.expovariate(1.0)
            yield i, level

    # Times are computed for every global arrival (not only this segment's) so
    # the running maximum in _times is the same in every segment.
    for index, t in _times(pieces, levels(), guard=True):
        if segment.owns(index):
            yield index, t
