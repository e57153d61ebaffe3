"""The end-of-test summary on the terminal, rendered from the summary dict.

Golden-tested: ``render_summary(summary, Console(file=StringIO(), width=120))``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentload.reports.formatting import fmt_ms
from agentload.reports.redact import redact

__all__ = ["make_console", "render_summary"]

# CI logs are not terminals; rich would assume 80 columns and fold every table.
_LOG_WIDTH = 150


def make_console(*, stderr: bool = False) -> Console:
    """A console for our output: the terminal's width, or a wide one for logs."""
    probe = Console(stderr=stderr)
    if probe.is_terminal or "COLUMNS" in os.environ:
        return probe
    return Console(stderr=stderr, width=_LOG_WIDTH)


_TREND_COLUMNS = ("min", "med", "avg", "p90", "p95", "p99", "max")


def _ms(value: object) -> str:
    return fmt_ms(value, sep="")


def _num(value: object) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    if isinstance(value, int | float):
        return f"{int(value):,}"
    return "-"


def _metric_line(name: str, m: Mapping[str, Any]) -> str:
    kind = m.get("kind")
    if kind == "trend":
        if not m.get("count"):
            return "count=0"
        unit = m.get("unit", "")
        fmt = _ms if unit == "ms" else (lambda v: f"{v:,.2f}" if isinstance(v, float) else str(v))
        parts = [f"{k}={fmt(m[k])}" for k in ("avg", "min", "med", "max", "p90", "p95", "p99")]
        return " ".join(parts) + f" count={_num(m['count'])}"
    if kind == "counter":
        unit = m.get("unit") or ""
        suffix = f" {unit}" if unit else ""
        return f"{_num(m['count'])}{suffix}  {m['rate']:,.1f}/s"
    if kind == "rate":
        return f"{m['rate'] * 100:.2f}%  ({_num(m['true_count'])} of {_num(m['total'])})"
    return f"value={_num(m.get('value'))} min={_num(m.get('min'))} max={_num(m.get('max'))}"


def render_summary(summary: Mapping[str, Any], console: Console) -> None:
    """Print the summary: run line, per-request table, errors, checks, thresholds, verdict."""
    run = summary["run"]
    stopped = (
        " [yellow](stopped early: " + run["stop_reason"] + ")[/]" if run["stopped_early"] else ""
    )
    console.print(
        f"[bold]agentload[/] {run['agentload_version']} · {redact(run['scenario_file'])} → "
        f"{redact(run['target'])} · {run['duration_s']:.1f}s{stopped}"
    )
    console.print(f"[dim]{run['plan_description']}[/]")

    # No vertical rules: the eleven columns then fit a 120-column terminal.
    table = Table(title="Requests", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  padding=(0, 1), collapse_padding=True)
    table.add_column("request", overflow="fold", min_width=16)
    table.add_column("count", justify="right")
    table.add_column("rps", justify="right")
    for col in _TREND_COLUMNS:
        table.add_column(col, justify="right")
    table.add_column("failed", justify="right")
    table.add_column("status codes", overflow="fold")
    for row in summary["requests"]:
        d = row["duration_ms"]
        failed = row["failed"]
        count = row["count"] or 1
        fail_text = Text(f"{failed / count * 100:.2f}%", style="red" if failed else "green")
        codes = " ".join(f"{k}×{_num(v)}" for k, v in row["status_codes"].items())
        label = redact(row["name"])
        if row["scenario"] not in ("", "default"):
            label = f"{row['scenario']} › {label}"
        table.add_row(
            label,
            _num(row["count"]),
            f"{row['rps']:,.1f}",
            *(_ms(d.get(c)) for c in _TREND_COLUMNS),
            fail_text,
            codes,
        )
    console.print(table)

    width = max((len(n) for n in summary["metrics"]), default=10) + 2
    for name, m in summary["metrics"].items():
        console.print(f"  {name:.<{width}} {_metric_line(name, m)}", highlight=False)

    if summary["errors"]:
        console.print("[bold]Errors by kind[/]")
        for kind, n in summary["errors"].items():
            console.print(f"  [red]{kind}[/]: {_num(n)}")
        # A Python scenario's exceptions, by first line (docs/python-api.md); the top five.
        for row in summary.get("script_errors", [])[:5]:
            console.print(
                f"    {_num(row['count'])}× {row['function']}: {row['message']}",
                highlight=False,
                markup=False,
                emoji=False,  # "s.py:boom:" is not an emoji code
            )

    failing_checks = [c for c in summary["checks"] if c["fails"]]
    if summary["checks"]:
        ok = sum(c["passes"] for c in summary["checks"])
        total = ok + sum(c["fails"] for c in summary["checks"])
        console.print(f"[bold]Checks[/] {ok:,}/{total:,} passed")
        for c in failing_checks:
            console.print(
                f"  [red]✗[/] {redact(c['name'])}: {c['check']} "
                f"— {c['fails']:,} failed of {c['passes'] + c['fails']:,}"
            )

    if summary["thresholds"]:
        console.print("[bold]Thresholds[/]")
        for t in summary["thresholds"]:
            mark = "[green]✓[/]" if t["passed"] else "[red]✗[/]"
            console.print(
                f"  {mark} {t['metric']}: {t['expression']}  [dim]{t['message']}[/]",
                highlight=False,
            )
    capacity = run.get("capacity")
    if capacity:
        console.print(
            f"[bold]Capacity[/] {capacity['rate']:,.1f} it/s — the planned rate at "
            f"{capacity['at_s']:.0f}s, when {capacity['threshold']} first failed",
            highlight=False,
        )
    verdict = summary["verdict"]
    style = "bold green" if verdict == "passed" else "bold red"
    console.print(Text(f"verdict: {verdict} (exit code {summary['exit_code']})", style=style))
