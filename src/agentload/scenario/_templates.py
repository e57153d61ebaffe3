"""Splitting text into literals, ``${env.NAME}`` values and ``${var}`` references.

Every string value of a scenario file goes through :func:`split_text` once,
when the file is composed: ``${env.NAME}`` (and ``${env.NAME:-default}``) is
replaced by the value from the injected environment, ``${name}`` becomes a
:class:`~agentload.scenario.model.VarRef` resolved by the engine at run time,
``${helper(args)}`` becomes a :class:`~agentload.scenario.parts.Call` run at
every render (:mod:`agentload.scenario.helpers`), and ``$${`` stands for a
literal ``${``. Problems are returned as messages
rather than raised, so the loader can report every one of them with its line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agentload.scenario.helpers import HELPERS, check_int_args
from agentload.scenario.parts import Call, CallArg, Template, VarRef

__all__ = [
    "VAR_NAME",
    "SplitText",
    "is_var_name",
    "make_template",
    "render_parts",
    "split_text",
]

VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+))*")
"""A run-time variable name: identifier characters, dots between the pieces.

A piece after a dot may be a number, an index into a list (``${items.0.id}``).
"""

_CALL = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*", re.DOTALL)
_ARG = re.compile(
    r"\s*(?:(?P<int>[+-]?\d+)|(?P<float>[+-]?\d+\.\d*|[+-]?\.\d+)"
    r"|'(?P<sq>[^']*)'|\"(?P<dq>[^\"]*)\"|(?P<var>" + VAR_NAME.pattern + r"))\s*(?:,|$)"
)
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
    """Join parts for display, writing references back as ``${name}`` (calls as written)."""
    return "".join(p if isinstance(p, str) else "${" + _ref_text(p) + "}" for p in parts)


def _ref_text(ref: VarRef) -> str:
    if not isinstance(ref, Call):
        return ref.name
    args = ", ".join(
        a.name if isinstance(a, VarRef) else repr(a) if isinstance(a, str) else str(a)
        for a in ref.args
    )
    return f"{ref.name}({args})"


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
        elif VAR_NAME.fullmatch(inner) or _CALL.fullmatch(inner):
            ref = VarRef(inner) if "(" not in inner else _call(inner, problems)
            if ref is None:
                buf.append(text[dollar:i])
                continue
            literal = "".join(buf)
            if literal:
                parts.append(literal)
            buf.clear()
            parts.append(ref)
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


def _call(inner: str, problems: list[str]) -> Call | None:
    """A helper call such as ``randint(1, 10)``; ``None`` after recording a problem."""
    match = _CALL.fullmatch(inner)
    assert match is not None
    name, arg_text = match.group(1), match.group(2)
    helper = HELPERS.get(name)
    if helper is None:
        guess = _closest(name, HELPERS)
        hint = (
            f"did you mean {guess}()?"
            if guess
            else "use one of " + ", ".join(f"{n}()" for n in HELPERS)
        )
        problems.append(f"'${{{inner}}}': unknown helper '{name}'; {hint}")
        return None
    args: list[CallArg] = []
    pos = 0
    arg_text = arg_text.strip()
    while pos < len(arg_text):
        arg = _ARG.match(arg_text, pos)
        if arg is None or arg.end() == pos:
            problems.append(
                f"'${{{inner}}}': cannot read the arguments; write numbers, quoted text "
                f"or variable names separated by commas: {helper.usage}"
            )
            return None
        pos = arg.end()
        if arg.group("int") is not None:
            args.append(int(arg.group("int")))
        elif arg.group("float") is not None:
            args.append(float(arg.group("float")))
        elif arg.group("sq") is not None:
            args.append(arg.group("sq"))
        elif arg.group("dq") is not None:
            args.append(arg.group("dq"))
        else:
            args.append(VarRef(arg.group("var")))
    too_many = helper.max_args is not None and len(args) > helper.max_args
    if len(args) < helper.min_args or too_many:
        problems.append(
            f"'${{{inner}}}': {name}() takes {_arity(helper.min_args, helper.max_args)}, "
            f"found {len(args)}; write {helper.usage}"
        )
        return None
    if helper.ints:
        if not all(isinstance(a, int) for a in args):
            problems.append(
                f"'${{{inner}}}': {name}() takes whole numbers written in the file, "
                f"not variables or text; write {helper.usage} with numbers"
            )
            return None
        problem = check_int_args(name, args)
        if problem is not None:
            problems.append(problem)
            return None
    return Call(name, tuple(args))


def _arity(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} argument" + ("s" if low != 1 else "")
    if low == high:
        return "no arguments" if low == 0 else f"{low} argument" + ("s" if low != 1 else "")
    return f"{low} to {high} arguments"


def _closest(word: str, choices: Mapping[str, object]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


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
