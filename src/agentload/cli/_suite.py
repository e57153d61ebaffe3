"""Suites: several runs in sequence, one results directory holding a sub-run each.

``agentload run`` becomes a suite when it gets several files
(``agentload run a.yaml b.yaml``), ``--scenarios`` (``--scenarios
smoke,average,stress`` or seed 004's ``--scenarios baseline normal peak``:
each name is one of the file's ``profiles:``, a preset, or a scenario), or a
suite file (a top-level ``suite:`` list, :mod:`agentload.scenario.suite`).

Every sub-run is validated before the first starts (bad input: exit 2, no
load). Each writes ``RESULTS/NN-name/`` as a single run would; the suite adds
``suite.json``, a console table and ``index.html`` linking the sub-reports.
The exit code is the worst of the sub-runs'. Ctrl-C stops the current run
gracefully (its results are written) and skips the rest.
"""

from __future__ import annotations

import dataclasses
import html
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from agentload.cli._run import (
    RunOptions,
    _loader_inputs,
    execute_run,
    prepare,
    unwritable_results,
)
from agentload.errors import AgentloadError, ExitCode, InputError, UsageError
from agentload.profiles import PRESETS
from agentload.reports.console import make_console
from agentload.reports.results_dir import default_results_path
from agentload.scenario.suite import SuiteEntry, is_suite_text, load_suite

__all__ = ["SubRun", "execute_cli_run", "execute_suite", "inspect_suite", "plan_suite"]

SUITE_SCHEMA = "agentload.suite/1"
_YAML = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class SubRun:
    """One run of a suite: its label and its options (``out`` set by the suite)."""

    name: str
    opts: RunOptions


def _names(text: Sequence[str]) -> list[str]:
    return [n.strip() for part in text for n in part.split(",") if n.strip()]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"


def _resolve_name(opts: RunOptions, name: str) -> dict[str, str]:
    """What ``--scenarios NAME`` means for this file: a profile, a preset or a scenario."""
    sf, _, _ = prepare(opts)
    if name in sf.profiles:
        return {"profile": name}
    if name in PRESETS:
        return {"preset": name}
    if name in {s.name for s in sf.scenarios}:
        return {"only": name}
    known = [*sf.profiles, *(s.name for s in sf.scenarios), *PRESETS]
    raise UsageError(
        f"--scenarios {name}: {opts.scenario} has no profile or scenario of that name and it "
        f"is not a preset; use one of {', '.join(known)}"
    )


_FIELDS = ("preset", "profile", "only", "vus", "rate", "duration", "scale", "target")


def _with(opts: RunOptions, scenario: Path, overrides: dict[str, str]) -> RunOptions:
    """``opts`` for ``scenario`` with a suite entry's overrides (names of RunOptions fields)."""
    fields = {"only" if k == "scenarios" else k: v for k, v in overrides.items()}
    unknown = set(fields) - set(_FIELDS)
    if unknown:  # the suite reader only lets these through: a bug, not bad input
        raise ValueError(f"not a run override: {sorted(unknown)}")
    out = dataclasses.replace(opts, scenario=scenario)
    for name, value in fields.items():
        out = dataclasses.replace(out, **{name: value})  # type: ignore[arg-type]
    return out


