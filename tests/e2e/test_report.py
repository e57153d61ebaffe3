"""End to end: a real run writes report.html, stats.csv, history.csv and junit.xml;
`agentload report DIR` re-renders them; headless Chromium draws every chart without errors.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import run_cli

REPORT_FILES = ("report.html", "stats.csv", "history.csv", "junit.xml")
CHARTS = ("throughput", "latency", "errors", "heatmap", "distribution", "generator")

TINY = """
config:
  target: http://127.0.0.1:1
load: {vus: 3, duration: 2s}
scenarios:
  - name: api
    flow:
      - get: {url: /health, name: health, expect: {status: 200}}
      - post: {url: /api/chat/messages, name: chat, json: {message: hi}, expect: {status: 200}}
      - get: {url: "/health?status=503", name: flaky}
thresholds:
  http_req_duration: ["p(95)<2000"]
  http_req_failed: ["rate<0.01"]
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, target_url: str) -> Path:
    """One real run for the whole module (the `flaky` request fails: 503s, a crossed threshold)."""
    base = tmp_path_factory.mktemp("report")
    scenario = base / "tiny.yaml"
    scenario.write_text(TINY)
    out = base / "out"
    res = run_cli("run", str(scenario), "--target", target_url, "--out", str(out), "--quiet")
    assert res.code == 1, res.stderr + res.stdout  # rate<0.01 fails by design
    assert f"report: {out}/report.html" in res.stdout
    return out


