"""All derived files of a results directory as text: pure composition of the renderers.

:func:`render_reports` is what ``report_files.write_reports`` writes; keeping it
apart means the renderers can be exercised (and compared) without touching disk.
"""

from __future__ import annotations

from agentload.reports.csv_export import render_history_csv, render_stats_csv
from agentload.reports.failures import load_failures
from agentload.reports.html import render_html
from agentload.reports.junit import render_junit
from agentload.reports.model import build_report_model
from agentload.reports.saved import SavedRun
from agentload.reports.timeline import TimelineBuilder

__all__ = ["REPORT_FILES", "render_reports"]

REPORT_FILES = ("report.html", "stats.csv", "history.csv", "junit.xml")
"""The derived files, in the order they are written."""


def render_reports(saved: SavedRun, plotly_js: str) -> dict[str, str]:
    """File name → content for every file of :data:`REPORT_FILES`.

    ``history.csv`` keeps every interval; the charts may merge intervals of
    long runs (:data:`agentload.reports.model.MAX_CHART_POINTS`).
    """
    history = TimelineBuilder(len(saved.snapshots))  # fed in the model's single pass
    model = build_report_model(
        saved.summary, saved.snapshots, saved.aggregate, load_failures(saved.path), also=(history,)
    )
    return {
        "report.html": render_html(model, plotly_js),
        "stats.csv": render_stats_csv(saved.summary.get("requests") or []),
        "history.csv": render_history_csv(history.result()),
        "junit.xml": render_junit(saved.summary),
    }
