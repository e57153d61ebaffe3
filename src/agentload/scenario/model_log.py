"""The ``log`` step: print a line with the VU's variables (Artillery's ``log``)."""

from __future__ import annotations

from dataclasses import dataclass

from agentload.scenario.parts import Template

__all__ = ["LogStep"]


@dataclass(frozen=True, slots=True)
class LogStep:
    """Write ``message`` (a template) to stderr, one line, secrets redacted."""

    message: Template
    line: int = 0

    @property
    def name(self) -> str:
        """A label for listings (``agentload inspect``)."""
        return f"log {self.message.source}"
