"""The ``agentload`` command line: parses flags, builds options, calls the layers below.

Exit codes (docs/results.md): 0 every threshold passed, 1 a threshold failed,
2 bad input or usage, 3 the run could not complete.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from agentload import __version__
from agentload.cli._errors import report_errors
from agentload.errors import ExitCode

if TYPE_CHECKING:
    from agentload.cli._run import RunOptions

__all__ = ["main"]

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=_CONTEXT)
@click.version_option(__version__, "--version", "-V", prog_name="agentload")
def cli() -> None:
    """Load testing for AI voice and chat agents.

    \b
    Quick start:
      agentload target                 # the bundled reference backend
      agentload run examples/demo.yaml --target http://127.0.0.1:8080
      agentload demo                   # both, in one go
    """


_LOAD_OPTIONS = (
    click.argument("scenario", type=click.Path(path_type=Path)),
    click.option(
        "--target", "-t", help="Base URL of the system under test (overrides config.target)."
    ),
    click.option("--duration", "-d", help="Run for this long, e.g. 30s or 5m (constant loads)."),
    click.option("--vus", "-u", help="Constant number of virtual users (closed model)."),
    click.option("--rate", "-r", help="Constant arrival rate in iterations/s (open model)."),
    click.option("--preset", help="A load preset instead of the file's load, e.g. stress."),
    click.option("--scale", help="Multiply every VU count and rate, e.g. 0.5 (applied last)."),
    click.option(
        "--env",
        "-e",
        "env_pairs",
        multiple=True,
        metavar="KEY=VALUE",
        help="Set ${env.KEY} for the scenario; repeatable.",
    ),
)


def _load_options(fn: Callable[..., None]) -> Callable[..., None]:
    """The scenario argument and the flags that override its load (run and inspect)."""
    for option in reversed(_LOAD_OPTIONS):
        fn = option(fn)
    return fn


def _options(load: dict[str, Any], **more: Any) -> RunOptions:
    """RunOptions from the shared flags (``env_pairs`` parsed) and a command's own."""
    from agentload.cli._run import RunOptions, parse_env_pairs

    pairs = load.pop("env_pairs")
    return RunOptions(env=parse_env_pairs(pairs), **load, **more)


@cli.command(context_settings=_CONTEXT)
@_load_options
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Results directory (default: results/<timestamp>).",
)
@click.option("--quiet", "-q", is_flag=True, help="No live progress line.")
@click.option(
    "--no-preflight",
    is_flag=True,
    help="Do not check that the target accepts connections before starting.",
)
@click.option(
    "--workers",
    "-w",
    default="auto",
    show_default=True,
    metavar="auto|N",
    help="Worker processes sharing the load: auto = one per CPU (at most one per VU); "
    "1 = run in this process.",
)
@click.option(
    "--on-worker-failure",
    type=click.Choice(["abort", "continue"]),
    default="abort",
    show_default=True,
    help="When a worker dies: stop the run (exit 3), or go on with the others (degraded).",
)
def run(
    out: Path | None,
    quiet: bool,
    no_preflight: bool,
    workers: str,
    on_worker_failure: str,
    **load: Any,
) -> None:
    """Run SCENARIO (a YAML file) and write summary.json, timeseries.jsonl and more."""
    from agentload.cli._run import execute_run

    def go() -> int:
        opts = _options(
            load,
            out=out,
            quiet=quiet,
            preflight=not no_preflight,
            workers=workers,
            on_worker_failure=on_worker_failure,
        )
        return execute_run(opts)

    sys.exit(report_errors(go))


@cli.command(context_settings=_CONTEXT)
@_load_options
@click.option(
    "--segments",
    type=click.IntRange(1, 1024),
    default=1,
    show_default=True,
    help="Also show how the plan splits across this many workers.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the compiled plan as JSON.")
def inspect(segments: int, as_json: bool, **load: Any) -> None:
    """Validate SCENARIO and print the compiled load plan, without sending anything."""
    from agentload.cli._inspect import inspect_plan

    sys.exit(
        report_errors(lambda: inspect_plan(_options(load), segments=segments, as_json=as_json))
    )


@cli.command(
    context_settings={
        **_CONTEXT,
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "help_option_names": [],
    }
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def target(args: tuple[str, ...]) -> None:
    """Start the bundled reference agent backend (see `agentload target --help`)."""
    from agentload.target import main as target_main

    sys.exit(target_main(list(args)))


@cli.command(context_settings=_CONTEXT)
@click.argument("scenario", type=click.Path(path_type=Path), default="examples/demo.yaml")
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Results directory (default: results/<timestamp>).",
)
@click.option("--quiet", "-q", is_flag=True, help="No live progress line.")
def demo(scenario: Path, out: Path | None, quiet: bool) -> None:
    """Start the reference target on a free port, run SCENARIO against it, stop it."""
    from agentload.cli._demo import run_demo

    sys.exit(report_errors(lambda: run_demo(scenario, out=out, quiet=quiet)))


@cli.command(context_settings=_CONTEXT)
@click.argument("results_dir", metavar="RESULTS_DIR", type=click.Path(path_type=Path))
def report(results_dir: Path) -> None:
    """Re-render report.html, stats.csv, history.csv and junit.xml from a saved run."""
    from agentload.reports.report_files import write_reports

    def go() -> int:
        for path in write_reports(results_dir):
            click.echo(f"wrote {path}")
        return 0

    sys.exit(report_errors(go))


def main() -> None:
    """Entry point of the ``agentload`` console script."""
    try:
        cli.main(standalone_mode=False)
    except click.UsageError as exc:
        # One line, with what to do, instead of click's usage block.
        cmd = exc.ctx.command_path if exc.ctx else "agentload"
        click.echo(f"error: {exc.format_message()} (see `{cmd} --help`)", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    except click.exceptions.Abort:
        sys.exit(ExitCode.RUN_FAILED)
