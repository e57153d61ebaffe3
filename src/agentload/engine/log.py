"""The ``log`` step: one line on stderr per execution (Artillery's ``log``).

It renders its message with the VU's variables; a variable that is not set
shows as ``${name}`` rather than failing the iteration (a log line is for
the user, not a check). Lines are redacted (``agentload._redact``) and
prefixed with the VU's index, so interleaved lines stay attributable.
"""

from __future__ import annotations

import sys
from typing import TextIO

from agentload._redact import redact
from agentload.engine.vu import VU
from agentload.scenario.model_log import LogStep
from agentload.scenario.parts import Template

__all__ = ["LogLine"]


class LogLine:
    """A compiled ``log`` step."""

    def __init__(self, step: LogStep, *, out: TextIO | None = None) -> None:
        self._message: Template = step.message
        self._out = out

    async def run(self, vu: VU, intended_ns: int) -> bool:
        """Write the line; never ends the iteration."""
        try:
            text = self._message.render(vu.variables)
        except KeyError:
            text = self._message.source
        out = self._out or sys.stderr
        line = redact(text).replace("\r", " ").replace("\n", " ")
        out.write(f"[vu {vu.index}] {line}\n")
        return True
