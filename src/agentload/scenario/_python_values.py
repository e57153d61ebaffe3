"""Python declarations (``config``, ``load``, ``thresholds``) as located YAML trees.

A Python scenario declares its sections with the same shapes a YAML file
writes (``load = {"stages": [...]}``); turning the values into the located
tree of :mod:`agentload.scenario._nodes` lets the YAML section readers check
them with the same rules and messages. Lines come from the module's syntax
tree: when the value was written as a literal, each key and list item gets
its own line; otherwise (built by code) the line of the assignment.
Strings go through the same template split as YAML text, so ``${env.NAME}``
and ``${var}`` work alike.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from agentload.metrics.custom import CustomMetric
from agentload.scenario._nodes import YKey, YMap, YNode, YScalar, YSeq
from agentload.scenario._templates import split_text

__all__ = ["SECTIONS", "assignments", "to_node"]

SECTIONS = ("config", "load", "thresholds")
_MAX_DEPTH = 100


def assignments(tree: ast.Module, names: tuple[str, ...]) -> dict[str, ast.expr | None]:
    """For each top-level ``name = value`` in ``tree``, the last value expression.

    The value is ``None`` when the name is bound some other way (``for``, ``import``…).
    """
    out: dict[str, ast.expr | None] = {}
    for stmt in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        for target in targets:
            if isinstance(target, ast.Name) and target.id in names:
                out[target.id] = value
    return out


def _text_key(key: object) -> str | None:
    if isinstance(key, str):
        return key
    if isinstance(key, CustomMetric):  # thresholds = {completion: [...]}
        return key.name
    return None


def _key_lines(expr: ast.expr | None, line: int) -> dict[int, tuple[int, ast.expr | None]]:
    """Position → (line, value expression) of a dict literal's entries."""
    if not isinstance(expr, ast.Dict):
        return {}
    return {
        i: ((k.lineno if k is not None else v.lineno), v)
        for i, (k, v) in enumerate(zip(expr.keys, expr.values, strict=True))
    }


def to_node(
    value: object, expr: ast.expr | None, line: int, env: Mapping[str, str], depth: int = 0
) -> YNode:
    """``value`` as a located node; ``expr`` is its literal (if written as one) for lines."""
    if expr is not None:
        line = expr.lineno
    if depth > _MAX_DEPTH:
        return YScalar("…", line, ("…",), "…", ("values are nested too deeply; flatten them",))
    if isinstance(value, Mapping):
        entries = _key_lines(expr, line)
        same = isinstance(expr, ast.Dict) and len(expr.keys) == len(value)
        items: list[tuple[YKey, YNode]] = []
        for i, (key, item) in enumerate(value.items()):
            key_line, item_expr = entries.get(i, (line, None)) if same else (line, None)
            text = _text_key(key)
            if text is None:
                text = repr(key)
            items.append((YKey(text, key_line), to_node(item, item_expr, key_line, env, depth + 1)))
        return YMap(tuple(items), line)
    if isinstance(value, list | tuple):
        elts = expr.elts if isinstance(expr, ast.List | ast.Tuple) else None
        if elts is not None and len(elts) != len(value):
            elts = None
        return YSeq(
            tuple(
                to_node(item, elts[i] if elts else None, line, env, depth + 1)
                for i, item in enumerate(value)
            ),
            line,
        )
    if isinstance(value, str):
        split = split_text(value, env)
        return YScalar(split.text, line, split.parts, value, split.problems)
    if value is None:
        return YScalar(None, line, (), "null")
    if isinstance(value, bool):
        text = "true" if value else "false"
        return YScalar(value, line, (text,), text)
    if isinstance(value, int | float):
        return YScalar(value, line, (repr(value),), repr(value))
    if isinstance(value, CustomMetric):
        return YScalar(value.name, line, (value.name,), value.name)
    shown = f"a Python {type(value).__name__}"
    return YScalar(
        shown,
        line,
        (shown,),
        shown,
        (f"{shown} cannot be used here; write text, numbers, lists and dicts",),
    )
