"""``agentload inspect``: validate a scenario and show its compiled plan."""

from __future__ import annotations

import orjson
from rich.console import Console

from agentload.cli._run import RunOptions, prepare
from agentload.cli._suite import inspect_suite, plan_suite
from agentload.profiles import render_chart
from agentload.reports.redact import redact

__all__ = ["inspect_plan"]


def inspect_plan(
    opts: RunOptions, *, segments: int, as_json: bool, console: Console | None = None
) -> int:
    """Print the plan (text or JSON) and, with ``segments`` > 1, each worker's share."""
    console = console or Console()
    runs = plan_suite(opts, (), ())  # a suite file: each run's plan (cli/_suite.py)
    if runs is not None:
        return inspect_suite(runs, console, as_json=as_json)
    sf, plan, thresholds = prepare(opts)
    if as_json:
        doc = {
            "plan": plan.to_dict(),
            "segments": [p.to_dict() for p in plan.split(segments)] if segments > 1 else [],
        }
        console.print_json(orjson.dumps(doc).decode())
        return 0
    console.print(f"[bold]{redact(str(opts.scenario))}[/] → {redact(sf.config.target)}")
    console.print(plan.describe(), highlight=False)
    if sf.config.health is not None:  # config.health / --health (docs: Health checks)
        h = sf.config.health
        console.print(
            f"health: GET {redact(h.url)} expects {h.status}, before and after the load",
            highlight=False,
        )
    # Narrow terminals get a narrower chart: a wrapped chart is unreadable.
    chart_width = max(10, min(60, console.width - 14))
    console.print(render_chart(plan, width=chart_width), highlight=False, markup=False)
    console.print("[bold]Scenarios[/]")
    for s in sf.scenarios:
        share = "its own load" if s.load is not None else f"weight {s.weight}"
        console.print(f"  {s.name} ({share}): {len(s.steps)} steps", highlight=False)
        for step in s.steps:
            label = getattr(step, "name", None) or "think"
            console.print(f"    - {redact(label)}", highlight=False)
    if thresholds:
        console.print("[bold]Thresholds[/]")
        for t in thresholds:
            abort = " (abort on fail)" if t.abort_on_fail else ""
            console.print(f"  {t.selector}: {t.source}{abort}", highlight=False)
    if segments > 1:
        console.print(f"[bold]Split across {segments} workers[/]")
        for part in plan.split(segments):
            console.print(part.describe(), highlight=False)
    return 0
