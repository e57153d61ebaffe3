"""Control flow, data feeders and auth end to end: the CLI against the reference target.

Covers seed 001's bulk import (upload, then poll the job until done), per-VU
identity from a unique feeder across two worker processes, a login that runs
once per VU, a bearer token from the environment, and the seed 001 and 003
examples as users run them (briefly).
"""

# ruff: noqa: E501

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from agentload.target.process import TargetProcess
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "examples"


def run(path: Path, out: Path, *args: str) -> dict[str, Any]:
    res = run_cli("run", str(path), "--out", str(out), *args)
    assert res.code == 0, res.stderr + res.stdout
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return summary


def rows(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in summary["requests"]}


def test_seed001_bulk_import_polls_each_job_until_done(tmp_path: Path, target_url: str) -> None:
    summary = run(
        EXAMPLES / "seed001_bulk_import.yaml",
        tmp_path / "out",
        "--target", target_url, "-e", "RAMP=500ms", "-e", "HOLD=1500ms", "--vus", "4",
        "--workers", "1",
    )  # fmt: skip
    by_name = rows(summary)
    uploads = by_name["upload"]["count"]
    assert uploads > 0 and by_name["upload"]["status_codes"] == {"202": uploads}
    polls = by_name["job status"]["count"]
    poll = summary["metrics"]["poll_duration"]
    assert poll["unit"] == "ms"
    # Every finished iteration polled its own job to "done": one poll_duration each.
    assert poll["count"] == summary["metrics"]["iterations"]["count"]
    assert polls >= poll["count"]
    assert summary["errors"] == {}
    assert all(t["passed"] for t in summary["thresholds"]), summary["thresholds"]


def test_seed001_full_system_mixes_operations(tmp_path: Path, target_url: str) -> None:
    summary = run(
        EXAMPLES / "seed001_full_system.yaml",
        tmp_path / "out",
        "--target", target_url, "-e", "RAMP=500ms", "-e", "HOLD=1s", "--vus", "6",
        "--workers", "1",
    )  # fmt: skip
    by_name = rows(summary)
    assert {"schedule call", "analytics"} <= set(by_name)
    assert by_name["schedule call"]["failed"] == 0
    assert summary["metrics"]["http_req_failed"]["rate"] == 0
    assert all(t["passed"] for t in summary["thresholds"]), summary["thresholds"]


def test_seed003_logs_in_once_per_vu_and_checks_health(tmp_path: Path, target_url: str) -> None:
    summary = run(
        EXAMPLES / "seed003_voxanne.yaml",
        tmp_path / "out",
        "--target", target_url, "-e", "RAMP1=500ms", "-e", "RAMP2=500ms", "-e", "HOLD=1s",
        "-e", "DOWN=500ms", "--workers", "1",
    )  # fmt: skip
    by_name = rows(summary)
    assert by_name["login"]["count"] == summary["metrics"]["vus_max"]["max"] == 10
    assert by_name["assistants"]["status_codes"] == {"200": by_name["assistants"]["count"]}
    assert summary["run"]["health"]["before"]["ok"] and summary["run"]["health"]["after"]["ok"]
    assert all(t["passed"] for t in summary["thresholds"]), summary["thresholds"]


IDENTITY = """
config:
  target: {target}
load: {{vus: 6, duration: 2s}}
data:
  users:
    file: users.csv
    strategy: unique
    at_end: stop
  greetings: [hello, hi]
scenarios:
  - name: member
    on_start:
      - post:
          url: /api/auth/login
          name: login
          json: {{username: "{prefix}-${{users.username}}", password: "${{users.password}}"}}
          capture: [{{json: $.access_token, as: token}}]
    flow:
      - get:
          url: /api/assistants
          name: assistants
          headers: {{Authorization: "Bearer ${{token}}"}}
          expect: {{status: 200}}
      - post:
          url: /api/chat/messages
          name: chat
          json: {{message: "${{greetings}} from ${{users.username}}", tenant_id: "${{users.tenant}}"}}
      - think: 100ms
"""


