"""Virtual users: their state machine and the per-VU context a flow runs in.

A VU owns its HTTP connections (one keep-alive pool per VU, as in k6), its
variables (initialised from ``config.variables``, updated by captures, kept
across iterations so a token captured once can be reused) and a random
generator seeded from its global index, so runs are reproducible.

State transitions live here and nowhere else (h11's rule for state machines)::

    IDLE ──start──▶ RUNNING ──ramp-down──▶ STOPPING ──iteration ends──▶ IDLE (reusable)
                       ▲                        │
                       └────ramped up again─────┘
    any state ──the run ends──▶ DONE
"""

from __future__ import annotations

import enum
import random
from collections.abc import Awaitable, Callable, Mapping

from agentload.protocols.http import HttpClient

__all__ = ["VU", "VUState"]


class VUState(enum.Enum):
    """Where a VU is in its life."""

    IDLE = "idle"
    RUNNING = "running"
    STOPPING = "stopping"
    DONE = "done"


_TRANSITIONS: Mapping[VUState, frozenset[VUState]] = {
    VUState.IDLE: frozenset({VUState.RUNNING, VUState.DONE}),
    VUState.RUNNING: frozenset({VUState.STOPPING, VUState.IDLE, VUState.DONE}),
    VUState.STOPPING: frozenset({VUState.RUNNING, VUState.IDLE, VUState.DONE}),
    VUState.DONE: frozenset(),
}


class VU:
    """One virtual user."""

    __slots__ = ("closers", "context", "http", "index", "rng", "state", "variables")

    def __init__(self, index: int, *, http: HttpClient, variables: Mapping[str, object]) -> None:
        self.index = index
        self.http = http
        self.variables: dict[str, object] = dict(variables)
        self.rng = random.Random(index)
        self.state = VUState.IDLE
        self.context: object = None
        """The Python API's per-VU ``ctx`` (engine/context.py), made by its first Python step."""
        self.closers: list[Callable[[], Awaitable[None]]] = []
        """Run by :meth:`close` before the connections close (a Python file's on_stop)."""

    def transition(self, new: VUState) -> None:
        """Move to ``new``; an impossible move is a bug, so it raises ``RuntimeError``."""
        if new is self.state:
            return
        if new not in _TRANSITIONS[self.state]:
            raise RuntimeError(f"VU {self.index}: cannot go from {self.state.value} to {new.value}")
        self.state = new

    async def close(self) -> None:
        """Retire the VU at the end of the run: its closers, then its connections."""
        closers, self.closers = self.closers, []
        for closer in closers:
            await closer()
        await self.http.aclose()

    @property
    def stopping(self) -> bool:
        """True once the VU was asked to stop after its current iteration."""
        return self.state is VUState.STOPPING or self.state is VUState.DONE
