"""Live progress while a run goes: one updating line on a terminal, plain lines in CI logs.

"Current" figures come from the last interval's snapshot (never from diffing
cumulative totals); totals come from the aggregate.
"""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.text import Text

from agentload.metrics import Aggregate, Snapshot

__all__ = ["LiveProgress"]


def _bar(fraction: float, width: int = 20) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


class LiveProgress:
    """Snapshot sink that shows progress.

    Args:
        console: where to draw.
        planned: the plan's duration in seconds (for the progress bar).
        every: on a non-terminal, print a plain line every this many seconds.
    """

    def __init__(self, console: Console, planned: float, *, every: float = 10.0) -> None:
        self.console = console
        self.planned = planned
        self.every = every
        self._live: Live | None = None
        self._next_plain = every

    def __enter__(self) -> LiveProgress:
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

    def line(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> str:
        """The progress line for the interval that just ended."""
        interval = Aggregate()
        interval.add(snapshot)
        span = max(snapshot.end - snapshot.start, 1e-9)
        rps = interval.counter("http_reqs") / span
        hist = interval.trend("http_req_duration")
        p50 = p95 = p99 = "-"
        if hist is not None and hist.count:
            p50, p95, p99 = (f"{hist.percentile(p) / 1000:.1f}" for p in (50.0, 95.0, 99.0))
        vus = aggregate.gauge("vus")
        failed = aggregate.rate("http_req_failed")
        err = f"{failed[0] / failed[1] * 100:.2f}%" if failed and failed[1] else "0.00%"
        total = aggregate.counter("http_reqs")
        planned = self.planned
        frac = elapsed / planned if planned > 0 else 1.0
        return (
            f"{_bar(frac)} {elapsed:5.0f}s/{planned:.0f}s  VUs {int(vus.value) if vus else 0:>4}"
            f"  {rps:8,.0f} req/s  p50 {p50} p95 {p95} p99 {p99} ms"
            f"  errors {err}  total {int(total):,}"
        )

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Redraw the line (terminal) or print it every ``every`` seconds (logs)."""
        if self._live is not None:
            self._live.update(Text(self.line(snapshot, aggregate, elapsed)), refresh=True)
        elif elapsed + 1e-9 >= self._next_plain:
            self.console.print(self.line(snapshot, aggregate, elapsed), highlight=False)
            self._next_plain += self.every
