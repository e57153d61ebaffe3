"""Import a user's Python file and turn whatever goes wrong into ``file:line`` issues.

The file is compiled from its text (so a worker process runs exactly the
text the coordinator validated) and executed as a fresh module registered
in ``sys.modules`` under a private name (``agentload_user_<stem>_<hash>``),
so classes and functions defined there pickle and introspect normally and
a file called ``json.py`` shadows nothing. Its folder is put on
``sys.path`` (as Locust does for a locustfile) so it can import modules
beside it.

Errors never escape as tracebacks: a syntax error is reported at its line;
an exception raised while the module runs (a failed import, a bad
declaration) at the deepest line of the user's file in its traceback.
"""

from __future__ import annotations

import hashlib
import sys
import traceback
import types
from pathlib import Path

from agentload._redact import redact_body
from agentload.errors import Issue
from agentload.metrics import MetricDef
from agentload.metrics.custom import CustomMetric
from agentload.scenario._nodes import one_line

__all__ = ["ModuleLoad", "import_text", "module_metrics", "read_source", "user_line"]


class ModuleLoad:
    """The outcome of an import: the module, or the issues that stopped it."""

    __slots__ = ("issues", "module")

    def __init__(self, module: types.ModuleType | None, issues: list[Issue]) -> None:
        self.module = module
        self.issues = issues


def read_source(path: Path, shown: str) -> tuple[str | None, list[Issue]]:
    """The text of ``path`` (UTF-8), or an issue saying why it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return None, [Issue(shown, 0, f"cannot read the Python file: {reason}; check the path")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [Issue(shown, line, "the file is not UTF-8 text; save it as UTF-8")]


def _module_name(path: Path) -> str:
    stem = "".join(c if c.isalnum() or c == "_" else "_" for c in path.stem)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    return f"agentload_user_{stem}_{digest}"


def _hint(exc: BaseException) -> str:
    if isinstance(exc, ModuleNotFoundError):
        missing = exc.name or "the module"
        return (
            f"install {missing} into agentload's environment (.venv/bin/pip install …) "
            "or put the module beside the file"
        )
    if isinstance(exc, ImportError):
        return "check the name imported (see docs/python-api.md for agentload's API)"
    return "fix the code at that line (see docs/python-api.md)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    name = type(exc).__name__
    return redact_body(f"{name}: {message}" if message else name)


def import_text(text: str, path: Path, shown: str) -> ModuleLoad:
    """Compile and run ``text`` as the module of file ``path`` (``shown`` in messages).

    ``path`` should be absolute: it names the module and goes into tracebacks.
    """
    try:
        code = compile(text, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        # IndentationError and TabError are SyntaxErrors too.
        what = exc.msg or "invalid syntax"
        return ModuleLoad(
            None,
            [Issue(shown, exc.lineno or 0, one_line(f"Python syntax error: {what}; fix the code"))],
        )
    except ValueError as exc:  # e.g. a NUL byte in the source
        return ModuleLoad(None, [Issue(shown, 0, one_line(f"cannot compile the file: {exc}"))])
    name = _module_name(path)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except Exception as exc:
        sys.modules.pop(name, None)
        return ModuleLoad(None, [Issue(shown, _user_line(exc, path), _describe(exc))])
    except SystemExit as exc:
        sys.modules.pop(name, None)
        return ModuleLoad(
            None,
            [
                Issue(
                    shown,
                    _user_line(exc, path),
                    "the module called sys.exit() while loading; remove the call",
                )
            ],
        )
    return ModuleLoad(module, [])


def _describe(exc: BaseException) -> str:
    if type(exc).__name__ == "DeclarationError":  # agentload's own words: no type, no hint
        return one_line(redact_body(str(exc)))
    return one_line(f"{_first_line(exc)}; {_hint(exc)}")


def _user_line(exc: BaseException, path: Path) -> int:
    """The deepest line of the user's file in the traceback of ``exc`` (0 if none)."""
    line = 0
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(path):
            line = frame.lineno or line
    return line


def user_line(exc: BaseException, path: str) -> int:
    """Public form of the traceback search, for errors raised after the import."""
    return _user_line(exc, Path(path))


def module_metrics(namespace: dict[str, object]) -> tuple[list[MetricDef], list[str]]:
    """The custom metrics declared in a module's namespace, and clashes between them."""
    found: dict[str, MetricDef] = {}
    clashes: list[str] = []
    for value in list(namespace.values()):
        if not isinstance(value, CustomMetric):
            continue
        d = value.definition
        known = found.get(d.name)
        if known is not None and (known.kind, known.unit) != (d.kind, d.unit):
            clashes.append(
                f"metric {d.name!r} is declared as a {known.kind} and as a {d.kind}; "
                "give each its own name"
            )
            continue
        found.setdefault(d.name, d)
    return list(found.values()), clashes