def plan_suite(
    opts: RunOptions, more: Sequence[Path], scenarios: Sequence[str]
) -> list[SubRun] | None:
    """The sub-runs asked for, or ``None`` when this is a single run.

    With ``--scenarios``, extra arguments that are not files are more names
    (``--scenarios baseline normal peak``). Raises input errors for bad input.
    """
    names = _names(scenarios)
    files = [opts.scenario]
    for extra in more:
        if names and not extra.exists() and extra.suffix not in _YAML:
            names.append(str(extra))
        else:
            files.append(extra)
    for file in files:
        if not file.exists():
            raise UsageError(f"{file}: no such scenario file; check the path")
    if len(files) == 1 and not names:
        try:
            text = files[0].read_text(encoding="utf-8-sig", errors="replace")
        except OSError:
            return None  # not readable as a file: the single run reports why
        if not is_suite_text(text):
            return None
        env, _ = _loader_inputs(opts)
        entries: Sequence[SuiteEntry] = load_suite(files[0], env)
        return [SubRun(e.name, _with(opts, e.file, dict(e.overrides))) for e in entries]
    runs: list[SubRun] = []
    for file in files:
        base = dataclasses.replace(opts, scenario=file)
        if not names:
            runs.append(SubRun(file.stem, base))
            continue
        for name in names:
            label = name if len(files) == 1 else f"{file.stem}-{name}"
            runs.append(SubRun(label, _with(opts, file, _resolve_name(base, name))))
    return runs


def _row(name: str, out: Path, code: int | None, status: str, error: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": name,
        "dir": out.name,
        "status": status,
        "exit_code": code,
        "error": error,
    }
    summary_path = out / "summary.json"
    if status in ("completed", "interrupted") and summary_path.is_file():
        summary = orjson.loads(summary_path.read_bytes())
        metrics = summary.get("metrics", {})
        duration = metrics.get("http_req_duration", {})
        failed = metrics.get("http_req_failed", {})
        reqs = metrics.get("http_reqs", {})
        row.update(
            verdict=summary.get("verdict"),
            stop_reason=summary.get("run", {}).get("stop_reason"),
            duration_s=summary.get("run", {}).get("duration_s"),
            requests=reqs.get("count", 0),
            p95_ms=duration.get("p95"),
            error_rate=failed.get("rate"),
            report=f"{out.name}/report.html" if (out / "report.html").is_file() else None,
        )
    return row


