"""``agentload run``: load a scenario, compile the plan, run it, write the results.

This module is the composition root: it wires the scenario loader, the plan,
the engine and the reports together, and nothing below it knows about flags.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

try:
    import uvloop
except ImportError:  # pragma: no cover - Windows
    uvloop = None  # type: ignore[assignment]

from agentload import __version__
from agentload.cli._health import check_after, check_before
from agentload.cli._observe import ObserveOptions, Observers, print_notes
from agentload.engine.runner import Runner, RunResult, SnapshotSink
from agentload.errors import ExitCode, TargetUnavailable, UsageError
from agentload.metrics import BUILTIN_METRICS
from agentload.profiles import Plan, compile_groups
from agentload.protocols.http import parse_url
from agentload.reports.console import make_console, render_summary
from agentload.reports.report_files import write_reports
from agentload.reports.results_dir import ResultsDir, default_results_path
from agentload.reports.saved import ResultsError
from agentload.reports.summary import RunInfo, build_summary
from agentload.scenario import ScenarioFile, load_scenario
from agentload.scenario._user_types import load_groups
from agentload.scenario.python import (
    declared_metrics,
    load_python_scenario,
    python_hooks,
    setup_overrides,
)
from agentload.thresholds import Threshold, parse_threshold

# Imported where used, not here: every run would pay for them (D21). Multi-process
# and Dask runs (agentload.distributed), --baseline (cli/_compare.py) and a Python
# file's setup/teardown (engine/_python_run.py) are the only paths that need them.
if TYPE_CHECKING:
    from agentload.distributed import DaskExecutor, DistributedResult, Executor

__all__ = ["RunOptions", "execute_run", "parse_env_pairs", "prepare"]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything ``agentload run`` was asked for, after flag parsing."""

    scenario: Path
    target: str | None = None
    out: Path | None = None
    duration: str | None = None
    vus: str | None = None
    rate: str | None = None
    preset: str | None = None
    scale: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    quiet: bool = False
    preflight: bool = True
    workers: str = "auto"
    """``auto`` (one per usable CPU, at most one per VU) or a count; 1 runs in this process."""
    on_worker_failure: str = "abort"
    """``abort`` (exit 3) or ``continue`` (a degraded run) when a worker dies."""
    cluster: str | None = None
    """A Dask scheduler address or ``local:N``: workers run there (docs/distributed.md)."""
    baseline: Path | None = None
    """``--baseline DIR``: compare with that run at the end (cli/_compare.py)."""
    max_regression: str = "10%"
    failure_samples: int = 5
    """Failing request/response pairs kept per error kind (failures.jsonl)."""
    profile: str | None = None
    """``--profile NAME``: a named load of the file's ``profiles:`` (cli/_suite.py)."""
    only: str | None = None
    """``--only a,b``: run only these scenarios of the file."""
    health: str | None = None
    """``--health URL|off``: the health check before and after the load (cli/_health.py)."""
    observe: ObserveOptions = field(default_factory=ObserveOptions)
    """Live outputs, monitoring (cli/_observe.py); ``quiet`` there mirrors ``quiet``."""


