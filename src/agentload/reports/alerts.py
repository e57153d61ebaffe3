"""Alert rules evaluated every interval while the run goes, with when they fired and cleared.

A rule's expression uses the threshold grammar but names the *alarming*
condition (``p(95)>500``). Every interval the rule is judged on the last
``window`` seconds of snapshots (an :class:`~agentload.metrics.Aggregate` of
just those intervals, so a counter's ``rate`` is per second over the window).
The condition is *true* when the expression holds on samples; with no samples
it is false (nothing to alarm about). Given the intervals ending at
``t1 < … < tk`` on which it held in a row, it has held for ``tk − t1 +
interval`` seconds; the alert **fires** when that reaches ``for`` and
**clears** at the first interval where the condition is false. State machine
as Prometheus's ``for:`` (inactive → pending → firing).
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentload.metrics import Aggregate, Snapshot
from agentload.thresholds import Threshold, evaluate_one, parse_threshold

__all__ = ["AlertEngine", "AlertEvent", "AlertRule", "AlertState", "AlertStatus"]


class AlertState(enum.StrEnum):
    """Where a rule stands."""

    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A parsed rule (see :class:`agentload.scenario.model.AlertSpec`)."""

    name: str
    threshold: Threshold
    for_s: float = 0.0
    window_s: float = 1.0

    @classmethod
    def parse(
        cls, name: str, metric: str, expression: str, *, for_s: float = 0.0, window_s: float = 1.0
    ) -> AlertRule:
        """Parse ``metric`` and ``expression`` (raises ThresholdSyntaxError)."""
        return cls(name, parse_threshold(metric, expression), for_s, window_s)


@dataclass(slots=True)
class AlertEvent:
    """One firing: when it started, when it cleared (``None``: still firing at the end)."""

    fired_at_s: float
    cleared_at_s: float | None = None
    observed: float | None = None
    """The value when it fired (display units: ms, fraction, per second…)."""
    worst: float | None = None
    """The value furthest past the limit while it fired."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form for summary.json."""
        return {
            "fired_at_s": self.fired_at_s,
            "cleared_at_s": self.cleared_at_s,
            "observed": self.observed,
            "worst": self.worst,
        }


@dataclass(slots=True)
class AlertStatus:
    """The live state of one rule."""

    rule: AlertRule
    state: AlertState = AlertState.INACTIVE
    since_s: float | None = None
    """Start of the first interval of the current run of true evaluations."""
    observed: float | None = None
    message: str = ""
    events: list[AlertEvent] = field(default_factory=list)


def _worse(threshold: Threshold, a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return b if a is None else a
    higher_is_worse = threshold.op.value in (">", ">=")
    return max(a, b) if higher_is_worse else min(a, b)


class AlertEngine:
    """Snapshot sink judging every rule each interval.

    Args:
        rules: the rules, in order.
        notify: called with a line when an alert fires or clears.
    """

    def __init__(
        self, rules: Sequence[AlertRule], *, notify: Callable[[str], None] | None = None
    ) -> None:
        self.statuses = [AlertStatus(rule) for rule in rules]
        self.notify = notify or (lambda _line: None)
        longest = max((r.window_s for r in rules), default=1.0)
        self._recent: deque[Snapshot] = deque(maxlen=max(1, int(longest + 0.999)) + 1)

    @property
    def firing(self) -> list[AlertStatus]:
        """The rules firing now."""
        return [s for s in self.statuses if s.state is AlertState.FIRING]

    def _window(self, metric: str, seconds: float, end: float) -> tuple[Aggregate, float]:
        """The rule's metric over the snapshots in ``(end - seconds, end]``, and their span."""
        agg = Aggregate()
        first: float | None = None
        for snap in self._recent:
            if snap.end <= end - seconds + 1e-6:
                continue
            first = snap.start if first is None else first
            # Only the rule's series: copying every histogram each second would cost
            # the event loop milliseconds in a run with many endpoints.
            mine = {k: d for k, d in snap.series.items() if k.metric == metric}
            if mine:
                agg.add(Snapshot(snap.start, snap.end, mine))
        return agg, (end - first if first is not None else 0.0)

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Judge every rule on the windows ending with ``snapshot``."""
        if not self.statuses:
            return
        self._recent.append(snapshot)
        interval = max(snapshot.end - snapshot.start, 1e-9)
        for status in self.statuses:
            rule = status.rule
            window, span = self._window(rule.threshold.metric, rule.window_s, snapshot.end)
            result = evaluate_one(rule.threshold, window, elapsed=max(span, interval))
            true = result.observed is not None and result.passed
            status.observed = result.observed
            status.message = result.message
            self._advance(status, true, snapshot.start, elapsed, result.observed)

    def _advance(
        self, status: AlertStatus, true: bool, start: float, now: float, observed: float | None
    ) -> None:
        rule = status.rule
        if not true:
            if status.state is AlertState.FIRING:
                status.events[-1].cleared_at_s = now
                self.notify(f"alert {rule.name!r} cleared at {now:.0f}s")
            status.state = AlertState.INACTIVE
            status.since_s = None
            return
        if status.since_s is None:
            status.since_s = start
        if status.state is AlertState.FIRING:
            event = status.events[-1]
            event.worst = _worse(rule.threshold, event.worst, observed)
            return
        if now - status.since_s + 1e-9 >= rule.for_s:
            status.state = AlertState.FIRING
            status.events.append(AlertEvent(now, None, observed, observed))
            self.notify(
                f"alert {rule.name!r} fired at {now:.0f}s: "
                f"{rule.threshold.selector} {status.message}"
            )
        else:
            status.state = AlertState.PENDING

    def summary(self) -> list[dict[str, Any]]:
        """The ``alerts`` section of summary.json."""
        return [
            {
                "name": s.rule.name,
                "metric": s.rule.threshold.selector,
                "expression": s.rule.threshold.source,
                "for_s": s.rule.for_s,
                "window_s": s.rule.window_s,
                "fired": len(s.events),
                "firing_at_end": s.state is AlertState.FIRING,
                "events": [e.to_dict() for e in s.events],
            }
            for s in self.statuses
        ]
