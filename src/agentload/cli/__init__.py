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
from agentload.cli._observe_flags import observe_flags
from agentload.cli._startup import imports_done, lean_process
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
    click.option("--profile", help="Use this named load of the file's profiles: section."),
    click.option("--only", help="Run only these scenarios of the file (comma-separated)."),
    click.option(
        "--health",
        metavar="URL|off",
        help="Health check before the load (must answer 200, else exit 3) and after it; "
        "overrides config.health.",
    ),
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
@click.argument("more", nargs=-1, type=click.Path(path_type=Path))  # a suite (cli/_suite.py)
@click.option(
    "--scenarios",
    multiple=True,
    metavar="NAMES",
    help="Run a suite: one run per name (a profile, preset or scenario of the file), "
    "e.g. --scenarios smoke,average,stress.",
)
@click.option(
    "--out",
    "-o",
    "out_values",
    multiple=True,
    metavar="DIR|influxdb=URL|json=FILE",
    help="Results directory (default: results/<timestamp>); influxdb=http://HOST:8086/DB "
    "also streams each second to InfluxDB, json=FILE to a file of JSON lines. Repeatable.",
)
@click.option("--quiet", "-q", is_flag=True, help="No live dashboard.")
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
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="Compare with this earlier run's results directory; a regression fails the run (1).",
)
@click.option(
    "--max-regression",
    default="10%",
    show_default=True,
    help="With --baseline: allowed growth of a p95 or the error rate.",
)
@click.option(
    "--failure-samples",
    type=click.IntRange(0, 1000),
    default=5,
    show_default=True,
    help="Failing request/response pairs kept per error kind (failures.jsonl, report).",
)
@click.option(
    "--cluster",
    default=None,
    metavar="tcp://HOST:PORT|local:N",
    help="Run the workers on a Dask cluster (needs agentload[dask]): a scheduler's address, "
    "or local:N to start a local one; --workers auto then means one per Dask thread.",
)
@observe_flags
def run(
    more: tuple[Path, ...],
    scenarios: tuple[str, ...],
    out_values: tuple[str, ...],
    observe: dict[str, Any],
    quiet: bool,
    no_preflight: bool,
    workers: str,
    on_worker_failure: str,
    cluster: str | None,
    baseline: Path | None,
    max_regression: str,
    failure_samples: int,
    **load: Any,
) -> None:
    """Run SCENARIO (a YAML file) and write summary.json, timeseries.jsonl and more.

    Several files, --scenarios or a suite file run a suite (cli/_suite.py).
    """
    from agentload.cli._observe import ObserveOptions, split_out
    from agentload.cli._suite import execute_cli_run

    def go() -> int:
        out, outputs = split_out(out_values)
        opts = _options(
            load,
            out=out,
            observe=ObserveOptions(**observe, outputs=outputs),
            quiet=quiet,
            preflight=not no_preflight,
            workers=workers,
            on_worker_failure=on_worker_failure,
            cluster=cluster,
            baseline=baseline,
            max_regression=max_regression,
            failure_samples=failure_samples,
        )
        return execute_cli_run(opts, more, scenarios)

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

    imports_done()  # a long-lived server: collect as always
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


@cli.command(context_settings=_CONTEXT)
@click.argument("base", metavar="BASE", type=click.Path(path_type=Path))
@click.argument("new", metavar="NEW", type=click.Path(path_type=Path))
@click.option("--max-regression", default="10%", show_default=True,
              help="Allowed growth of a p95 or the error rate, e.g. 10%.")
@click.option("--min-delta-ms", type=float, default=None,
              help="A p95 must also grow by this many ms to count [default: 1].")
@click.option("--html", type=click.Path(path_type=Path),
              help="Where to write the HTML diff (default: NEW/compare.html).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(base: Path, new: Path, max_regression: str, min_delta_ms: float | None,
            html: Path | None, as_json: bool) -> None:
    """Compare two results directories: exit 0 no regression, 1 regression, 2 bad input."""
    from agentload.cli._compare import compare_options, execute_compare
    from agentload.reports.console import make_console

    sys.exit(report_errors(lambda: execute_compare(
        base, new, compare_options(max_regression, min_delta_ms), make_console(),
        html=html, as_json=as_json)))


@cli.command(name="init", context_settings=_CONTEXT)
@click.argument(
    "kind", type=click.Choice(["http", "chat", "llm", "voice-twilio", "voice-realtime"])
)
@click.option(
    "--dir", "directory", type=click.Path(path_type=Path), default=Path(), show_default=True
)
@click.option("--name", help="File name to write (default: KIND.yaml).")
def init_cmd(kind: str, directory: Path, name: str | None) -> None:
    """Write a commented, runnable scenario for KIND (never overwrites a file)."""
    from agentload.cli._init import init_scenario

    sys.exit(report_errors(lambda: (init_scenario(kind, directory, name=name), 0)[1]))


def main() -> None:
    """Entry point of the ``agentload`` console script."""
    try:
        with lean_process():  # start-up and exit cost (cli/_startup.py, D21)
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
