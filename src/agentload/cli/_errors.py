"""How errors reach the user: one line each, never a traceback, the right exit code."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import TypeVar

import click

from agentload.cli._startup import imports_done
from agentload.errors import AgentloadError, ExitCode, ScenarioError, ThresholdSyntaxError

__all__ = ["report_errors"]

T = TypeVar("T")


def _say(line: str) -> None:
    click.echo(line, err=True)


def report_errors(fn: Callable[[], T]) -> T:
    """Run ``fn``; turn our errors into lines on stderr and exit with their code.

    Every command's work goes through here, after its imports: the collector
    paused for start-up resumes (cli/_startup.py).
    """
    imports_done()
    try:
        return fn()
    except ScenarioError as exc:
        for issue in exc.issues:
            _say(f"error: {issue}")
        if len(exc.issues) > 1:
            _say(f"{len(exc.issues)} problems found; nothing was sent to the target.")
        sys.exit(ExitCode.BAD_INPUT)
    except ThresholdSyntaxError as exc:
        _say(f"error: threshold {exc.expression!r}: {exc} (at column {exc.column})")
        sys.exit(ExitCode.BAD_INPUT)
    except AgentloadError as exc:
        _say(f"error: {exc}")
        sys.exit(exc.exit_code)
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
        raise
    except KeyboardInterrupt:
        _say("interrupted")
        sys.exit(ExitCode.RUN_FAILED)
    except Exception as exc:  # an internal failure: say so plainly, keep details on request
        if os.environ.get("AGENTLOAD_DEBUG"):
            traceback.print_exc()
        _say(
            f"internal error: {type(exc).__name__}: {exc} "
            "(set AGENTLOAD_DEBUG=1 for the traceback, and please report it)"
        )
        sys.exit(ExitCode.RUN_FAILED)
