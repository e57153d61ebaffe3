"""Collecting issues and reading typed values out of the located tree.

Every reader takes the node, a dotted path for messages (``config.timeout.read``)
and returns the value or ``None`` after recording an issue, so validation goes
on and the user sees every problem in one run. Messages follow one shape:
``<path>: what was wrong; what to do``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Iterable
from pathlib import Path

from agentload._units import parse_duration
from agentload.errors import Issue
from agentload.scenario._nodes import YMap, YNode, YScalar, YSeq, one_line
from agentload.scenario._templates import make_template, render_parts
from agentload.scenario.model import Template

__all__ = ["Ctx", "describe", "did_you_mean"]


def describe(node: YNode | None) -> str:
    """Say what a value is, for "expected …, found …" messages."""
    if node is None:
        return "nothing"
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    value = node.value
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"the number {value}"
    text = str(value)
    if len(text) > 40:
        text = text[:39] + "…"
    return f"the text {text!r}"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word``, if any is close enough."""
    pool = list(choices)
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return close[0] if close else None


class Ctx:
    """Where issues are collected while one file is read."""

    def __init__(self, filename: str, base_dir: Path) -> None:
        self.filename = filename
        self.base_dir = base_dir
        self.issues: list[Issue] = []

    def error(self, line: int, path: str, message: str) -> None:
        """Record ``path: message`` at ``line``."""
        text = f"{path}: {message}" if path else message
        self.issues.append(Issue(self.filename, line, one_line(text)))

    def wrong_type(self, node: YNode, path: str, expected: str, hint: str | None = None) -> None:
        """Record that ``node`` is not what ``expected`` describes."""
        if hint is None:
            hint = "see docs/scenario-format.md for the format"
            if isinstance(node, YScalar) and isinstance(node.value, str) and node.value.strip():
                try:
                    number = float(node.value)
                except ValueError:
                    pass
                else:
                    # Quoted ("4"), or an exponent without a dot (1e3), which
                    # YAML 1.1 reads as text: either way, a plain number works.
                    plain = int(number) if number.is_integer() else number
                    hint = f"write it as a plain number without quotes, e.g. {plain}"
        self.error(node.line, path, f"expected {expected}, found {describe(node)}; {hint}")

    # -- structure -----------------------------------------------------------

    def check_keys(self, node: YMap, path: str, allowed: Collection[str]) -> set[str]:
        """Record every key of ``node`` that is not in ``allowed``.

        Returns the suggested names, so callers can skip a "missing key" issue
        for a key that is only misspelled.
        """
        suggested: set[str] = set()
        for key, _ in node.items:
            if key.text in allowed:
                continue
            guess = did_you_mean(key.text, allowed)
            if guess:
                suggested.add(guess)
            hint = (
                f"did you mean '{guess}'?"
                if guess
                else "allowed keys are " + ", ".join(sorted(allowed))
            )
            self.error(key.line, path, f"unknown key '{key.text}'; {hint}")
        return suggested

    def mapping(self, node: YNode, path: str, expected: str = "a mapping") -> YMap | None:
        """``node`` as a mapping, or ``None`` (with an issue)."""
        if isinstance(node, YMap):
            return node
        self.wrong_type(node, path, expected)
        return None

    def sequence(self, node: YNode, path: str, expected: str = "a list") -> YSeq | None:
        """``node`` as a list, or ``None`` (with an issue)."""
        if isinstance(node, YSeq):
            return node
        self.wrong_type(node, path, expected)
        return None

    def scalar(self, node: YNode, path: str, expected: str) -> YScalar | None:
        """``node`` as a scalar whose string problems are reported now."""
        if not isinstance(node, YScalar):
            self.wrong_type(node, path, expected)
            return None
        for problem in node.problems:
            self.error(node.line, path, problem)
        # A value with a broken reference would only cause follow-on issues.
        return None if node.problems else node

    def _no_refs(self, scalar: YScalar, path: str) -> bool:
        refs = [p.name for p in scalar.parts if not isinstance(p, str)]
        if refs:
            self.error(
                scalar.line,
                path,
                f"run-time variables such as ${{{refs[0]}}} cannot be used here; "
                "write the value (only ${env.NAME} is resolved in this field)",
            )
        return not refs

    def _not_text(self, scalar: YScalar, path: str, expected: str) -> None:
        if isinstance(scalar.value, bool) or scalar.value is None:
            self.error(
                scalar.line,
                path,
                f"expected {expected}, found {describe(scalar)}; "
                f'quote it ("{scalar.raw}") if you mean the text',
            )
        else:
            self.wrong_type(scalar, path, expected)

    # -- text ----------------------------------------------------------------

    def text(
        self, node: YNode, path: str, *, expected: str = "text", numbers: bool = False
    ) -> str | None:
        """Plain text: run-time ``${var}`` references are not allowed here.

        With ``numbers``, a number is accepted and written as text (``page: 1``).
        """
        scalar = self.scalar(node, path, expected)
        if scalar is None:
            return None
        value = scalar.value
        if numbers and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self._not_text(scalar, path, expected)
            return None
        return value if self._no_refs(scalar, path) else None

    def template(self, node: YNode, path: str, *, expected: str = "text") -> Template | None:
        """Text that may hold ``${var}`` references; numbers are accepted as text."""
        scalar = self.scalar(node, path, expected)
        if scalar is None:
            return None
        value = scalar.value
        if isinstance(value, str) or (
            isinstance(value, int | float) and not isinstance(value, bool)
        ):
            return make_template(scalar.parts, scalar.raw or render_parts(scalar.parts))
        self._not_text(scalar, path, expected)
        return None

    # -- numbers -------------------------------------------------------------

    def integer(
        self,
        node: YNode,
        path: str,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        what: str = "a whole number",
    ) -> int | None:
        """A whole number, at least ``minimum`` and at most ``maximum`` when given."""
        scalar = self.scalar(node, path, what)
        if scalar is None:
            return None
        value = scalar.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.wrong_type(node, path, what)
            return None
        if minimum is not None and value < minimum:
            message = f"must be at least {minimum}, found {value}; use {minimum} or more"
            self.error(scalar.line, path, message)
            return None
        if maximum is not None and value > maximum:
            message = f"{value:,} is above the limit of {maximum:,}; lower it"
            self.error(scalar.line, path, message)
            return None
        return value

    def number(
        self, node: YNode, path: str, *, positive: bool = False, what: str = "a number"
    ) -> float | None:
        """A finite number; with ``positive``, greater than 0, else at least 0."""
        scalar = self.scalar(node, path, what)
        if scalar is None:
            return None
        value = scalar.value
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.wrong_type(node, path, what)
            return None
        return self.check_range(float(value), scalar.line, path, positive=positive)

    def check_range(self, value: float, line: int, path: str, *, positive: bool) -> float | None:
        """``value`` if finite and ≥ 0 (> 0 with ``positive``), else ``None`` with an issue."""
        if not math.isfinite(value):
            self.error(line, path, f"must be a finite number, found {value}; write a number")
            return None
        if positive and value <= 0:
            self.error(line, path, f"must be greater than 0, found {value:g}; use a positive value")
            return None
        if value < 0:
            self.error(line, path, f"cannot be negative, found {value:g}; use 0 or more")
            return None
        return value

    def boolean(self, node: YNode, path: str) -> bool | None:
        """``true`` or ``false``."""
        scalar = self.scalar(node, path, "true or false")
        if scalar is None:
            return None
        if not isinstance(scalar.value, bool):
            self.wrong_type(node, path, "true or false")
            return None
        return scalar.value

    def duration(self, node: YNode, path: str, *, positive: bool = False) -> float | None:
        """Seconds from ``30s``, ``1m30s``, ``500ms`` or a bare number of seconds."""
        what = "a duration such as 30s or 500ms"
        scalar = self.scalar(node, path, what)
        if scalar is None:
            return None
        value = scalar.value
        if isinstance(value, str) and not self._no_refs(scalar, path):
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.wrong_type(node, path, what)
            return None
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            hint = (
                "use a positive duration such as 30s"
                if "negative" in str(exc)
                else "the units are us, ms, s, m, h and d, with no spaces (1m30s)"
            )
            self.error(scalar.line, path, f"{exc}; {hint}")
            return None
        return self.check_range(seconds, scalar.line, path, positive=positive)

    def choice(self, node: YNode, path: str, choices: Collection[str]) -> str | None:
        """One of ``choices`` (case-sensitive), with a suggestion when it is not."""
        text = self.text(node, path, expected="one of " + ", ".join(choices))
        if text is None:
            return None
        if text in choices:
            return text
        guess = did_you_mean(text, choices)
        hint = f"did you mean '{guess}'?" if guess else "use one of " + ", ".join(choices)
        self.error(node.line, path, f"unknown value '{text}'; {hint}")
        return None
