"""The health check around a run: before the load (a failure stops it) and after it.

``config.health`` / ``--health`` (docs/scenario-format.md#health-checks).
Before: a target that fails the check fails the run with exit 3 and one
line, and no load is sent. After: the result goes to ``run.health`` in
``summary.json`` and to the console; a failed end check fails the verdict
(exit 1), as seed 003's "health check passes at start and end" asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console

from agentload.errors import TargetUnavailable
from agentload.scenario import ScenarioFile

if TYPE_CHECKING:  # http.client and email load only when a check is configured (D21)
    from agentload.engine.health import HealthResult

__all__ = ["check_after", "check_before"]


def check_before(sf: ScenarioFile, console: Console, *, quiet: bool = False) -> HealthResult | None:
    """Probe before the load; raise :class:`TargetUnavailable` when it fails."""
    check = sf.config.health
    if check is None:
        return None
    from agentload.engine.health import probe

    result = probe(check, sf.config.target)
    if not result.ok:
        raise TargetUnavailable(f"health check before the load: {result.line()}; no load was sent")
    if not quiet:
        console.print(f"health before: {result.line()}", highlight=False, markup=False)
    return result


def check_after(
    sf: ScenarioFile, before: HealthResult | None, console: Console
) -> tuple[dict[str, object], bool]:
    """Probe after the load: ``({"health": {before, after}}, failed)``; empty without a check."""
    check = sf.config.health
    if check is None or before is None:
        return {}, False
    from agentload.engine.health import probe

    after = probe(check, sf.config.target)
    style = "green" if after.ok else "red"
    console.print(f"health after: {after.line()}", style=style, highlight=False, markup=False)
    return {"health": {"before": before.to_dict(), "after": after.to_dict()}}, not after.ok
