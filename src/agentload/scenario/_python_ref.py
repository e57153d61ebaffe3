"""``- python: helpers.py:record_phase`` — a YAML step that calls a Python function.

The file is relative to the scenario's folder; the function must be an
``async def f(ctx)`` at its top level (``Class.method`` is not looked up).
It gets the same ``ctx`` as a Python scenario (docs/python-api.md): the VU's
variables are the YAML captures, and its custom metrics are recorded like
built-in ones. Every reference is resolved when the scenario loads, so a
missing file, a syntax error in it or a misspelled function is a
``file:line`` issue before any load is sent.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import types
from collections.abc import Iterable
from pathlib import Path

from agentload.metrics import MetricDef
from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._nodes import YNode
from agentload.scenario._python_module import import_text, module_metrics, read_source
from agentload.scenario.model import Scenario
from agentload.scenario.model_python import PythonStep

__all__ = ["python_metrics", "read_python_step"]

_EXAMPLE = "e.g. python: helpers.py:record_phase"
_HASH_ATTR = "__agentload_source_sha256__"


def _module(ctx: Ctx, file: Path, shown: str, line: int, path: str) -> types.ModuleType | None:
    text, issues = read_source(file, shown)
    if text is None:
        ctx.error(line, path, f"{issues[0].message.split(';')[0]}: {shown}; check the file name")
        return None
    digest = hashlib.sha256(text.encode()).hexdigest()
    loaded = None
    for module in list(sys.modules.values()):
        # The same file, unchanged, referenced again (another step, another scenario).
        if getattr(module, _HASH_ATTR, None) == digest and getattr(module, "__file__", None) == str(
            file
        ):
            loaded = module
            break
    if loaded is None:
        result = import_text(text, file, shown)
        if result.module is None:
            for issue in result.issues:
                # Reported at the step, naming the line in the Python file.
                where = f"{shown}:{issue.line}" if issue.line else shown
                ctx.error(line, path, f"{where}: {issue.message}")
            return None
        loaded = result.module
        setattr(loaded, _HASH_ATTR, digest)
    return loaded


def read_python_step(ctx: Ctx, node: YNode, path: str, line: int) -> PythonStep | None:
    """Read the reference ``file.py:function`` and resolve it now."""
    text = ctx.text(node, path, expected=f"a reference file.py:function ({_EXAMPLE})")
    if text is None:
        return None
    file_part, sep, name = text.strip().rpartition(":")
    if not sep or not file_part.endswith(".py") or not name.isidentifier():
        ctx.error(line, path, f"{text!r} is not a reference file.py:function; write {_EXAMPLE}")
        return None
    file = (ctx.base_dir / file_part).resolve()
    module = _module(ctx, file, file_part, line, path)
    if module is None:
        return None
    fn = getattr(module, name, None)
    if fn is None:
        candidates = [k for k, v in vars(module).items() if inspect.iscoroutinefunction(v)]
        guess = did_you_mean(name, candidates)
        hint = (
            f"did you mean {guess!r}?"
            if guess
            else ("define it there as 'async def " + name + "(ctx)'")
        )
        ctx.error(line, path, f"{file_part} has no function {name!r}; {hint}")
        return None
    if not inspect.iscoroutinefunction(fn):
        ctx.error(line, path, f"{file_part}:{name} must be an 'async def {name}(ctx)' function")
        return None
    metrics, clashes = module_metrics(vars(module))
    for clash in clashes:
        ctx.error(line, path, f"{file_part}: {clash}")
    return PythonStep(f"{Path(file_part).name}:{name}", fn, tuple(metrics), None, line)


def python_metrics(scenarios: Iterable[Scenario]) -> dict[str, MetricDef]:
    """The custom metrics declared by the modules of every ``python:`` step, by name."""
    out: dict[str, MetricDef] = {}

    def walk(steps: object) -> None:
        for step in steps if isinstance(steps, tuple) else ():
            if isinstance(step, PythonStep):
                for d in step.metrics:
                    out.setdefault(d.name, d)
            for value in getattr(step, "__dataclass_fields__", {}):
                nested = getattr(step, value, None)
                if isinstance(nested, tuple) and nested and not isinstance(nested[0], str):
                    walk(nested)

    for scenario in scenarios:
        walk(scenario.steps)
    return out
