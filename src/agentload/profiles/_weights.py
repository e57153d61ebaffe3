"""Deterministic weighted choice of a scenario for each global VU or iteration.

The choice is a periodic sequence over the global index, so it is the same in
every segment and needs no shared state. Its period is the sum of the weights
(after dividing them by their gcd), and every prefix is *balanced*: after any
``m`` indices, scenario ``j`` has been chosen ``m·wⱼ/W ± (less than 1)`` times.

nginx's smooth weighted round-robin comes close but can drift past ±1 (about
1.014 for weights 1, 7, 30, 3, 28). We build the sequence by earliest deadline
first instead: the ``k``-th choice of scenario ``j`` may not come before index
``⌊(k-1)·W/wⱼ⌋`` nor after ``⌈k·W/wⱼ⌉ - 1``, and at each index we take, among the
scenarios whose next choice is due, the one with the earliest ideal position
``k·W/wⱼ`` (the first listed on ties). Such windows can always be met
(Tijdeman's chairman assignment theorem) and EDF meets any feasible set of
unit jobs, so the ±1 bound holds for every prefix; the unit tests check it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["MAX_PERIOD", "schedule", "weight_problems"]

MAX_PERIOD = 10_000
"""The largest sum of (gcd-reduced) weights: the schedule is stored, one entry per index."""


def weight_problems(weights: Sequence[tuple[str, int]]) -> list[str]:
    """Problems with ``(scenario name, weight)`` pairs, as actionable messages."""
    if not weights:
        return ["no scenarios: a plan needs at least one (scenario name, weight) pair"]
    problems: list[str] = []
    seen: set[str] = set()
    for name, weight in weights:
        if not isinstance(name, str) or not name:
            problems.append(f"scenario name {name!r} must be a non-empty string")
        elif name in seen:
            problems.append(f"scenario {name!r} is listed twice; give each scenario one weight")
        else:
            seen.add(name)
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            problems.append(f"scenario {name!r}: weight {weight!r} must be a whole number ≥ 1")
    if not problems:
        divisor = math.gcd(*(w for _, w in weights))
        period = sum(w for _, w in weights) // divisor
        if period > MAX_PERIOD:
            problems.append(
                f"the scenario weights add up to {period} after reduction, above the limit of "
                f"{MAX_PERIOD}; use smaller weights with the same proportions"
            )
    return problems


def schedule(weights: Sequence[int]) -> tuple[int, ...]:
    """One period of the balanced sequence: the scenario position for each index.

    ``weights`` must be valid (see :func:`weight_problems`).
    """
    divisor = math.gcd(*weights)
    reduced = [w // divisor for w in weights]
    total = sum(reduced)
    counts = [0] * len(reduced)
    out: list[int] = []
    for step in range(1, total + 1):
        best = -1
        for j, w in enumerate(reduced):
            # Due: the next choice's release ⌊counts·W/w⌋ + 1 ≤ step, in integers.
            if counts[j] * total < step * w and (
                best < 0 or (counts[j] + 1) * reduced[best] < (counts[best] + 1) * w
            ):
                best = j
        # Some scenario is always due: the counts sum to step - 1 < step.
        counts[best] += 1
        out.append(best)
    return tuple(out)
