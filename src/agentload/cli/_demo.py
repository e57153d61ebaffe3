"""``agentload demo``: the reference target on a free port, the demo scenario against it."""

from __future__ import annotations

from pathlib import Path

from agentload.cli._run import RunOptions, execute_run
from agentload.errors import UsageError
from agentload.reports.console import make_console
from agentload.target.process import TargetProcess

__all__ = ["run_demo"]


def run_demo(scenario: Path, *, out: Path | None, quiet: bool) -> int:
    """Start the target, run ``scenario`` against it, stop the target; the run's exit code."""
    if not scenario.exists():
        raise UsageError(
            f"{scenario}: no such file; run from the repository root or pass a "
            "scenario path: agentload demo PATH"
        )
    console = make_console()
    with TargetProcess() as target:
        console.print(f"reference target on {target.url}", highlight=False)
        return execute_run(
            RunOptions(scenario=scenario, target=target.url, out=out, quiet=quiet), console
        )
