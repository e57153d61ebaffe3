"""``agentload run``: load a scenario, compile the plan, run it, write the results.

This module is the composition root: it wires the scenario loader, the plan,
the engine and the reports together, and nothing below it knows about flags.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console

try:
    import uvloop
except ImportError:  # pragma: no cover - Windows
    uvloop = None  # type: ignore[assignment]

from agentload import __version__
from agentload.distributed import (
    DistributedResult,
    FailurePolicy,
    LocalProcessExecutor,
    ScenarioSource,
    WorkerJob,
    run_workers,
    scenario_fingerprint,
    single_process_section,
)
from agentload.engine.runner import Runner, RunResult, SnapshotSink
from agentload.errors import ExitCode, TargetUnavailable, UsageError
from agentload.profiles import Plan, compile_plan
from agentload.protocols.http import parse_url
from agentload.reports.console import make_console, render_summary
from agentload.reports.live import LiveProgress
from agentload.reports.report_files import write_reports
from agentload.reports.results_dir import ResultsDir, default_results_path
from agentload.reports.saved import ResultsError
from agentload.reports.summary import RunInfo, build_summary
from agentload.scenario import ScenarioFile, load_scenario
from agentload.thresholds import Threshold, parse_threshold

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
    sf = load_scenario(opts.scenario, env=env, overrides=overrides)
    plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
    thresholds = tuple(
        _with_abort(parse_threshold(t.metric, t.expression), t.abort_on_fail, t.delay_abort_eval)
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


def _extra(result: RunResult) -> dict[str, object]:
    """Run facts beyond the common ones: the capacity a breakpoint test found."""
    if result.capacity is None:
        return {}
    cap = result.capacity
    return {"capacity": {"rate": cap.rate, "at_s": cap.at_s, "threshold": cap.threshold}}


def _worker_count(opts: RunOptions, plan: Plan, console: Console) -> int:
    """``--workers`` as a count: ``auto`` is one per CPU this process may use."""
    text = opts.workers.strip().lower()
    if text == "auto":
        wanted = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        wanted = wanted or os.cpu_count() or 1
    else:
        wanted = int(text) if text.isascii() and text.isdigit() else 0
        if wanted < 1:
            raise UsageError(f"--workers expects auto or a count ≥ 1, got {opts.workers!r}")
    # A worker without VUs would idle (closed model) or drop every arrival (open model).
    count = max(1, min(wanted, plan.max_vus()))
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
) -> DistributedResult:
    env, overrides = _loader_inputs(opts)
    job = WorkerJob(
        ScenarioSource.read(opts.scenario, env=env, overrides=overrides),
        scenario_fingerprint(sf),
        plan,
        count,
    )
    return run_workers(
        job,
        LocalProcessExecutor(),
        thresholds=thresholds,
        sinks=sinks,
        on_failure=FailurePolicy(opts.on_worker_failure),
        notify=lambda line: console.print(line, style="yellow", markup=False, highlight=False),
    )


def _run_here(runner: Runner, console: Console) -> RunResult:
    with asyncio.Runner(loop_factory=_new_loop) as arunner:
        return arunner.run(_run_with_signals(runner, console))


def execute_run(opts: RunOptions, console: Console | None = None) -> int:
    """Run a scenario end to end; returns the exit code. Results are always written."""
    console = console or make_console()
    sf, plan, thresholds = prepare(opts)
    workers = _worker_count(opts, plan, console)
    if opts.preflight:
        _preflight(sf.config.target)
    out = opts.out or default_results_path()
    try:
        results = ResultsDir(out)
    except OSError as exc:
        raise UsageError(
            f"--out {out}: cannot write the results there ({exc.strerror or exc}); "
            "give a directory that can be created or written"
        ) from None
    results.write_json("plan.json", plan.to_dict())
    progress = LiveProgress(console, plan.duration)
    sinks: list[SnapshotSink] = [results] if opts.quiet else [results, progress]
    runner = Runner(sf, plan, thresholds=thresholds, sinks=sinks)
    try:
        with contextlib.nullcontext() if opts.quiet else progress:
            dist = None
            if workers > 1:
                dist = _run_on_workers(opts, sf, plan, thresholds, sinks, workers, console)
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
            "workers": dist.summary_section()
            if dist is not None
            else single_process_section(result, os.getpid()),
        },
    )
    summary = build_summary(result.aggregate, info, result.thresholds, exit_code=int(code))
    results.write_json("summary.json", summary)
    results.write_json("aggregate.json", result.aggregate.to_dict())
    render_summary(summary, console)
    console.print(f"results: {results.path}/summary.json", highlight=False)
    try:
        write_reports(results.path)
    except ResultsError as exc:  # the run's own files are written: warn, keep its exit code
        console.print(f"warning: no HTML/CSV/JUnit report: {exc}", style="yellow", markup=False)
    else:
        console.print(f"report: {results.path}/report.html", highlight=False)
    return int(code)
