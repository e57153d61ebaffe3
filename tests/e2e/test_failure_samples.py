"""End to end: failing requests are sampled (first N per kind, `--failure-samples 3`),
redacted, merged across `--workers 2`, written to failures.jsonl and shown in report.html."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli

TOKEN = "tok-FAILSAMPLE-9d2e"
KEY = "key-FAILSAMPLE-41aa"
BODY_SECRET = "pw-FAILSAMPLE-77c0"


def test_failure_samples_across_workers(tmp_path: Path, target_url: str) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"""
config:
  target: {target_url}
  headers: {{Authorization: "Bearer ${{env.TOKEN}}", X-Api-Key: "{KEY}", X-Tenant-Id: t1}}
load: {{vus: 4, duration: 2s}}
flow:
  - get: {{url: "/health?status=500&api_key={KEY}", name: boom}}
  - post:
      url: /api/chat/messages?status=429
      name: chat
      json: {{message: hi, password: "{BODY_SECRET}"}}
  - get: {{url: /health, name: health, expect: {{json: {{"$.missing": 1}}}}}}
  - get: {{url: /health, name: fine}}
  - llm:
      name: ask
      url: /v1/chat/completions?ttft_ms=1&tokens=3&error=1
      model: m
      messages: [{{role: user, content: hi}}]
  - sse: {{name: events, url: "/api/events?count=3&interval_ms=1", until: {{event: never}}}}
""")
    out = tmp_path / "out"
    res = run_cli("run", str(scenario), "--out", str(out), "--quiet", "--workers", "2",
                  "--failure-samples", "3", "-e", f"TOKEN={TOKEN}")  # fmt: skip
    assert res.code in (0, 1), res.stderr
    lines = (out / "failures.jsonl").read_text().splitlines()
    samples = [json.loads(line) for line in lines]
    kinds: dict[str, int] = {}
    for s in samples:
        kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
    # Both workers failed many times per kind; the merge keeps the earliest 3 of each.
    assert kinds == {
        "http_5xx": 3,
        "http_4xx": 3,
        "check_failed": 3,
        "llm_error": 3,
        "stream_cut": 3,
    }, kinds
    times = [s["time"] for s in samples if s["kind"] == "http_5xx"]
    assert times == sorted(times)
    boom = next(s for s in samples if s["name"] == "boom")
    assert boom["status"] == 500 and boom["method"] == "GET"
    assert boom["url"].endswith("/health?status=500&api_key=***")
    assert '"status":500' in boom["response_body"].replace(" ", "")
    headers = dict(boom["request_headers"])
    assert headers["Authorization"] == headers["X-Api-Key"] == "***"
    assert headers["X-Tenant-Id"] == "t1"
    chat = next(s for s in samples if s["name"] == "chat")
    assert chat["method"] == "POST" and '"password":"***"' in chat["request_body"]
    check = next(s for s in samples if s["kind"] == "check_failed")
    assert check["error"].startswith("check failed: $.missing")
    assert '"status"' in check["response_body"]
    llm = next(s for s in samples if s["kind"] == "llm_error")
    assert llm["name"] == "ask" and llm["method"] == "POST" and llm["error"]
    assert '"model":"m"' in llm["request_body"]
    sse = next(s for s in samples if s["kind"] == "stream_cut")
    assert sse["name"] == "events" and sse["status"] == 200 and "until" in sse["error"]
    # Not repeated in the time series; shown in the report.
    assert "failures" not in (out / "timeseries.jsonl").read_text()
    page = (out / "report.html").read_text()
    assert 'id="failures"' in page and "Failure samples" in page
    everything = {p.name: p.read_text(errors="replace") for p in out.iterdir() if p.is_file()}
    everything.update(stdout=res.stdout, stderr=res.stderr)
    for where, text in everything.items():
        for secret in (TOKEN, KEY, BODY_SECRET):
            assert secret not in text, f"{secret} leaked into {where}"
