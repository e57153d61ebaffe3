"""The reference target in a child process, for the demo and for tests.

A child process keeps the target off the load generator's event loop (and, on
two cores, off its core), so what we measure is the generator, not a shared loop.
"""

from __future__ import annotations

import subprocess
import sys
import time

from agentload.errors import RunError
from agentload.target.command import LISTENING_PREFIX

__all__ = ["TargetProcess"]


class TargetProcess:
    """The reference target in a child process (so it does not share our event loop)."""

    def __init__(self, *args: str, startup_timeout: float = 20.0) -> None:
        self.args = args
        self.startup_timeout = startup_timeout
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> TargetProcess:
        cmd = [
            sys.executable,
            "-m",
            "agentload.target",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            *self.args,
        ]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            line = self._proc.stdout.readline()
            if not line:
                break
            if line.startswith(LISTENING_PREFIX):
                self.url = line[len(LISTENING_PREFIX) :].strip()
                return self
        self.__exit__()
        raise RunError("the reference target did not start; run `agentload target` to see why")

    def __exit__(self, *exc: object) -> None:
        proc = self._proc
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        self._proc = None