def test_unique_rows_stay_unique_across_two_workers_and_login_runs_once_per_vu(
    tmp_path: Path, target_url: str
) -> None:
    lines = ["username,password,tenant"] + [f"user{i},pw{i},tenant_00{i % 2}" for i in range(5)]
    (tmp_path / "users.csv").write_text("\n".join(lines) + "\n")
    prefix = uuid.uuid4().hex[:8]
    scenario = tmp_path / "identity.yaml"
    scenario.write_text(IDENTITY.format(target=target_url, prefix=prefix))
    summary = run(scenario, tmp_path / "out", "--workers", "2")
    assert summary["run"]["workers"]["count"] == 2
    with urlopen(f"{target_url}/api/auth/logins") as resp:
        logins = json.loads(resp.read())["by_user"]
    ours = {k.removeprefix(prefix + "-"): v for k, v in logins.items() if k.startswith(prefix)}
    # Six VUs over five rows with at_end: stop: VUs 0-4 (split 3 + 2 between the
    # workers) each got their own row and logged in exactly once; VU 5 had no row.
    assert ours == {f"user{i}": 1 for i in range(5)}
    assert summary["metrics"]["data_exhausted"]["count"] == 1
    by_name = rows(summary)
    assert by_name["login"]["count"] == 5
    assert by_name["assistants"]["failed"] == 0 and by_name["assistants"]["count"] > 5
    assert summary["errors"] == {}


OPEN_IDENTITY = """
config:
  target: {target}
load: {{rate: 20, duration: 1500ms, max_vus: 5}}
data:
  users: {{values: [{{u: a}}, {{u: b}}, {{u: c}}], strategy: unique, at_end: stop}}
scenarios:
  - name: s
    pacing: 200ms                 # 20 arrivals/s of 200 ms: every pooled VU is needed
    on_start:
      - post:
          url: /api/auth/login
          name: login
          json: {{username: "{prefix}-${{users.u}}", password: x}}
          capture: [{{json: $.access_token, as: token}}]
    flow:
      - get: {{url: /api/assistants, name: assistants, headers: {{Authorization: "Bearer ${{token}}"}}}}
"""


def test_in_the_open_model_a_vu_without_a_row_leaves_the_pool(
    tmp_path: Path, target_url: str
) -> None:
    prefix = uuid.uuid4().hex[:8]
    scenario = tmp_path / "open.yaml"
    scenario.write_text(OPEN_IDENTITY.format(target=target_url, prefix=prefix))
    summary = run(scenario, tmp_path / "out", "--workers", "1")
    with urlopen(f"{target_url}/api/auth/logins") as resp:
        logins = json.loads(resp.read())["by_user"]
    ours = {k.removeprefix(prefix + "-"): v for k, v in logins.items() if k.startswith(prefix)}
    # Five pooled VUs, all needed, three rows: VUs 3 and 4 ran out once each and took
    # no more work; the arrivals went to the three VUs with a row, each logged in once.
    assert ours == {"a": 1, "b": 1, "c": 1}
    assert summary["metrics"]["data_exhausted"]["count"] == 2
    assert rows(summary)["assistants"]["count"] > 10


@pytest.fixture(scope="module")
def locked_target() -> Iterator[str]:
    with TargetProcess("--token", "s3cret-env-token") as target:
        yield target.url


TOKEN_FROM_ENV = """
config:
  target: {target}
  headers:
    Authorization: "Bearer ${{env.API_TOKEN}}"
load: {{vus: 2, duration: 1s}}
flow:
  - get:
      url: /api/assistants
      name: assistants
      expect: {{status: 200}}
  - get:
      url: /api/auth/status
      name: status
      expect: {{json: {{$.token_valid: true}}}}
  - get:
      url: /api/assistants
      name: wrong token
      headers: {{Authorization: "Bearer ${{env.OTHER_TOKEN}}"}}
      expect: {{status: 401}}
"""


def test_a_bearer_token_from_the_environment_opens_protected_endpoints(
    tmp_path: Path, locked_target: str
) -> None:
    scenario = tmp_path / "token.yaml"
    scenario.write_text(TOKEN_FROM_ENV.format(target=locked_target))
    out = tmp_path / "out"
    env = ("-e", "API_TOKEN=s3cret-env-token", "-e", "OTHER_TOKEN=wrong")
    summary = run(scenario, out, *env, "--workers", "1")
    assert all(c["fails"] == 0 for c in summary["checks"]), summary["checks"]
    by_name = rows(summary)
    assert by_name["assistants"]["status_codes"] == {"200": by_name["assistants"]["count"]}
    # The same endpoint refuses the other token: the header really carries the env value.
    assert by_name["wrong token"]["status_codes"] == {"401": by_name["wrong token"]["count"]}
    for written in out.iterdir():
        if written.is_file():
            assert "s3cret-env-token" not in written.read_text(errors="replace"), written
