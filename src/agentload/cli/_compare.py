"""``agentload compare BASE NEW`` and ``agentload run --baseline DIR``: the regression gate.

The analysis lives in :mod:`agentload.reports.compare`; this module reads the
two results directories, prints, writes ``compare.html`` and picks the exit
code: 0 no regression, 1 regression, 2 bad input (a missing or corrupt
directory, a malformed bound).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from agentload.errors import ExitCode, UsageError
from agentload.reports.compare import CompareOptions, Comparison, compare_runs, parse_bound
from agentload.reports.compare_console import render_comparison
from agentload.reports.compare_html import render_compare_html
from agentload.reports.plotly_bundle import read_plotly_js
from agentload.reports.saved import ResultsError, load_results

__all__ = ["compare_options", "execute_compare", "gate_on_baseline"]


def compare_options(max_regression: str, min_delta_ms: float | None = None) -> CompareOptions:
    """Options from the flags; a malformed bound is a usage error (exit 2)."""
    try:
        bound = parse_bound(max_regression)
    except ValueError as exc:
        raise UsageError(f"--max-regression {exc}") from None
    if min_delta_ms is not None and min_delta_ms < 0:
        raise UsageError(f"--min-delta-ms must be ≥ 0, got {min_delta_ms}")
    if min_delta_ms is None:
        return CompareOptions(max_regression=bound)
    return CompareOptions(max_regression=bound, min_delta_ms=min_delta_ms)


def _write_html(comparison: Comparison, base: Any, new: Any, path: Path) -> None:
    page = render_compare_html(comparison, base, new, read_plotly_js())
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write it ({exc.strerror or exc})") from None


def execute_compare(
    base_dir: Path,
    new_dir: Path,
    options: CompareOptions,
    console: Console,
    *,
    html: Path | None = None,
    as_json: bool = False,
) -> int:
    """Compare two results directories; returns the exit code (0 or 1)."""
    base = load_results(base_dir)
    new = load_results(new_dir)
    comparison = compare_runs(base, new, options)
    if as_json:
        console.file.write(orjson.dumps(comparison.to_dict(), option=orjson.OPT_INDENT_2).decode())
        console.file.write("\n")
    else:
        render_comparison(comparison, console)
    target = html or new.path / "compare.html"
    _write_html(comparison, base, new, target)
    if not as_json:
        console.print(f"compare report: {target}", highlight=False, markup=False)
    return int(ExitCode.THRESHOLD_FAILED if comparison.regressed else ExitCode.OK)


def gate_on_baseline(
    baseline: Path, results: Path, options: CompareOptions, console: Console
) -> dict[str, Any]:
    """``run --baseline``: compare the finished run with ``baseline``; print and return
    the ``run.baseline`` section of summary.json (``verdict`` is ``passed`` or ``regressed``).

    Writes ``compare.html`` into the run's directory.

    Raises:
        ResultsError: the baseline (or the run's own results) cannot be read.
    """
    base = load_results(baseline)
    new = load_results(results)
    comparison = compare_runs(base, new, options)
    render_comparison(comparison, console)
    _write_html(comparison, base, new, results / "compare.html")
    section = comparison.to_dict()
    section["report"] = "compare.html"
    return section


def check_baseline_dir(baseline: Path) -> None:
    """Before the run: the baseline must be a readable results directory (else exit 2)."""
    load_results(baseline)


def apply_baseline(
    baseline: Path,
    max_regression: str,
    results: Any,
    summary: dict[str, Any],
    code: int,
    console: Console,
) -> int:
    """End of ``run --baseline``: gate, record ``run.baseline``, rewrite summary.json.

    ``results`` is the run's :class:`~agentload.reports.results_dir.ResultsDir`.
    Returns the exit code: 1 when the run regressed and had passed otherwise.
    A baseline that became unreadable during the run is reported, not fatal.
    """
    options = compare_options(max_regression)
    try:
        section = gate_on_baseline(baseline, results.path, options, console)
    except ResultsError as exc:
        console.print(f"warning: no baseline comparison: {exc}", style="yellow", markup=False)
        summary["run"]["baseline"] = {"base": str(baseline), "verdict": "error", "error": str(exc)}
        results.write_json("summary.json", summary)
        return code
    if section["verdict"] == "regressed" and code == ExitCode.OK:
        code = int(ExitCode.THRESHOLD_FAILED)
    summary["run"]["baseline"] = section
    summary["exit_code"] = int(code)
    results.write_json("summary.json", summary)
    console.print(f"baseline comparison: {results.path}/compare.html", highlight=False)
    return code
