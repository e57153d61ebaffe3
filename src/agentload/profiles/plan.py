"""The load plan: a model compiled to pure, inspectable data the engine executes.

A :class:`Plan` says *when*: when the number of VUs changes (closed model) or
when each iteration is intended to start (open model), and which scenario each
VU or iteration runs. It has no clock and does no I/O, so ``agentload inspect``
prints it and tests assert it exactly without running anything.

A plan splits into segments for worker processes (:class:`Segment`): global
VU ``k`` and global iteration ``i`` belong to segment ``k % count`` and
``i % count``. Each worker derives its share from ``(plan, segment)`` alone, and
the shares are exact: summed over segments, the active VUs at every instant and
the set of arrivals equal the unsplit plan's.

A plan may hold several load groups (:class:`LoadGroup`) that run side by side,
each with its own model and scenarios — user types with their own load. The
first group is ``(model, weights)``; the others are ``extra``. :meth:`Plan.parts`
gives one single-group plan per group (same segment), with the offset that
keeps the groups' global VU indices apart; a segment of a plan is the same
segment of each group.

The exact rules (ramp rounding, arrival phase, weighted choice) are documented
in :mod:`agentload.profiles._closed`, :mod:`agentload.profiles._open` and
:mod:`agentload.profiles._weights`, and summarised on the methods below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from agentload.profiles._closed import (
    VUChange,
    segment_vu_changes,
    stage_ends,
    total_vu_changes,
    vus_at,
)
from agentload.profiles._codec import decode_parts, encode_plan
from agentload.profiles._describe import describe_plan
from agentload.profiles._open import (
    RatePiece,
    even_arrivals,
    expected_arrivals,
    poisson_arrivals,
    rate_at,
    rate_pieces,
)
from agentload.profiles._validate import validate_model
from agentload.profiles._weights import schedule, weight_problems
from agentload.profiles.model import ClosedModel, LoadGroup, LoadModel, OpenModel
from agentload.profiles.segment import Segment

__all__ = [
    "LoadGroup",
    "Plan",
    "PlanPart",
    "Segment",
    "VUChange",
    "compile_groups",
    "compile_plan",
    "validate_model",
]


@dataclass(frozen=True, slots=True)
class PlanPart:
    """One load group of a plan, as a single-group plan, and where its VUs are numbered.

    Attributes:
        plan: the group's plan (same segment as the whole).
        vu_offset: added to the group's global VU indices, so that VUs of
            different groups never share an index (per-VU data, random seeds):
            the sum of the earlier groups' peak VUs in the unsplit plan.
    """

    plan: Plan
    vu_offset: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    """A load model with scenario weights, for the whole run or one segment of it.

    Build one with :func:`compile_plan`; construction validates everything and
    raises ``ValueError`` listing every problem, so an invalid plan never exists.

    Attributes:
        model: the load model.
        weights: ``(scenario name, weight)`` pairs, weights ≥ 1, names unique.
        segment: the share of the plan this object describes.
        extra: more load groups running beside the first; empty for the
            usual single-load plan. With groups, the per-model methods
            (``vu_changes``, ``arrivals``, ``scenario_for``, …) belong to
            :meth:`parts`; ``duration``, ``max_vus`` and ``rate_at`` cover all.
    """

    model: LoadModel
    weights: tuple[tuple[str, int], ...]
    segment: Segment = field(default_factory=Segment)
    extra: tuple[LoadGroup, ...] = ()
    # Derived once at construction; not part of a plan's identity.
    _schedule: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _changes: tuple[VUChange, ...] = field(init=False, repr=False, compare=False)
    _pieces: tuple[RatePiece, ...] = field(init=False, repr=False, compare=False)
    _parts: tuple[PlanPart, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        weights = tuple((name, weight) for name, weight in self.weights)
        object.__setattr__(self, "weights", weights)
        extra = tuple(self.extra)
        object.__setattr__(self, "extra", extra)
        problems = validate_model(self.model) + weight_problems(weights)
        problems += _group_problems(weights, extra)
        if not isinstance(self.segment, Segment):
            problems.append(f"segment must be a Segment, got {self.segment!r}")
        if problems:
            raise ValueError("invalid load plan:\n" + "\n".join(f"- {p}" for p in problems))
        object.__setattr__(self, "_schedule", schedule([w for _, w in weights]))
        changes: tuple[VUChange, ...] = ()
        pieces: tuple[RatePiece, ...] = ()
        if isinstance(self.model, ClosedModel):
            totals = total_vu_changes(self.model)
            changes = segment_vu_changes(totals, self.segment, self.duration)
        else:
            pieces = rate_pieces(self.model)
        object.__setattr__(self, "_changes", changes)
        object.__setattr__(self, "_pieces", pieces)
        object.__setattr__(self, "_parts", _parts(self) if extra else (PlanPart(self),))

    # -- groups ------------------------------------------------------------

    @property
    def groups(self) -> tuple[LoadGroup, ...]:
        """Every load group, the first being ``(model, weights)``."""
        return (LoadGroup(self.model, self.weights), *self.extra)

    def parts(self) -> tuple[PlanPart, ...]:
        """One single-group plan per group, in order; ``(self,)`` without ``extra``."""
        return self._parts

    # -- shape -------------------------------------------------------------

    @property
    def duration(self) -> float:
        """Seconds from the start to the end of the last stage (graceful stop not included)."""
        return max(stage_ends(g.model.stages)[-1] for g in self.groups)

    @property
    def breakpoint(self) -> bool:
        """True for a breakpoint test (an open model flagged ``breakpoint``).

        The engine should then stop at the first failed threshold and report
        the arrival rate reached at that moment as the capacity.
        """
        return any(isinstance(g.model, OpenModel) and g.model.breakpoint for g in self.groups)

    def split(self, n: int) -> tuple[Plan, ...]:
        """The ``n`` segments of this unsplit plan, in index order."""
        if not self.segment.whole:
            raise ValueError(f"only an unsplit plan can be split; this is segment {self.segment}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"a plan splits into 1 or more segments, got {n!r}")
        return tuple(dataclasses.replace(self, segment=Segment(i, n)) for i in range(n))

    def unsplit(self) -> Plan:
        """The whole plan this segment belongs to."""
        return self if self.segment.whole else dataclasses.replace(self, segment=Segment())

    # -- closed model ------------------------------------------------------

    def vu_changes(self) -> tuple[VUChange, ...]:
        """When this segment's number of active VUs changes (closed model only).

        The first entry is at 0; times strictly increase; the last entry is at
        :attr:`duration` (it may repeat the previous count: it marks the end).

        The total follows the stages' piecewise-linear target and changes
        exactly when the line reaches an integer, taking that value: it is
        ``floor(target)`` while ramping up and ``ceil(target)`` while ramping
        down, so a ramp of ``n`` VUs over ``d`` seconds changes at ``d·j/n``,
        ``j = 1…n``. Global VU ``k`` is active while the total exceeds ``k``; this
        segment runs those with ``k % count == index``.
        """
        self._closed("vu_changes")
        return self._changes

    def vus_at(self, t: float) -> int:
        """This segment's active VUs at ``t`` seconds (closed model only).

        A change at ``t`` counts at ``t``; after the end, the final count.
        """
        self._closed("vus_at")
        return vus_at(self._changes, t)

    # -- open model --------------------------------------------------------

    def arrivals(self) -> Iterator[tuple[int, float]]:
        """``(global iteration index, intended start in seconds)`` of this segment (open only).

        Lazy, in non-decreasing time order, within ``[0, duration)``. Arrival
        ``i`` is at the last instant at which ``Λ(t) = ∫₀ᵗ r`` reaches its level:
        ``i`` when evenly spaced (the first at 0 when the start rate is
        positive; none while the rate is 0), or ``E₁ + … + E_{i+1}`` with
        ``Eⱼ ~ Exp(1)`` from ``random.Random(seed)`` for Poisson arrivals. The
        segment keeps the arrivals with ``i % count == index``.
        """
        model = self._open("arrivals")
        if model.poisson:
            return poisson_arrivals(self._pieces, self.segment, model.seed)
        return even_arrivals(self._pieces, self.segment)

    def rate_at(self, t: float) -> float:
        """This segment's arrival rate at ``t``: the plan's rate over the segment count.

        Right-continuous at jumps; after the end, the last stage's target.
        With several groups: the sum over the open ones.
        """
        if self.extra:
            opened = [g.model for g in self.groups if isinstance(g.model, OpenModel)]
            if not opened:
                raise TypeError("rate_at() applies to open-model plans; no group is open")
            return sum(rate_at(m, t) for m in opened) / self.segment.count
        return rate_at(self._open("rate_at"), t) / self.segment.count

    def expected_iterations(self) -> float:
        """``Λ(duration)`` over the segment count: iterations this segment is expected to start.

        Evenly spaced plans start ``ceil(Λ(duration))`` iterations in all.
        """
        self._open("expected_iterations")
        return expected_arrivals(self._pieces) / self.segment.count

    def pre_allocated_vus(self) -> int:
        """This segment's share of ``pre_allocated_vus`` (open model only).

        Shares count the global VUs ``k < pre_allocated_vus`` with
        ``k % count == index``, so they sum exactly to the model's figure.
        """
        return self.segment.share(self._open("pre_allocated_vus").pre_allocated_vus)

    # -- both models -------------------------------------------------------

    def max_vus(self) -> int:
        """The most VUs this segment runs at once.

        Closed model: the peak of :meth:`vu_changes`. Open model: this
        segment's share of ``max_vus`` (see :meth:`pre_allocated_vus`).
        Several groups: the sum of their figures (an upper bound, as their
        peaks need not coincide).
        """
        if self.extra:
            return sum(part.plan.max_vus() for part in self._parts)
        if isinstance(self.model, ClosedModel):
            return max(change.active for change in self._changes)
        return self.segment.share(self.model.max_vus)

    def worker_limit(self) -> int:
        """The most segments this unsplit plan should be split into.

        Its peak VUs (a worker without VUs would idle), and no more than any
        open group's ``max_vus``: a segment whose share of the pool is 0
        would drop every arrival it owns.
        """
        limit = self.unsplit().max_vus()
        for group in self.groups:
            if isinstance(group.model, OpenModel):
                limit = min(limit, group.model.max_vus)
        return max(1, limit)

    def vu_global_index(self, local: int) -> int:
        """The global index of this segment's VU number ``local`` (0-based).

        ``index + local·count``: the VUs of a segment are the global ones with
        ``k % count == index``.
        """
        return self.segment.global_index(local)

    def scenario_for(self, global_index: int) -> str:
        """The scenario of global VU ``k`` (closed) or iteration ``i`` (open).

        Deterministic and independent of the segment: a periodic, balanced
        weighted round-robin over the global index, so after any ``m`` indices
        each scenario has run ``m·weight/total`` times, off by less than one.
        """
        self._single("scenario_for")
        if global_index < 0:
            raise ValueError(f"a global index cannot be negative, got {global_index}")
        position = self._schedule[global_index % len(self._schedule)]
        return self.weights[position][0]

    def timeline(self, step: float = 1.0) -> tuple[tuple[float, float], ...]:
        """``(t, value)`` every ``step`` seconds from 0, plus a last point at :attr:`duration`.

        The value is this segment's active VUs (closed) or arrival rate in
        iterations/s (open): data for charts, not for scheduling.
        """
        self._single("timeline")
        if not step > 0:
            raise ValueError(f"a timeline step must be positive, got {step!r}")
        end = self.duration
        times: list[float] = []
        i = 0
        # i·step rather than a running sum, so the samples do not drift.
        while i * step < end:
            times.append(i * step)
            i += 1
        times.append(end)
        if isinstance(self.model, ClosedModel):
            return tuple((t, float(vus_at(self._changes, t))) for t in times)
        return tuple((t, self.rate_at(t)) for t in times)

    def describe(self) -> str:
        """A deterministic multi-line description: stages, totals, scenarios, segment.

        For example::

            closed model: 0 → 10 VUs over 30s, hold 10 VUs for 1m, 10 → 0 VUs over 10s
            peak 10 VUs; duration 1m40s; graceful ramp-down 30s, graceful stop 30s
            scenarios: chat ×3, health ×1
            segment: whole plan
        """
        return describe_plan(self)

    def to_dict(self) -> dict[str, object]:
        """A JSON-able dict, layout in :mod:`agentload.profiles._codec`; see :meth:`from_dict`."""
        return encode_plan(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Plan:
        """The plan :meth:`to_dict` produced; ``ValueError`` when ``data`` is malformed."""
        model, weights, segment, extra = decode_parts(data)
        return cls(model, weights, segment, extra)

    # -- helpers -----------------------------------------------------------

    def _single(self, method: str) -> None:
        if self.extra:
            raise TypeError(f"{method}() applies to one load group; use parts() on this plan")

    def _closed(self, method: str) -> ClosedModel:
        self._single(method)
        if not isinstance(self.model, ClosedModel):
            raise TypeError(f"{method}() applies to closed-model plans; this plan is open")
        return self.model

    def _open(self, method: str) -> OpenModel:
        self._single(method)
        if not isinstance(self.model, OpenModel):
            raise TypeError(f"{method}() applies to open-model plans; this plan is closed")
        return self.model


def compile_plan(model: LoadModel, weights: Sequence[tuple[str, int]]) -> Plan:
    """Compile ``model`` and ``(scenario name, weight)`` pairs into an unsplit plan.

    Raises ``ValueError`` listing every problem of the model (see
    :func:`validate_model`) and of the weights.
    """
    return Plan(model, tuple(weights))


def compile_groups(groups: Sequence[LoadGroup]) -> Plan:
    """Compile load groups running side by side into one unsplit plan.

    One group gives exactly :func:`compile_plan`'s plan. Raises ``ValueError``
    listing every problem (scenario names must be unique across groups).
    """
    if not groups:
        raise ValueError("invalid load plan:\n- no load groups: give at least one")
    first, *rest = groups
    return Plan(first.model, tuple(first.weights), extra=tuple(rest))


def _group_problems(
    weights: tuple[tuple[str, int], ...], extra: tuple[LoadGroup, ...]
) -> list[str]:
    problems: list[str] = []
    seen = {name for name, _ in weights}
    for n, group in enumerate(extra, start=2):
        if not isinstance(group, LoadGroup):
            problems.append(f"load group {n} must be a LoadGroup, got {group!r}")
            continue
        problems += [f"load group {n}: {p}" for p in validate_model(group.model)]
        problems += [f"load group {n}: {p}" for p in weight_problems(group.weights)]
        for name, _ in group.weights:
            if name in seen:
                problems.append(
                    f"load group {n}: scenario {name!r} is in another group too; "
                    "a scenario runs in one group"
                )
            seen.add(name)
    return problems


def _parts(plan: Plan) -> tuple[PlanPart, ...]:
    """Each group as a single-group plan of ``plan``'s segment, with its VU offset."""
    parts: list[PlanPart] = []
    offset = 0
    for group in plan.groups:
        whole = Plan(group.model, tuple(group.weights))
        parts.append(PlanPart(dataclasses.replace(whole, segment=plan.segment), offset))
        offset += whole.max_vus()
    return tuple(parts)
