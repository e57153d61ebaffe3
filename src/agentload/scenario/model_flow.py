"""Control-flow steps and data feeders: loops, conditions, polling, choices, once, pacing.

Frozen data built by the YAML reader (:mod:`agentload.scenario._control`,
:mod:`agentload.scenario.data`) and compiled by :mod:`agentload.engine.flow`.
Nested steps are :data:`~agentload.scenario.model.Step` values, so any step —
a request, an LLM call, another loop — may sit inside a loop or a branch.
The YAML format is in docs/scenario-format.md ("Control flow", "Data feeders").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentload.scenario.parts import Check, JsonValue, Template

if TYPE_CHECKING:
    from agentload.scenario.model import RequestStep, Step

__all__ = [
    "AtEnd",
    "ChooseStep",
    "CondOp",
    "Condition",
    "DataSource",
    "DataStep",
    "IfStep",
    "LoopStep",
    "OnceStep",
    "PaceStep",
    "PollStep",
    "Strategy",
]


class Strategy(enum.StrEnum):
    """How a VU picks rows from a data feeder."""

    SEQUENTIAL = "sequential"
    """Each VU walks the rows in file order, one row per iteration, from the first."""
    RANDOM = "random"
    """Each iteration takes a row drawn uniformly (the VU's own seeded generator)."""
    UNIQUE = "unique"
    """VU number ``k`` (its global index, unique across workers) gets row ``k`` for life."""


class AtEnd(enum.StrEnum):
    """What happens when a VU needs a row past the last one."""

    WRAP = "wrap"
    """Start again at the first row (``unique``: row ``k mod rows``)."""
    STOP = "stop"
    """The VU stops cleanly: its iteration ends there and it runs no more iterations."""


@dataclass(frozen=True, slots=True)
class DataSource:
    """A data feeder: rows loaded once, when the scenario file is read.

    A row is a mapping of field names to values (CSV, JSONL, JSON objects)
    or a single value (an inline list of strings). ``prefix`` is the variable
    the row is stored under (``${prefix}``, ``${prefix.field}``); with
    ``top_level`` the fields are also variables of their own (``${field}``).
    Rows must not be mutated.
    """

    name: str
    rows: tuple[object, ...]
    strategy: Strategy = Strategy.SEQUENTIAL
    at_end: AtEnd = AtEnd.WRAP
    prefix: str = ""
    top_level: bool = False
    origin: str = ""
    """Where the rows come from, for messages: the file path, or ``inline``."""
    line: int = 0

    @property
    def variable(self) -> str:
        """The variable a picked row is stored under."""
        return self.prefix or self.name

    def fields(self) -> tuple[str, ...]:
        """Field names of the first row (all rows of a file have the same ones)."""
        first = self.rows[0] if self.rows else None
        return tuple(first) if isinstance(first, Mapping) else ()


@dataclass(frozen=True, slots=True)
class DataStep:
    """Pick this iteration's rows from ``sources`` (the loader puts it first in a flow)."""

    sources: tuple[DataSource, ...]
    line: int = 0

    @property
    def name(self) -> str:
        """A label for listings (``agentload inspect``)."""
        return "data: " + ", ".join(
            f"{s.name} ({s.strategy}, {len(s.rows)} rows)" for s in self.sources
        )


@dataclass(frozen=True, slots=True)
class LoopStep:
    """Run ``steps`` several times.

    Exactly one of ``count`` (a number of rounds), ``items`` (a list written
    in the file, whose strings may be templates), ``source`` (a ``${var}``
    holding a list at run time) or ``data`` (every row of a data feeder) is
    set. ``var`` receives the item (or the 0-based round number of a count
    loop); ``pacing`` makes each round last at least that many seconds.
    """

    steps: tuple[Step, ...]
    count: int | None = None
    items: tuple[JsonValue, ...] | None = None
    source: Template | None = None
    data: DataSource | None = None
    var: str | None = None
    pacing: float | None = None
    line: int = 0

    @property
    def name(self) -> str:
        """A label for listings (``agentload inspect``)."""
        if self.count is not None:
            what = f"{self.count} times"
        elif self.items is not None:
            what = f"over {len(self.items)} items"
        elif self.data is not None:
            what = f"over data {self.data.name} ({len(self.data.rows)} rows)"
        else:
            what = f"over {self.source.source if self.source else '?'}"
        return f"loop {what}: {_count(self.steps)}"


class CondOp(enum.StrEnum):
    """How a condition compares a variable."""

    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    MATCHES = "matches"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"


@dataclass(frozen=True, slots=True)
class Condition:
    """``var`` compared with ``value`` by ``op`` (``value`` is ``None`` for exists)."""

    var: str
    op: CondOp
    value: object = None


@dataclass(frozen=True, slots=True)
class IfStep:
    """Run ``then`` when every condition holds, else ``otherwise``."""

    conditions: tuple[Condition, ...]
    then: tuple[Step, ...]
    otherwise: tuple[Step, ...] = ()
    line: int = 0

    @property
    def name(self) -> str:
        """A label for listings (``agentload inspect``)."""
        tests = " and ".join(f"{c.var} {c.op}" for c in self.conditions)
        return f"if {tests}: {_count(self.then)}, else {_count(self.otherwise)}"


@dataclass(frozen=True, slots=True)
class PollStep:
    """Send ``request`` every ``interval`` seconds until ``until`` holds or ``timeout`` passes.

    ``until`` are response checks (all must pass); ``fail_if`` ends the poll
    at once as failed when all of its checks pass (a job that reports
    ``failed``). ``name`` tags ``poll_duration`` and the ``poll_timeout``
    errors (docs/metrics.md, "Control flow").
    """

    name: str
    request: RequestStep
    until: tuple[Check, ...]
    interval: float
    timeout: float
    fail_if: tuple[Check, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class ChooseStep:
    """Run one of ``branches``, drawn by weight with the VU's generator."""

    branches: tuple[tuple[int, tuple[Step, ...]], ...]
    line: int = 0

    @property
    def name(self) -> str:
        """A label for listings (``agentload inspect``)."""
        weights = ", ".join(str(w) for w, _ in self.branches)
        return f"choose one of {len(self.branches)} branches (weights {weights})"


@dataclass(frozen=True, slots=True)
class OnceStep:
    """Run ``steps`` in a VU's first iteration only (a login whose token the VU keeps).

    Until they succeed: a first iteration whose once-steps fail tries them
    again in the next iteration.
    """

    steps: tuple[Step, ...]
    line: int = 0

    @property
    def name(self) -> str:
        """A label for listings (``agentload inspect``)."""
        return f"once per VU: {_count(self.steps)}"


@dataclass(frozen=True, slots=True)
class PaceStep:
    """Run ``steps``, then wait until ``seconds`` have passed since they started.

    With ``seconds`` 0 it is just a block: how the loader groups a scenario's
    data pick and ``on_start`` with its flow.
    """

    seconds: float
    steps: tuple[Step, ...]
    line: int = 0

    @property
    def name(self) -> str:
        """A label for listings (``agentload inspect``)."""
        if not self.seconds:
            return "; ".join(getattr(s, "name", "think") for s in self.steps)
        return f"paced to at least {self.seconds:g}s: {_count(self.steps)}"


def _count(steps: tuple[Step, ...]) -> str:
    return f"{len(steps)} step" + ("" if len(steps) == 1 else "s")
