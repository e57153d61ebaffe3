"""report.html: structure checked with an HTML parser, the non-chart sections golden-tested.

Regenerate the golden file after an intended change with:
AGENTLOAD_REGEN_GOLDEN=1 pytest tests/unit/reports
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from agentload.metrics import Aggregate
from agentload.reports.html import render_html
from agentload.reports.html_sections import (
    endpoints_table,
    errors_and_checks,
    kpi_cards,
    run_metadata,
    thresholds_table,
    verdict_banner,
)
from agentload.reports.model import build_report_model
from tests.unit.reports.synthetic import HTML_NAME, SECRET, SyntheticRun, make_run
from tests.unit.reports.test_console_golden import SUMMARY

GOLDEN = Path(__file__).parent / "golden"
PLOTLY = "/* plotly.js stand-in */ window.Plotly = undefined;"


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> list[Element]:
        out = [self]
        for child in self.children:
            out.extend(child.iter())
        return out

    def find_all(self, tag: str, cls: str | None = None) -> list[Element]:
        return [e for e in self.iter() if e.tag == tag and (cls is None or cls in e.classes())]

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


_VOID = {"meta", "link", "br", "img", "input", "hr"}


class TreeBuilder(HTMLParser):
    """A strict little DOM: fails on any mismatched closing tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in _VOID:
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].text += data


def parse(page: str) -> Element:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert len(builder.stack) == 1, f"unclosed: {[e.tag for e in builder.stack]}"
    return builder.root


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> SyntheticRun:
    return make_run(tmp_path_factory.mktemp("run") / "results")


@pytest.fixture(scope="module")
def page(run: SyntheticRun) -> str:
    return render_html(build_report_model(run.summary, run.snapshots, run.aggregate), PLOTLY)


def by_id(root: Element) -> dict[str, Element]:
    return {e.attrs["id"]: e for e in root.iter() if "id" in e.attrs}


def test_page_is_well_formed_and_self_contained(page: str) -> None:
    root = parse(page)
    html = root.find_all("html")[0]
    assert html.attrs["data-errors"] == "" and html.attrs["data-charts"] == "pending"
    scripts = root.find_all("script")
    assert not any("src" in s.attrs for s in scripts)  # nothing fetched: opens offline
    assert not root.find_all("link")
    assert sum(PLOTLY in s.text for s in scripts) == 1
    assert "http://" not in "".join(
        s.text for s in scripts if s.attrs.get("type") != "application/json"
    )


def test_sections_are_all_there(page: str) -> None:
    ids = by_id(parse(page))
    for ident in (
        "verdict", "kpis", "thresholds", "chart-throughput", "chart-latency", "chart-errors",
        "chart-heatmap", "chart-distribution", "endpoints", "errors", "checks", "run",
    ):  # fmt: skip
        assert ident in ids, ident


def test_verdict_and_thresholds(page: str, run: SyntheticRun) -> None:
    ids = by_id(parse(page))
    verdict = ids["verdict"]
    assert "failed" in verdict.classes()
    assert "FAILED" in verdict.all_text()
    assert "2 of 4 thresholds failed" in verdict.all_text()
    body = ids["thresholds"].find_all("tbody")[0]
    marks = [tr.children[0].all_text() for tr in body.find_all("tr")]
    assert marks == ["✓ pass" if t["passed"] else "✗ fail" for t in run.summary["thresholds"]]


def test_endpoint_table_lists_every_request_and_a_total(page: str, run: SyntheticRun) -> None:
    table = by_id(parse(page))["endpoints"]
    head = [th.all_text() for th in table.find_all("th")]
    assert head[:3] == ["endpoint", "count", "req/s"] and "p99" in head and "errors" in head
    body = table.find_all("tbody")[0].find_all("tr")
    assert len(body) == len(run.summary["requests"]) + 1
    assert "total" in body[-1].classes()
    counts = [int(tr.children[1].all_text().replace(",", "")) for tr in body[:-1]]
    assert counts == [r["count"] for r in run.summary["requests"]]


def test_every_chart_has_its_figure_json(page: str, run: SyntheticRun) -> None:
    root = parse(page)
    ids = by_id(root)
    charts = root.find_all("div", "chart")
    assert len(charts) == 5
    for chart in charts:
        source = ids[chart.attrs["data-figure"]]
        assert source.tag == "script" and source.attrs["type"] == "application/json"
        figure = json.loads(source.text)
        assert figure["data"] and isinstance(figure["layout"], dict)
    throughput = json.loads(ids["data-throughput"].text)
    assert len(throughput["data"][0]["x"]) == len(run.snapshots)
    heat = json.loads(ids["data-heatmap"].text)["data"][0]
    per_window = [sum(z[i] or 0 for z in heat["z"]) for i in range(len(heat["x"]))]
    assert sum(per_window) == run.summary["metrics"]["http_req_duration"]["count"]
    errors = json.loads(ids["data-errors"].text)
    assert [t["name"] for t in errors["data"]] == ["check_failed", "http_5xx"]


def test_secrets_and_markup_never_leak(page: str) -> None:
    assert SECRET not in page
    assert HTML_NAME not in page  # escaped in the tables, \u003c-escaped in the figure JSON
    root = parse(page)
    assert HTML_NAME in by_id(root)["endpoints"].all_text()  # shown as text, not run


def test_report_of_a_run_without_samples_still_renders(run: SyntheticRun) -> None:
    summary: dict[str, Any] = {**run.summary, "requests": [], "errors": {}, "checks": []}
    page = render_html(build_report_model(summary, [], Aggregate()), PLOTLY)
    root = parse(page)
    assert not root.find_all("div", "chart")
    assert page.count("No data recorded.") == 5


def sections(summary: dict[str, Any]) -> str:
    parts = (verdict_banner, kpi_cards, thresholds_table, endpoints_table, errors_and_checks,
             run_metadata)  # fmt: skip
    return "\n".join(part(summary) for part in parts) + "\n"


def test_sections_match_golden() -> None:
    path = GOLDEN / "report_sections.html"
    text = sections(SUMMARY)
    if os.environ.get("AGENTLOAD_REGEN_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_stopped_early_shows_in_the_banner() -> None:
    run = {**SUMMARY["run"], "stopped_early": True, "stop_reason": "signal"}  # type: ignore[dict-item]
    banner = verdict_banner({**SUMMARY, "run": run})
    assert "stopped early by Ctrl-C / SIGTERM" in banner
