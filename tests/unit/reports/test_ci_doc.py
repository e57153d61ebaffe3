"""docs/ci.md stays true: its YAML parses, and every agentload flag it uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from agentload.cli import cli

DOC = Path(__file__).resolve().parents[3] / "docs" / "ci.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), flags=re.S)


def _help(command: str) -> str:
    res = CliRunner().invoke(cli, [command, "--help"], terminal_width=200)
    assert res.exit_code == 0, res.output
    return res.output


def test_workflows_are_valid_yaml() -> None:
    blocks = _blocks("yaml")
    assert len(blocks) >= 3
    docs = [yaml.safe_load(b) for b in blocks]
    github = docs[0]
    steps = github["jobs"]["load-test"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/upload-artifact") for u in uses)
    assert any(u.startswith("actions/cache/restore") for u in uses)
    run = next(s["run"] for s in steps if s.get("name") == "Run the load test")
    assert "--baseline baseline" in run and "--out results/ci" in run
    gitlab = next(d for d in docs if isinstance(d, dict) and "script" in d.get("load-test", {}))
    assert gitlab["load-test"]["artifacts"]["reports"]["junit"] == "results/ci/junit.xml"


# Flags of other tools in the doc: curl, apt-get, the GitHub CLI.
_FOREIGN = {"--port", "--header", "--branch", "--workflow", "--status", "--limit", "--json",
            "--jq", "--name", "--dir", "--no-install-recommends"}  # fmt: skip


def test_every_agentload_flag_exists() -> None:
    known = _help("run") + _help("compare") + _help("target")
    flags = set(re.findall(r"(--[a-z][a-z-]+)", DOC.read_text())) - _FOREIGN
    assert {"--baseline", "--max-regression", "--out", "--target", "--quiet"} <= flags
    missing = sorted(f for f in flags if f not in known)
    assert not missing, missing
