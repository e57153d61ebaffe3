"""Data feeders at run time: which row a VU gets, by strategy (docs/scenario-format.md, "Data").

Rows were loaded and checked when the scenario file was read
(:mod:`agentload.scenario.data`); here a :class:`Feeder` only picks. Picking
needs no coordination between worker processes: ``sequential`` keeps one
cursor per VU, ``random`` draws from the VU's seeded generator, and
``unique`` maps the VU's *global* index — unique across workers, because
each worker runs the VUs ``k`` with ``k % workers == its index``
(:mod:`agentload.profiles.segment`) — to a row.
"""

from __future__ import annotations

from agentload.engine.vu import VU
from agentload.scenario.model_flow import AtEnd, DataSource, Strategy

__all__ = ["END", "Feeder"]


class _End:
    """The marker :meth:`Feeder.pick` returns when a ``stop`` feeder ran out."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "END"


END = _End()
"""Returned by :meth:`Feeder.pick` instead of a row once the VU has no row left."""


class Feeder:
    """Picks rows of one :class:`DataSource` for VUs."""

    __slots__ = ("_cursor", "_n", "_rows", "_strategy", "_wrap", "source")

    def __init__(self, source: DataSource) -> None:
        self.source = source
        self._rows = source.rows
        self._n = len(source.rows)
        self._strategy = source.strategy
        self._wrap = source.at_end is AtEnd.WRAP
        # Sequential: the next row of each VU, by VU index (a VU keeps its index for life).
        self._cursor: dict[int, int] = {}

    def pick(self, vu: VU) -> object:
        """The VU's next row, or :data:`END` when a ``stop`` feeder has none left for it."""
        n = self._n
        if self._strategy is Strategy.RANDOM:
            return self._rows[vu.rng.randrange(n)]
        if self._strategy is Strategy.UNIQUE:
            k = vu.index
            if k < n:
                return self._rows[k]
            return self._rows[k % n] if self._wrap else END
        position = self._cursor.get(vu.index, 0)
        if position >= n:
            if not self._wrap:
                return END
            position = 0
        self._cursor[vu.index] = position + 1
        return self._rows[position]
