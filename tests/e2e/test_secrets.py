"""Secrets never appear in any output: plant them, run, search every file and stream."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

TOKEN = "tok-PLANTED-7f3a9c"
API_KEY = "key-PLANTED-51d0e2"
LITERAL = "lit-PLANTED-a8b4c6"
HOOK_SECRET = "whsec-PLANTED-3e9f1b"  # webhook signing secret (test_webhook_*.py)


def test_planted_secrets_are_in_no_output(tmp_path: Path, target_url: str) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"""
config:
  target: {target_url}
  headers: {{Authorization: "Bearer ${{env.TOKEN}}", X-Api-Key: "${{env.API_KEY}}"}}
load: {{vus: 2, duration: 2s}}
flow:
  - get: /api/assistants
  - get: "/health?api_key=${{env.API_KEY}}"
  - get: "/health?access_token={LITERAL}"
  - get: {{url: "/api/billing/usage?fail_rate=1&token={LITERAL}"}}
  - webhook: {{url: "/webhooks/vapi?status=500", event: end-of-call-report,
               sign: {{scheme: vapi, secret: "${{env.HOOK_SECRET}}"}}}}
  - webhook: {{url: /webhooks/retell, event: call_ended,
               sign: {{scheme: retell, secret: "${{env.HOOK_SECRET}}"}}}}
thresholds:
  http_req_failed: ["rate<0.5"]
""")
    out = tmp_path / "out"
    res = run_cli("run", str(scenario), "--out", str(out), "--workers", "1",
                  "-e", f"TOKEN={TOKEN}", "-e", f"API_KEY={API_KEY}",
                  "-e", f"HOOK_SECRET={HOOK_SECRET}")
    assert res.code in (0, 1), res.stderr
    written = sorted(p for p in out.rglob("*") if p.is_file())
    names = {p.name for p in written}
    assert {"summary.json", "timeseries.jsonl", "aggregate.json", "report.html", "stats.csv",
            "history.csv", "junit.xml", "plan.json"} <= names
    streams = {"stdout": res.stdout, "stderr": res.stderr}
    streams.update({p.name: p.read_text(errors="replace") for p in written})
    for where, text in streams.items():
        for secret in (TOKEN, API_KEY, LITERAL, HOOK_SECRET):
            assert secret not in text, f"{secret} leaked into {where}"
    # The requests really ran (the secrets were sent, just never shown).
    assert "/api/assistants" in streams["summary.json"]
    assert "access_token=***" in streams["summary.json"]
    assert "webhook end-of-call-report /webhooks/vapi?status=500" in streams["summary.json"]
