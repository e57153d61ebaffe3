"""The webhook examples as a user runs them, against a target that verifies signatures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentload.target.process import TargetProcess
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

SECRET = "whsec-e2e-PLANTED-c41d"
ENV = ("-e", f"VAPI_SECRET={SECRET}", "-e", f"RETELL_API_KEY={SECRET}",
       "-e", f"WEBHOOK_SECRET={SECRET}")  # fmt: skip


@pytest.fixture(scope="module")
def signed_target() -> Iterator[str]:
    with TargetProcess("--webhook-secret", SECRET, "--tool-latency", "constant:1ms") as target:
        yield target.url


def _run(example: str, target: str, out: Path, *extra: str) -> dict[str, object]:
    args = ("--target", target, "--duration", "2s", "--workers", "1", "--out", str(out))
    res = run_cli("run", str(ROOT / "examples" / example), *args, *ENV, *extra)
    assert res.code == 0, res.stderr + res.stdout
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), f"the secret leaked into {path}"
    assert SECRET not in res.stdout + res.stderr
    summary: dict[str, object] = json.loads((out / "summary.json").read_text())
    return summary


def _rows(summary: dict[str, object]) -> dict[str, dict[str, object]]:
    return {str(r["name"]): r for r in summary["requests"]}  # type: ignore[attr-defined]


def test_vapi_example(tmp_path: Path, signed_target: str) -> None:
    summary = _run("webhook_vapi.yaml", signed_target, tmp_path / "out")
    rows = _rows(summary)
    assert {"assistant-request", "tool-calls", "end-of-call-report"} <= set(rows)
    calls = rows["assistant-request"]["count"]
    assert isinstance(calls, int) and calls > 0
    assert rows["tool-calls"]["count"] >= 10 * (calls - 10)  # ten per call (10 VUs may be cut)
    assert all(r["failed"] == 0 for r in rows.values())
    metrics = summary["metrics"]
    assert metrics["http_req_duration"]["count"] > 0  # type: ignore[index]
    assert summary["errors"] == {}
    assert all(c["fails"] == 0 for c in summary["checks"])  # type: ignore[attr-defined]


def test_retell_example_counts_the_forged_deliveries_as_4xx(
    tmp_path: Path, signed_target: str
) -> None:
    summary = _run("webhook_retell.yaml", signed_target, tmp_path / "out")
    rows = _rows(summary)
    assert rows["call_started"]["failed"] == 0 and rows["call_analyzed"]["failed"] == 0
    forged = rows["forged"]
    assert forged["count"] == forged["failed"] and forged["count"] > 0
    assert summary["errors"] == {"http_4xx": forged["count"]}
    assert all(t["passed"] for t in summary["thresholds"])  # type: ignore[attr-defined]


def test_generic_example(tmp_path: Path, signed_target: str) -> None:
    summary = _run("webhook_generic.yaml", signed_target, tmp_path / "out")
    row = _rows(summary)["order.updated"]
    assert row["count"] > 0 and row["failed"] == 0
    assert summary["errors"] == {}


def test_a_wrong_secret_fails_the_thresholds(tmp_path: Path, signed_target: str) -> None:
    out = tmp_path / "out"
    args = ("--target", signed_target, "--duration", "1s", "--workers", "1", "--out", str(out))
    res = run_cli("run", str(ROOT / "examples" / "webhook_generic.yaml"), *args,
                  "-e", "WEBHOOK_SECRET=wrong")  # fmt: skip
    assert res.code == 1, res.stderr + res.stdout
    summary = json.loads((out / "summary.json").read_text())
    row = _rows(summary)["order.updated"]
    assert row["failed"] == row["count"] > 0
    assert summary["errors"] == {"http_4xx": row["count"]}
