"""The live view while a run goes: a rich dashboard on a terminal, plain lines in CI logs.

:class:`LiveDashboard` is a snapshot sink; the runner (one process) or the
coordinator (``--workers N``) calls it once per interval. What it shows is
built by :func:`~agentload.reports._live_render.build_view` and drawn by the
pure renderers there. On a terminal it redraws in place (``rich.live``); when
stdout is not a terminal it prints one plain line every ``every`` seconds,
plus a line whenever an alert fires or clears (:meth:`LiveDashboard.say`),
so CI logs stay readable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.console import Console
from rich.live import Live
from rich.text import Text

from agentload.metrics import Aggregate, Snapshot
from agentload.reports._live_render import (
    AlertLine,
    DashboardView,
    GeneratorState,
    build_view,
    render_line,
    render_panel,
)
from agentload.reports.alerts import AlertEngine
from agentload.thresholds import Threshold, evaluate

__all__ = ["LiveDashboard", "LiveProgress"]


class LiveDashboard:
    """Snapshot sink that shows the run live.

    Args:
        console: where to draw.
        planned: the plan's duration in seconds (for the progress bar).
        every: on a non-terminal, print a plain line every this many seconds.
        thresholds: judged on the run so far at every interval (pass/fail live).
        alerts: the run's alert engine, whose states are shown.
        generator: returns the generator's state for the last interval.
        planned_rate: the plan's arrival rate at a time (open model), or ``None``.
        top: how many endpoints (by requests so far) get a row.
    """

    def __init__(
        self,
        console: Console,
        planned: float,
        *,
        every: float = 10.0,
        thresholds: Sequence[Threshold] = (),
        alerts: AlertEngine | None = None,
        generator: Callable[[], GeneratorState] | None = None,
        planned_rate: Callable[[float], float | None] | None = None,
        top: int = 8,
    ) -> None:
        self.console = console
        self.planned = planned
        self.every = every
        self.thresholds = tuple(thresholds)
        self.alerts = alerts
        self.generator = generator
        self.planned_rate = planned_rate
        self.top = top
        self.view: DashboardView | None = None
        self._live: Live | None = None
        self._next_plain = every

    def __enter__(self) -> LiveDashboard:
        if self.console.is_terminal:
            self._live = Live(
                Text("starting…"), console=self.console, auto_refresh=False, transient=True
            )
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def say(self, line: str) -> None:
        """Print an event line (alert fired/cleared) above the dashboard or in the log."""
        self.console.print(line, style="yellow", markup=False, highlight=False)

    def _alert_lines(self) -> tuple[AlertLine, ...]:
        if self.alerts is None:
            return ()
        return tuple(
            AlertLine(s.rule.name, str(s.state), s.message if s.state != "inactive" else "")
            for s in self.alerts.statuses
        )

    def build(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> DashboardView:
        """The view for this interval."""
        return build_view(
            snapshot,
            aggregate,
            elapsed,
            self.planned,
            top=self.top,
            thresholds=evaluate(self.thresholds, aggregate, elapsed=elapsed)
            if self.thresholds
            else (),
            alerts=self._alert_lines(),
            generator=self.generator() if self.generator is not None else None,
            planned_rate=self.planned_rate(elapsed) if self.planned_rate is not None else None,
        )

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Redraw (terminal) or print a line every ``every`` seconds (logs)."""
        if self._live is None and elapsed + 1e-9 < self._next_plain:
            return  # nothing will be shown: skip building the view
        self.view = view = self.build(snapshot, aggregate, elapsed)
        if self._live is not None:
            self._live.update(render_panel(view), refresh=True)
        else:
            self.console.print(render_line(view), highlight=False, markup=False)
            while self._next_plain <= elapsed + 1e-9:
                self._next_plain += self.every


LiveProgress = LiveDashboard
"""The former name (one progress line), kept for callers of the first release."""