def execute_suite(
    runs: Sequence[SubRun], out: Path | None = None, console: Console | None = None
) -> int:
    """Validate every sub-run, run them in order, write the suite summary; the worst exit code."""
    console = console or make_console()
    for run in runs:  # bad input anywhere: exit 2 before any load
        prepare(run.opts)
    try:
        root = out or default_results_path()
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable_results(out, exc) from None
    rows: list[dict[str, Any]] = []
    interrupted = False
    started = time.time()
    for i, run in enumerate(runs, start=1):
        sub = root / f"{i:02d}-{_slug(run.name)}"
        if interrupted:
            rows.append(_row(run.name, sub, None, "skipped", None))
            continue
        console.rule(f"[bold]{i}/{len(runs)} {run.name}[/]")
        code: int | None
        error: str | None = None
        status = "completed"
        try:
            code = execute_run(dataclasses.replace(run.opts, out=sub), console)
        except InputError:
            raise  # validated above; a file changed under us
        except AgentloadError as exc:
            code, status, error = int(exc.exit_code), "failed", str(exc)
            console.print(f"error: {exc}", style="red", markup=False, highlight=False)
        except KeyboardInterrupt:  # Ctrl-C between runs, outside a run's own handler
            code, status, interrupted = None, "skipped", True
        if status == "completed":
            stop = _stop_reason(sub)
            if stop == "signal":
                status, interrupted = "interrupted", True
        rows.append(_row(run.name, sub, code, status, error))
    codes = [r["exit_code"] for r in rows if r["exit_code"] is not None]
    worst = max(codes, default=int(ExitCode.OK))
    doc = {
        "schema": SUITE_SCHEMA,
        "started_at": started,
        "duration_s": time.time() - started,
        "interrupted": interrupted,
        "exit_code": worst,
        "runs": rows,
    }
    (root / "suite.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    (root / "index.html").write_text(render_index(doc), encoding="utf-8")
    _table(rows, console)
    console.print(f"suite: {root}/suite.json, {root}/index.html", highlight=False)
    return worst


def _stop_reason(sub: Path) -> str | None:
    try:
        summary = orjson.loads((sub / "summary.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    reason = summary.get("run", {}).get("stop_reason")
    return reason if isinstance(reason, str) else None


def _fmt(value: object, spec: str, suffix: str = "") -> str:
    return f"{value:{spec}}{suffix}" if isinstance(value, int | float) else "–"


def _table(rows: Sequence[dict[str, Any]], console: Console) -> None:
    table = Table(title="Suite", title_justify="left")
    for column in ("#", "run", "status", "verdict", "exit", "requests", "p95", "errors"):
        table.add_column(column)
    for n, row in enumerate(rows, start=1):
        table.add_row(
            str(n),
            row["name"],
            row["status"],
            row.get("verdict") or "–",
            "–" if row["exit_code"] is None else str(row["exit_code"]),
            _fmt(row.get("requests"), ",.0f"),
            _fmt(row.get("p95_ms"), ".1f", " ms"),
            _fmt(row.get("error_rate"), ".2%"),
        )
    console.print(table)


def render_index(doc: dict[str, Any]) -> str:
    """A self-contained page: one row per sub-run, linking its report."""
    rows = []
    for n, row in enumerate(doc["runs"], start=1):
        name = html.escape(str(row["name"]))
        link = row.get("report")
        cell = f'<a href="{html.escape(link)}">{name}</a>' if link else name
        code = "–" if row["exit_code"] is None else str(row["exit_code"])
        rows.append(
            f"<tr><td>{n}</td><td>{cell}</td><td>{html.escape(row['status'])}</td>"
            f"<td>{html.escape(str(row.get('verdict') or '–'))}</td><td>{code}</td>"
            f"<td>{_fmt(row.get('requests'), ',.0f')}</td>"
            f"<td>{_fmt(row.get('p95_ms'), '.1f', ' ms')}</td>"
            f"<td>{_fmt(row.get('error_rate'), '.2%')}</td></tr>"
        )
    verdict = "passed" if doc["exit_code"] == 0 else f"exit code {doc['exit_code']}"
    note = " (interrupted: later runs skipped)" if doc["interrupted"] else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>agentload suite</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:"
        "collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}</style>"
        f"</head><body><h1>agentload suite: {html.escape(verdict)}{note}</h1><table>"
        "<tr><th>#</th><th>run</th><th>status</th><th>verdict</th><th>exit</th>"
        "<th>requests</th><th>p95</th><th>errors</th></tr>"
        + "".join(rows)
        + "</table></body></html>\n"
    )


def inspect_suite(runs: Sequence[SubRun], console: Console, *, as_json: bool = False) -> int:
    """``agentload inspect SUITE``: validate every run and print its plan (or JSON)."""
    plans = [prepare(run.opts)[1] for run in runs]
    if as_json:
        doc = [
            {"name": run.name, "file": str(run.opts.scenario), "plan": plan.to_dict()}
            for run, plan in zip(runs, plans, strict=True)
        ]
        console.print_json(orjson.dumps({"suite": doc}).decode())
        return int(ExitCode.OK)
    for n, (run, plan) in enumerate(zip(runs, plans, strict=True), start=1):
        changed = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("profile", run.opts.profile),
                ("preset", run.opts.preset),
                ("only", run.opts.only),
                ("vus", run.opts.vus),
                ("rate", run.opts.rate),
                ("duration", run.opts.duration),
                ("scale", run.opts.scale),
            )
            if v is not None
        )
        console.print(
            f"[bold]{n:02d}-{_slug(run.name)}[/] {run.opts.scenario}"
            + (f" ({changed})" if changed else ""),
            highlight=False,
        )
        console.print("  " + plan.describe().replace("\n", "\n  "), highlight=False)
    return int(ExitCode.OK)


def execute_cli_run(
    opts: RunOptions,
    more: Sequence[Path] = (),
    scenarios: Sequence[str] = (),
    console: Console | None = None,
) -> int:
    """``agentload run``: a suite when asked for one (see the module doc), else one run."""
    runs = plan_suite(opts, more, scenarios)
    if runs is None:
        return execute_run(opts, console)
    return execute_suite(runs, opts.out, console)