def parse_env_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` flags into a mapping; a malformed pair is a usage error."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"-e expects KEY=VALUE, got {pair!r}; e.g. -e API_TOKEN=abc")
        out[key] = value
    return out


def prepare(opts: RunOptions) -> tuple[ScenarioFile, Plan, tuple[Threshold, ...]]:
    """Load and validate everything; raises InputError subclasses for bad input."""
    if not opts.scenario.exists():
        raise UsageError(f"{opts.scenario}: no such scenario file; check the path")
    env, overrides = _loader_inputs(opts)
    if opts.scenario.suffix == ".py":  # a Python scenario (docs/python-api.md)
        sf = load_python_scenario(opts.scenario, env=env, overrides=overrides)
    else:
        sf = load_scenario(opts.scenario, env=env, overrides=overrides)
    plan = compile_groups(load_groups(sf.load, sf.scenarios))  # user types: _user_types.py
    known = {**BUILTIN_METRICS, **declared_metrics(sf)}  # + a Python file's custom metrics
    thresholds = tuple(
        _with_abort(
            parse_threshold(t.metric, t.expression, metrics=known),
            t.abort_on_fail,
            t.delay_abort_eval,
        )
        for t in sf.thresholds
    )
    return sf, plan, thresholds


def _loader_inputs(opts: RunOptions) -> tuple[dict[str, str], dict[str, str]]:
    """The environment and overrides the scenario is loaded with (workers load it the same)."""
    overrides = {
        k: v
        for k, v in (
            ("target", opts.target),
            ("duration", opts.duration),
            ("vus", opts.vus),
            ("rate", opts.rate),
            ("preset", opts.preset),
            ("scale", opts.scale),
            ("profile", opts.profile),
            ("only", opts.only),
            ("health", opts.health),
        )
        if v is not None
    }
    return {**os.environ, **opts.env}, overrides


def _with_abort(t: Threshold, abort: bool, delay: float) -> Threshold:
    return replace(t, abort_on_fail=abort, delay_abort_eval=delay)


def _preflight(target: str, timeout: float = 5.0) -> None:
    """Fail clearly, before any load, when the target does not accept connections."""
    origin, _ = parse_url(target)
    try:
        with socket.create_connection((origin.host, origin.port), timeout=timeout):
            pass
    except OSError as exc:
        raise TargetUnavailable(
            f"target {origin.host}:{origin.port} is not reachable ({exc.strerror or exc}); "
            "no load was sent — is it running? (start the reference one with `agentload target`)"
        ) from None


def _new_loop() -> asyncio.AbstractEventLoop:
    # uvloop is a dependency wherever it exists (not on Windows).
    return uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()


async def _run_with_signals(runner: Runner, console: Console) -> RunResult:
    loop = asyncio.get_running_loop()

    def on_signal(signame: str) -> None:
        first = runner._stop_requests == 0
        runner.stop()
        if first:
            console.print(
                f"\n[yellow]{signame}: stopping gracefully; send it again to stop at once[/]"
            )

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig.name)
    try:
        return await runner.run()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def unwritable_results(out: Path | None, exc: OSError) -> UsageError:
    """The bad-input error for a results directory that cannot be created or written."""
    where = f"--out {out}" if out else "results/ (the default --out)"
    return UsageError(
        f"{where}: cannot write the results there ({exc.strerror or exc}); "
        "give a directory that can be created or written"
    )


def _extra(result: RunResult) -> dict[str, object]:
    """Run facts beyond the common ones: the capacity a breakpoint test found."""
    if result.capacity is None:
        return {}
    cap = result.capacity
    return {"capacity": {"rate": cap.rate, "at_s": cap.at_s, "threshold": cap.threshold}}


def _worker_count(
    opts: RunOptions, plan: Plan, console: Console, cluster: DaskExecutor | None = None
) -> int:
    """``--workers`` as a count: ``auto`` is one per CPU this process may use (or Dask thread)."""
    text = opts.workers.strip().lower()
    if text == "auto" and cluster is not None:
        wanted = cluster.connect()
    elif text == "auto":
        wanted = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        wanted = wanted or os.cpu_count() or 1
    else:
        wanted = int(text) if text.isascii() and text.isdigit() else 0
        if wanted < 1:
            raise UsageError(f"--workers expects auto or a count ≥ 1, got {opts.workers!r}")
    # A worker without VUs would idle (closed model) or drop every arrival (open model).
    count = max(1, min(wanted, plan.worker_limit()))
    if count < wanted and text != "auto":
        console.print(f"note: {count} workers, not {wanted}: the plan has {plan.max_vus()} VUs")
    return count


def _run_on_workers(
    opts: RunOptions,
    sf: ScenarioFile,
    plan: Plan,
    thresholds: tuple[Threshold, ...],
    sinks: list[SnapshotSink],
    count: int,
    console: Console,
    executor: Executor,
) -> DistributedResult:
    from agentload.distributed import (
        FailurePolicy,
        ScenarioSource,
        WorkerJob,
        run_workers,
        scenario_fingerprint,
    )

    env, overrides = _loader_inputs(opts)
    overrides.update(setup_overrides(sf))  # setup's result, for every worker (python.py)
    job = WorkerJob(
        ScenarioSource.read(opts.scenario, env=env, overrides=overrides),
        scenario_fingerprint(sf),
        plan,
        count,
        failure_samples=opts.failure_samples,
    )
    return run_workers(
        job,
        executor,
        thresholds=thresholds,
        sinks=sinks,
        on_failure=FailurePolicy(opts.on_worker_failure),
        notify=lambda line: console.print(line, style="yellow", markup=False, highlight=False),
    )


def _in_process(result: RunResult) -> dict[str, object]:
    """``run.workers`` of a run in this process."""
    from agentload.distributed import single_process_section

    return single_process_section(result, os.getpid())


def _run_here(runner: Runner, console: Console) -> RunResult:
    with asyncio.Runner(loop_factory=_new_loop) as arunner:
        return arunner.run(_run_with_signals(runner, console))


def execute_run(opts: RunOptions, console: Console | None = None) -> int:
    """Run a scenario end to end; returns the exit code. Results are always written."""
    console = console or make_console()
    sf, plan, thresholds = prepare(opts)
    opts.observe.check()  # bad monitoring/output flags: exit 2 before any load
    if opts.baseline is not None:  # bad baseline or bound: exit 2 before any load
        from agentload.cli._compare import check_baseline_dir, compare_options

        compare_options(opts.max_regression)
        check_baseline_dir(opts.baseline)
    cluster = None
    if opts.cluster:
        from agentload.distributed import DaskExecutor, parse_cluster

        cluster = DaskExecutor(parse_cluster(opts.cluster))
    try:
        return _execute(opts, console, sf, plan, thresholds, cluster)
    finally:
        if cluster is not None:
            cluster.close(0)


def _execute(
    opts: RunOptions,
    console: Console,
    sf: ScenarioFile,
    plan: Plan,
    thresholds: tuple[Threshold, ...],
    cluster: DaskExecutor | None,
) -> int:
    workers = _worker_count(opts, plan, console, cluster)
    if opts.preflight:
        _preflight(sf.config.target)
    health_before = check_before(sf, console, quiet=opts.quiet)
    hooks = python_hooks(sf)  # a Python file's setup, once, here (engine/_python_run.py)
    if hooks is not None:
        from agentload.engine._python_run import run_setup

        sf = run_setup(sf)[0]
    try:
        out = opts.out or default_results_path()
        results = ResultsDir(out, failure_samples=opts.failure_samples)
    except OSError as exc:
        raise unwritable_results(opts.out, exc) from None
    results.write_json("plan.json", plan.to_dict())
    observers = Observers(
        replace(opts.observe, quiet=opts.quiet), sf, plan, thresholds, console, [results]
    )
    sinks: list[SnapshotSink] = observers.sinks
    runner = Runner(
        sf, plan, thresholds=thresholds, sinks=sinks, failure_samples=opts.failure_samples
    )
    try:
        with observers:
            dist = None
            if workers > 1 or cluster is not None:
                from agentload.distributed import LocalProcessExecutor

                executor: Executor = cluster or LocalProcessExecutor()
                dist = _run_on_workers(
                    opts, sf, plan, thresholds, sinks, workers, console, executor
                )
            result = dist.run if dist is not None else _run_here(runner, console)
    finally:
        results.close()
    code = ExitCode.OK if result.passed else ExitCode.THRESHOLD_FAILED
    if dist is not None and dist.failed:
        console.print(
            f"{len(dist.failed)} of {workers} workers failed (run.workers in summary.json)",
            style="yellow",
        )
        # Continuing without a worker is a choice (a degraded run); losing them all is not.
        if not dist.degraded or len(dist.failed) == workers:
            code = ExitCode.RUN_FAILED
    if hooks is not None:  # a Python file's teardown, once, after the load
        from agentload.engine._python_run import run_teardown

        teardown_problem = run_teardown(sf)
        if teardown_problem is not None:
            console.print(teardown_problem, style="yellow", markup=False, highlight=False)
    health, health_failed = check_after(sf, health_before, console)
    if health_failed and code is ExitCode.OK:
        code = ExitCode.THRESHOLD_FAILED
    info = RunInfo(
        run_id=uuid.uuid4().hex[:12],
        scenario_file=str(opts.scenario),
        target=sf.config.target,
        started_at=result.started_at,
        duration=result.duration,
        planned_duration=plan.duration,
        stop_reason=result.stop_reason.value,
        plan=plan.to_dict(),
        plan_description=plan.describe(),
        version=__version__,
        extra={
            **_extra(result),
            **health,
            "workers": dist.summary_section() if dist is not None else _in_process(result),
        },
    )
    summary = build_summary(
        result.aggregate, info, result.thresholds, exit_code=int(code),
        sections=observers.sections(result.aggregate),
        custom=declared_metrics(sf),
    )
    if health_failed:
        summary["verdict"] = "failed"
    results.write_json("summary.json", summary)
    results.write_json("aggregate.json", result.aggregate.to_dict())
    render_summary(summary, console)
    print_notes(summary, console)
    console.print(f"results: {results.path}/summary.json", highlight=False)
    if opts.baseline is not None:
        from agentload.cli._compare import apply_baseline

        code = ExitCode(
            apply_baseline(opts.baseline, opts.max_regression, results, summary, code, console)
        )
    try:
        write_reports(results.path)
    except ResultsError as exc:  # the run's own files are written: warn, keep its exit code
        console.print(f"warning: no HTML/CSV/JUnit report: {exc}", style="yellow", markup=False)
    else:
        console.print(f"report: {results.path}/report.html", highlight=False)
    return int(code)
