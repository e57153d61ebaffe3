"""Shared fixtures: a real reference target in a child process, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentload.target.process import TargetProcess

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def target_url() -> Iterator[str]:
    """A reference target shared by the session (fast defaults: 5 ms chat latency)."""
    with TargetProcess("--chat-latency", "constant:5ms") as target:
        yield target.url


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None, cwd: Path | None = None
) -> CliResult:
    """Run ``agentload ARGS`` in a subprocess, as a user would."""
    proc = subprocess.run(
        [sys.executable, "-m", "agentload", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "160", **(env or {})},
        cwd=cwd or ROOT,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