def test_run_writes_every_report_file(results: Path) -> None:
    summary = json.loads((results / "summary.json").read_text())
    for name in REPORT_FILES:
        assert (results / name).stat().st_size > 0, name
    page = (results / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "plotly.js v" in page
    for chart in CHARTS:
        assert f'data-figure="data-{chart}"' in page
        source = re.search(rf'id="data-{chart}">(.*?)</script>', page)
        assert source is not None and json.loads(source.group(1))["data"]
    stats = list(csv.DictReader((results / "stats.csv").open()))
    assert [r["name"] for r in stats] == [r["name"] for r in summary["requests"]]
    assert sum(int(r["count"]) for r in stats) == summary["metrics"]["http_reqs"]["count"]
    history = list(csv.DictReader((results / "history.csv").open()))
    intervals = (results / "timeseries.jsonl").read_text().splitlines()
    assert len(history) == len(intervals) >= 2
    assert sum(int(r["requests"]) for r in history) == summary["metrics"]["http_reqs"]["count"]
    assert sum(int(r["failed"]) for r in history) > 0
    suite = ET.parse(results / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["http_req_failed: rate<0.01"]


def test_report_command_rerenders_the_same_files(results: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(results, copy)
    originals = {name: (copy / name).read_bytes() for name in REPORT_FILES}
    for name in REPORT_FILES:
        (copy / name).unlink()
    res = run_cli("report", str(copy))
    assert res.code == 0, res.stderr
    assert res.stdout.splitlines() == [f"wrote {copy / name}" for name in REPORT_FILES]
    assert {name: (copy / name).read_bytes() for name in REPORT_FILES} == originals


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("missing-dir", "no such directory"),
        ("no-summary", "summary.json: missing"),
        ("corrupt-summary", "summary.json: not valid JSON"),
        ("torn-timeseries", "timeseries.jsonl:1: not an interval snapshot"),
    ],
)
def test_report_command_errors_are_one_line_exit_2(
    results: Path, tmp_path: Path, setup: str, needle: str
) -> None:
    target = tmp_path / "r"
    if setup != "missing-dir":
        shutil.copytree(results, target)
    if setup == "no-summary":
        (target / "summary.json").unlink()
    elif setup == "corrupt-summary":
        (target / "summary.json").write_text('{"schema": ')
    elif setup == "torn-timeseries":
        (target / "timeseries.jsonl").write_text('{"start": 0, "end"\n')
    res = run_cli("report", str(target))
    assert res.code == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def chromium_args(binary: str, profile: Path) -> list[str]:
    return [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={profile}", "--virtual-time-budget=5000",
    ]  # fmt: skip


class ChartScan(HTMLParser):
    """Counts rendered ``svg.main-svg`` elements inside each ``div#fig-*`` of a dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []  # (tag, chart it opened)
        self.svgs: dict[str, int] = {}
        self.root_attrs: dict[str, str] = {}

    def _chart(self) -> str | None:
        return next((c for _, c in reversed(self.stack) if c), None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.root_attrs = a
        opened = a["id"][4:] if tag == "div" and a.get("id", "").startswith("fig-") else None
        if opened:
            self.svgs[opened] = 0
        chart = opened or self._chart()
        if tag == "svg" and "main-svg" in a.get("class", "").split() and chart:
            self.svgs[chart] += 1
        if tag not in {"meta", "link", "br", "img", "input", "hr", "col", "source"}:
            self.stack.append((tag, opened))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


def assert_charts_drawn(report: Path, profile: Path, charts: tuple[str, ...]) -> None:
    """Chromium opens ``report`` offline: exactly ``charts`` drew, and no console error."""
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium not found (Debian package `chromium`)")
    args = chromium_args(binary, profile)
    dom = subprocess.run(
        [*args, "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=90, check=True,
    ).stdout  # fmt: skip
    scan = ChartScan()
    scan.feed(dom)
    assert scan.root_attrs.get("data-errors") == "", scan.root_attrs.get("data-errors")
    assert scan.root_attrs.get("data-charts") == str(len(charts))
    assert set(scan.svgs) == set(charts)
    for chart, count in scan.svgs.items():
        assert count >= 1, f"chart {chart} drew no svg.main-svg"


def test_report_renders_in_headless_chromium(results: Path, tmp_path: Path) -> None:
    assert_charts_drawn(results / "report.html", tmp_path / "profile", CHARTS)


# The demo's user types in miniature: LLM streaming, WebSocket chat, Twilio callers.
MIXED = """
config:
  target: http://127.0.0.1:1
scenarios:
  - name: llm users
    load: {vus: 2, duration: 2s}
    flow:
      - llm:
          name: answer
          url: /v1/chat/completions?ttft_ms=50&tps=200&tokens=8
          model: m
          messages: [{role: user, content: hi}]
          slo: {ttft: 5s}
  - name: ws users
    load: {vus: 2, duration: 2s}
    flow:
      - ws:
          name: chat
          url: /ws/chat?first_token_ms=20&tps=200&tokens=4
          steps:
            - expect: {name: session, json: {$.type: session}, timeout: 5s}
            - send_json: {type: message, text: hi}
            - expect: {name: first_token, json: {$.type: token}, timeout: 5s}
            - expect: {name: reply, json: {$.type: done}, timeout: 5s}
            - close: {}
  - name: callers
    load: {vus: 1, duration: 2s}
    flow:
      - voice:
          name: call
          dialect: twilio
          url: /voice/twilio?reply_delay_ms=50
          audio: hello
          turns: 1
          timeout: 5s
"""
PROTOCOL_CHARTS = ("trends-llm", "trends-ws", "trends-voice")


def test_protocol_charts_and_tables_render(tmp_path: Path, target_url: str) -> None:
    scenario = tmp_path / "mixed.yaml"
    scenario.write_text(MIXED)
    out = tmp_path / "out"
    res = run_cli("run", str(scenario), "--target", target_url, "--out", str(out), "--quiet")
    assert res.code == 0, res.stderr + res.stdout
    page = (out / "report.html").read_text()
    for ident in ("llm-table", "ws-table", "voice-table"):
        assert f'id="{ident}"' in page, ident
    assert "↳ exchange </span>first_token" in page
    summary = json.loads((out / "summary.json").read_text())
    ttft = json.loads(re.findall(r'id="data-trends-llm">(.*?)</script>', page)[0])
    assert [t["name"] for t in ttft["data"] if t["showlegend"]] == ["TTFT", "ITL", "TPOT", "e2e"]
    assert summary["metrics"]["voice_turns"]["count"] >= 1
    assert_charts_drawn(out / "report.html", tmp_path / "profile", (*CHARTS, *PROTOCOL_CHARTS))
