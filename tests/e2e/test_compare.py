"""End to end: `agentload compare` and `agentload run --baseline` against the reference target.

Three short open-model runs on a target of our own (its delay is changed, so it must not be
the session's shared one): A and B with the same server delay, C after raising the delay via
/admin/config. Two runs of the same build pass (exit 0), the injected regression is flagged
(exit 1, the endpoint named), the run gate fails the run and records run.baseline, bad input
exits 2 with one line, and compare.html renders in headless Chromium.

Why this is not flaky: each endpoint's latency is dominated by the server's delay (80 ms),
so the CPU noise of a shared machine moves its p95 by a few percent, while the rule needs
> 10 % *and* a bootstrap interval wholly beyond +10 %; the regression is +200 %.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentload.target.process import TargetProcess
from tests.conftest import run_cli
from tests.e2e.test_report import ChartScan, chromium_args, find_chromium

SCENARIO = """
config:
  target: http://127.0.0.1:1
  headers: {Authorization: "Bearer demo-token"}
load: {rate: 30, duration: 4s, pre_allocated_vus: 10, max_vus: 40}
flow:
  - post: {url: /api/chat/messages, name: chat, json: {message: hi}, expect: {status: 200}}
  - get: {url: /api/assistants, name: assistants, expect: {status: 200}}
"""
BASE_DELAY_MS, SLOW_DELAY_MS = 80, 240


@dataclass(frozen=True)
class Runs:
    a: Path
    b: Path
    c: Path
    b_code: int
    c_code: int
    c_stdout: str


def _set_delay(url: str, ms: int) -> None:
    req = urllib.request.Request(
        f"{url}/admin/config",
        data=json.dumps({"delay_ms": ms}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert json.loads(resp.read())["delay_ms"] == ms


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    base = tmp_path_factory.mktemp("compare")
    scenario = base / "s.yaml"
    scenario.write_text(SCENARIO)

    def run(out: Path, url: str, *extra: str) -> tuple[int, str]:
        res = run_cli("run", str(scenario), "--target", url, "--out", str(out), "--quiet",
                      "--workers", "1", *extra)  # fmt: skip
        assert res.code in (0, 1), res.stderr + res.stdout
        return res.code, res.stdout

    with TargetProcess("--chat-latency", "constant:2ms") as target:
        _set_delay(target.url, BASE_DELAY_MS)
        code_a, _ = run(base / "a", target.url)
        assert code_a == 0
        b_code, _ = run(base / "b", target.url, "--baseline", str(base / "a"))
        _set_delay(target.url, SLOW_DELAY_MS)
        c_code, c_out = run(base / "c", target.url, "--baseline", str(base / "a"))
    yield Runs(base / "a", base / "b", base / "c", b_code, c_code, c_out)


def test_two_runs_of_the_same_build_pass(runs: Runs) -> None:
    res = run_cli("compare", str(runs.a), str(runs.b))
    assert res.code == 0, res.stdout + res.stderr
    assert "no regression beyond 10%" in res.stdout
    assert (runs.b / "compare.html").stat().st_size > 100_000  # plotly inlined
    # The run gate agrees: B ran with --baseline A and passed.
    assert runs.b_code == 0
    summary = json.loads((runs.b / "summary.json").read_text())
    assert summary["run"]["baseline"]["verdict"] == "passed"
    assert summary["exit_code"] == 0
    suite = ET.parse(runs.b / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and int(suite.get("tests", 0)) >= 6


def test_an_injected_regression_is_flagged(runs: Runs, tmp_path: Path) -> None:
    html = tmp_path / "diff.html"
    res = run_cli("compare", str(runs.a), str(runs.c), "--html", str(html), "--json")
    assert res.code == 1, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    assert doc["verdict"] == "regressed"
    flagged = {
        (row["endpoint"], row["metric"]) for row in doc["latency"] if row["verdict"] == "regressed"
    }
    assert ("chat", "http_req_duration") in flagged
    assert ("assistants", "http_req_duration") in flagged
    assert any(line.startswith("chat: http_req_duration p95") for line in doc["regressions"])
    chat = next(r for r in doc["latency"] if r["endpoint"] == "chat")
    assert chat["p95_ratio_ci"][0] > 1.5  # 80 → 240 ms: about 3x
    assert html.is_file() and 'data-verdict="regressed"' in html.read_text()


def test_run_with_baseline_fails_on_the_regression(runs: Runs) -> None:
    assert runs.c_code == 1, runs.c_stdout
    assert "REGRESSION beyond 10%" in runs.c_stdout
    summary = json.loads((runs.c / "summary.json").read_text())
    gate = summary["run"]["baseline"]
    assert gate["verdict"] == "regressed" and gate["base"] == str(runs.a)
    assert summary["verdict"] == "passed"  # the thresholds (none) passed; the gate failed
    assert summary["exit_code"] == 1
    assert (runs.c / "compare.html").is_file()
    page = (runs.c / "report.html").read_text()
    assert 'id="baseline"' in page and "✗ regressed" in page and 'href="compare.html"' in page
    assert '<section id="verdict" class="verdict failed">' in page
    # The gate is in junit.xml too: one case per judged p95 and error rate.
    suite = ET.parse(runs.c / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    cases = [c for c in suite.iter("testcase") if c.get("classname") == "agentload.baseline"]
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert "baseline POST chat: http_req_duration p95 within +10%" in failed
    assert "baseline POST chat: error rate within +10%" not in failed
    assert suite.get("failures") == str(len(failed)) and len(cases) >= 6
    assert "regressed against the baseline" in page


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("{missing}", "{a}"), "no such directory"),
        (("{a}", "{torn}"), "summary.json: not valid JSON"),
        (("{a}", "{a}", "--max-regression", "lots"), "--max-regression"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    runs: Runs, tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    torn = tmp_path / "torn"
    shutil.copytree(runs.a, torn)
    (torn / "summary.json").write_text('{"schema": ')
    paths = {"missing": str(tmp_path / "nope"), "a": str(runs.a), "torn": str(torn)}
    res = run_cli("compare", *(a.format(**paths) for a in args))
    assert res.code == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], res.stderr


def test_run_with_a_missing_baseline_exits_2_before_any_load(runs: Runs, tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO)
    res = run_cli("run", str(scenario), "--baseline", str(tmp_path / "nope"), "--out",
                  str(tmp_path / "out"))  # fmt: skip
    assert res.code == 2 and "no such directory" in res.stderr, res.stderr
    assert not (tmp_path / "out").exists()


def test_compare_html_renders_in_headless_chromium(runs: Runs, tmp_path: Path) -> None:
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium not found (Debian package `chromium`)")
    page = runs.c / "compare.html"
    dom = subprocess.run(
        [*chromium_args(binary, tmp_path / "profile"), "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=90, check=True,
    ).stdout  # fmt: skip
    scan = ChartScan()
    scan.feed(dom)
    charts = {"latency", "throughput", "errors", "endpoints", "distribution"}
    assert scan.root_attrs.get("data-errors") == "", scan.root_attrs.get("data-errors")
    assert scan.root_attrs.get("data-charts") == str(len(charts))
    assert set(scan.svgs) == charts
    assert all(count >= 1 for count in scan.svgs.values()), scan.svgs
