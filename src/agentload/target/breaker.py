"""The reference target's error circuit breaker: a state a monitor can watch.

A classic three-state breaker (closed → open → half-open → closed) driven by
the target's own answers on its API routes (health, metrics and admin are not
counted): it **opens** when, among the last ``window`` answers, at least
``min_calls`` were given and at least ``failure_ratio`` of them were 5xx; it
stays open ``cooldown`` seconds, then goes **half-open**; the next answer
closes it (a success) or opens it again (a 5xx).

The reference target *reports* the state (gauge
``agentload_target_circuit_breaker_state``: 0 closed, 1 half-open, 2 open) and
does not shed load with it, so injected faults (``?fail_rate=``) keep their
exact rates; what a test sees is the moment a real service's breaker would
have tripped, e.g. through ``--monitor-prometheus`` and an alert on it.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable

__all__ = ["BreakerState", "ErrorBreaker"]


class BreakerState(enum.IntEnum):
    """The gauge's values."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class ErrorBreaker:
    """Tracks 5xx answers; see the module docstring for the rule.

    Args:
        window: answers remembered.
        min_calls: answers needed before the breaker may open.
        failure_ratio: share of 5xx among them that opens it.
        cooldown: seconds open before a trial (half-open).
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(
        self,
        *,
        window: int = 20,
        min_calls: int = 10,
        failure_ratio: float = 0.5,
        cooldown: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_calls = min_calls
        self.failure_ratio = failure_ratio
        self.cooldown = cooldown
        self._clock = clock
        self._outcomes: deque[bool] = deque(maxlen=window)
        self._failures = 0
        self._state = BreakerState.CLOSED
        self._opened_at = 0.0
        self.trips = 0
        """Times the breaker opened."""

    @property
    def state(self) -> BreakerState:
        """The current state (an open breaker turns half-open once its cooldown passed)."""
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.cooldown:
            self._state = BreakerState.HALF_OPEN
        return self._state

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self.trips += 1
        self._outcomes.clear()
        self._failures = 0

    def record(self, status: int) -> None:
        """Count one answer with HTTP ``status``."""
        failed = status >= 500
        state = self.state
        if state is BreakerState.HALF_OPEN:
            if failed:
                self._open()
            else:
                self._state = BreakerState.CLOSED
            return
        if state is BreakerState.OPEN:
            return
        if len(self._outcomes) == self._outcomes.maxlen and self._outcomes[0]:
            self._failures -= 1
        self._outcomes.append(failed)
        self._failures += failed
        calls = len(self._outcomes)
        if calls >= self.min_calls and self._failures >= self.failure_ratio * calls:
            self._open()
