"""Writing the derived files of a results directory: HTML report, CSV files, JUnit XML.

``agentload run`` calls :func:`write_reports` at the end, and ``agentload
report DIR`` calls it again on saved results: both read the directory back
(:func:`~agentload.reports.saved.load_results`) so a re-render is exactly what
the run produced. This module only reads plotly.js and writes the files,
each atomically (temp file, then rename), so a reader never sees half a file.

plotly.js (4.8 MB) goes from its file into report.html as bytes: the page is
rendered around a marker that stands for it, and written in three parts. The
bytes are those the page would have with the text inlined (D21).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from agentload.reports._html_page import inline_script_bytes
from agentload.reports.outputs import REPORT_FILES, render_reports
from agentload.reports.plotly_bundle import read_plotly_js_bytes
from agentload.reports.saved import ResultsError, load_results

__all__ = ["REPORT_FILES", "write_reports"]


def _write(path: Path, parts: Iterable[bytes]) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as f:
            for part in parts:
                f.write(part)
        os.replace(tmp, path)
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    return path


def _text(text: str) -> bytes:
    """``text`` as ``Path.write_text(text, encoding="utf-8")`` writes it."""
    return _native(text.encode("utf-8"))


def _native(data: bytes) -> bytes:
    # Text mode writes "\n" as os.linesep.
    return data if os.linesep == "\n" else data.replace(b"\n", os.linesep.encode())


def write_reports(results: str | Path) -> tuple[Path, ...]:
    """Read the results directory ``results`` and (re)write its report files.

    Raises:
        ResultsError: the directory is missing or corrupt, plotly.js is missing,
            or a file cannot be written.
    """
    saved = load_results(results)
    plotly_js = read_plotly_js_bytes()
    marker = f"\0plotly.js {os.urandom(16).hex()}\0"  # cannot occur in the rendered page
    contents = render_reports(saved, marker)
    head, found, tail = contents["report.html"].partition(marker)
    if not found or marker in tail:  # page() inlines plotly.js exactly once
        raise RuntimeError("report.html: the plotly.js marker is not in the page once")
    page = (_text(head), _native(inline_script_bytes(plotly_js)), _text(tail))
    return tuple(
        _write(saved.path / name, page if name == "report.html" else (_text(contents[name]),))
        for name in REPORT_FILES
    )
