"""Splitting text into literals, ``${env.NAME}`` values and ``${var}`` references.

Every string value of a scenario file goes through :func:`split_text` once,
when the file is composed: ``${env.NAME}`` (and ``${env.NAME:-default}``) is
replaced by the value from the injected environment, ``${name}`` becomes a
:class:`~agentload.scenario.model.VarRef` resolved by the engine at run time,
and ``$${`` stands for a literal ``${``. Problems are returned as messages
rather than raised, so the loader can report every one of them with its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agentload.scenario.model import Template, VarRef

__all__ = [
    "VAR_NAME",
    "SplitText",
    "is_var_name",
    "make_template",
    "render_parts",
    "split_text",
]

VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
"""A run-time variable name: identifier characters, dots between the pieces."""

_ENV_REF = re.compile(r"env\.([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)


@dataclass(frozen=True, slots=True)
class SplitText:
    """The result of :func:`split_text`.

    Attributes:
        parts: literal strings (adjacent ones merged) and variable references.
        problems: messages for malformed references or missing environment
            variables; the loader reports them when the value is used.
        used_env: True when at least one ``${env.…}`` was substituted.
    """

    parts: tuple[str | VarRef, ...]
    problems: tuple[str, ...] = ()
    used_env: bool = False

    @property
    def text(self) -> str:
        """The text with variable references written back as ``${name}``."""
        return render_parts(self.parts)


def is_var_name(name: str) -> bool:
    """True when ``name`` may be used as a run-time variable (``${name}``)."""
    return VAR_NAME.fullmatch(name) is not None and name != "env" and not name.startswith("env.")


def render_parts(parts: Sequence[str | VarRef]) -> str:
    """Join parts for display, writing references back as ``${name}``."""
    return "".join(p if isinstance(p, str) else "${" + p.name + "}" for p in parts)


def make_template(parts: Sequence[str | VarRef], source: str) -> Template:
    """Build a :class:`Template`; ``source`` is the text as written in the file."""
    return Template(parts=tuple(parts), source=source)


def split_text(text: str, env: Mapping[str, str]) -> SplitText:
    """Split ``text`` into literals and references, substituting ``${env.…}``."""
    parts: list[str | VarRef] = []
    problems: list[str] = []
    buf: list[str] = []
    used_env = False
    i = 0
    n = len(text)
    while i < n:
        dollar = text.find("$", i)
        if dollar < 0:
            buf.append(text[i:])
            break
        buf.append(text[i:dollar])
        if text.startswith("$${", dollar):
            buf.append("${")
            i = dollar + 3
            continue
        if not text.startswith("${", dollar):
            buf.append("$")
            i = dollar + 1
            continue
        end = text.find("}", dollar + 2)
        if end < 0:
            problems.append(
                f"'${{' without a closing '}}' in {_short(text)}; "
                "close the reference or write '$${' for a literal '${'"
            )
            buf.append(text[dollar:])
            break
        inner = text[dollar + 2 : end]
        i = end + 1
        if inner == "env" or inner.startswith("env."):
            used_env = True
            value = _env_value(inner, env, problems)
            buf.append(value)
        elif VAR_NAME.fullmatch(inner):
            literal = "".join(buf)
            if literal:
                parts.append(literal)
            buf.clear()
            parts.append(VarRef(inner))
        else:
            problems.append(
                f"'${{{inner}}}' is not a valid variable reference; use ${{name}} with "
                "letters, digits, '_' and '.', ${env.NAME} for the environment, "
                "or write '$${' for a literal '${'"
            )
            buf.append(text[dollar:i])
    literal = "".join(buf)
    if literal:
        parts.append(literal)
    return SplitText(parts=tuple(parts), problems=tuple(problems), used_env=used_env)


def _env_value(inner: str, env: Mapping[str, str], problems: list[str]) -> str:
    match = _ENV_REF.fullmatch(inner)
    if match is None:
        problems.append(
            f"'${{{inner}}}' is not a valid environment reference; "
            "write ${env.NAME} or ${env.NAME:-default}"
        )
        return ""
    name, default = match.group(1), match.group(2)
    if name in env:
        return env[name]
    if default is not None:
        return default
    problems.append(
        f"environment variable {name} is not set; pass -e {name}=value "
        f"or give a default: ${{env.{name}:-default}}"
    )
    return ""


def _short(text: str, limit: int = 60) -> str:
    # Keep messages on one readable line even for long values.
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(shown)
