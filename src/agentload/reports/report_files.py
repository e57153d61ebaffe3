"""Writing the derived files of a results directory: HTML report, CSV files, JUnit XML.

``agentload run`` calls :func:`write_reports` at the end, and ``agentload
report DIR`` calls it again on saved results: both read the directory back
(:func:`~agentload.reports.saved.load_results`) so a re-render is exactly what
the run produced. This module only reads plotly.js and writes the files,
each atomically (temp file, then rename), so a reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

from agentload.reports.outputs import REPORT_FILES, render_reports
from agentload.reports.plotly_bundle import read_plotly_js
from agentload.reports.saved import ResultsError, load_results

__all__ = ["REPORT_FILES", "write_reports"]


def _write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    return path


def write_reports(results: str | Path) -> tuple[Path, ...]:
    """Read the results directory ``results`` and (re)write its report files.

    Raises:
        ResultsError: the directory is missing or corrupt, plotly.js is missing,
            or a file cannot be written.
    """
    saved = load_results(results)
    contents = render_reports(saved, read_plotly_js())
    return tuple(_write_text(saved.path / name, contents[name]) for name in REPORT_FILES)
