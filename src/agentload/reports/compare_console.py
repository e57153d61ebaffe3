"""A comparison on the terminal: two rich tables and the verdict, from a :class:`Comparison`."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentload.reports.compare import Comparison, RateRow, TrendRow, Verdict
from agentload.reports.formatting import fmt_ms, fmt_pct, fmt_rate

__all__ = ["render_comparison", "verdict_style"]

_STYLES = {
    Verdict.REGRESSED: "bold red",
    Verdict.IMPROVED: "green",
    Verdict.UNCHANGED: "",
    Verdict.NOT_JUDGED: "dim",
}


def verdict_style(verdict: Verdict) -> str:
    """The rich style of a verdict cell."""
    return _STYLES[verdict]


def _change(change: float | None) -> str:
    return "" if change is None else f" {change * 100:+.0f}%"


def _ci(row: TrendRow) -> str:
    if row.ci is None:
        return "–"
    return f"{(row.ci[0] - 1) * 100:+.0f}%..{(row.ci[1] - 1) * 100:+.0f}%"


def _where(endpoint: str, method: str) -> str:
    return f"{method} {endpoint}" if method else endpoint


def _pct(change: float | None) -> str:
    return "–" if change is None else f"{change * 100:+.0f}%"


def _latency_table(rows: tuple[TrendRow, ...]) -> Table:
    # p95 in full (it is judged); p50/p99/avg as changes, to fit a terminal.
    table = Table(title="Latency (base → new)", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("endpoint", overflow="fold", min_width=12, max_width=36)
    table.add_column("metric", overflow="fold", min_width=8)
    table.add_column("p95", justify="right", no_wrap=True)
    table.add_column("Δp95", justify="right", no_wrap=True)
    table.add_column("95% CI", justify="right", no_wrap=True)
    for stat in ("Δp50", "Δp99", "Δavg"):
        table.add_column(stat, justify="right", no_wrap=True)
    table.add_column("verdict", overflow="fold", min_width=9)
    for r in rows:
        verdict = Text(r.verdict.value, style=verdict_style(r.verdict))
        if r.verdict is Verdict.NOT_JUDGED:
            verdict.append(f" ({r.reason})", style="dim")
        table.add_row(
            _where(r.endpoint, r.method),
            r.metric,
            f"{fmt_ms(r.base.get('p95'), '')}→{fmt_ms(r.new.get('p95'), '')}",
            _pct(r.change("p95")),
            _ci(r),
            *(_pct(r.change(s)) for s in ("p50", "p99", "avg")),
            verdict,
        )
    return table


def _rate(value: float | None) -> str:
    return fmt_pct(value) if value is not None else "–"


def _requests_table(rows: tuple[RateRow, ...]) -> Table:
    table = Table(
        title="Requests and errors (base → new)", box=box.SIMPLE_HEAD, title_justify="left"
    )
    table.add_column("endpoint", overflow="fold", max_width=36)
    table.add_column("requests", justify="right", no_wrap=True)
    table.add_column("req/s", justify="right", no_wrap=True)
    table.add_column("error rate", justify="right", no_wrap=True)
    table.add_column("Δ 95% CI", justify="right", no_wrap=True)
    table.add_column("verdict")
    for r in rows:
        rps_change = r.new_rps / r.base_rps - 1 if r.base_rps > 0 else None
        ci = "–" if r.ci is None else f"{r.ci[0] * 100:+.2f}..{r.ci[1] * 100:+.2f} pt"
        verdict = Text(r.verdict.value, style=verdict_style(r.verdict))
        if r.verdict is Verdict.NOT_JUDGED:
            verdict.append(f" ({r.reason})", style="dim")
        table.add_row(
            _where(r.endpoint, r.method),
            f"{r.base_count:,} → {r.new_count:,}",
            f"{fmt_rate(r.base_rps)} → {fmt_rate(r.new_rps)}{_change(rps_change)}",
            f"{_rate(r.base_error_rate)} → {_rate(r.new_error_rate)}",
            ci,
            verdict,
        )
    return table


def render_comparison(comparison: Comparison, console: Console) -> None:
    """Print both tables, the notes and the verdict."""
    c = comparison
    console.print(f"base: {c.base_path}\nnew:  {c.new_path}", highlight=False, markup=False)
    if c.trends:
        console.print(_latency_table(c.trends))
    if c.rates:
        console.print(_requests_table(c.rates))
    for note in c.notes:
        console.print(f"note: {note}", style="yellow", highlight=False, markup=False)
    bound = f"{c.options.max_regression * 100:g}%"
    if c.regressed:
        console.print(f"REGRESSION beyond {bound}:", style="bold red", highlight=False)
        for line in c.regressions:
            console.print(f"  ✗ {line}", style="red", highlight=False, markup=False)
    else:
        judged = c.judged
        console.print(
            f"no regression beyond {bound} ({judged} statistics judged, noise-aware: "
            f"{c.options.confidence * 100:g}% block-bootstrap intervals)",
            style="bold green",
            highlight=False,
        )
