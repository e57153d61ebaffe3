"""Suite files: several runs in sequence, each a scenario file with its own overrides.

::

    suite:
      - file: api.yaml                # relative to the suite file
        preset: smoke
      - {file: api.yaml, preset: average}
      - file: chat.yaml
        name: chat-peak               # the sub-run's label (default: file stem + what changed)
        profile: peak                 # or: preset, scenarios (only these), vus, rate,
        scale: 0.5                    #     duration, scale, target
      - other.yaml                    # just a file

Reading reports every problem as ``file:line`` (:class:`~agentload.errors.ScenarioError`).
The runs themselves are :mod:`agentload.cli._suite`'s business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agentload.errors import Issue, ScenarioError
from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap, YNode, YScalar, compose_text

__all__ = ["SuiteEntry", "is_suite_text", "load_suite"]

_OVERRIDES = ("preset", "profile", "scenarios", "vus", "rate", "duration", "scale", "target")
_KEYS = ("file", "name", *_OVERRIDES)


@dataclass(frozen=True, slots=True)
class SuiteEntry:
    """One run of a suite.

    Attributes:
        file: the scenario file.
        name: its label in the results directory and the suite table.
        overrides: command-line-style overrides as text (``preset``,
            ``profile``, ``only``, ``vus``, ``rate``, ``duration``, ``scale``,
            ``target``).
    """

    file: Path
    name: str
    overrides: Mapping[str, str] = field(default_factory=dict)


def is_suite_text(text: str) -> bool:
    """True when the YAML text is a suite file (a top-level ``suite:`` key)."""
    # Cheap and exact enough: a top-level key starts a line, unindented.
    return any(line.startswith("suite:") for line in text.splitlines())


def _label(file: Path, overrides: Mapping[str, str]) -> str:
    for key in ("profile", "preset", "only"):
        if key in overrides:
            return f"{file.stem}-{overrides[key]}"
    return file.stem


def load_suite(path: Path, env: Mapping[str, str]) -> tuple[SuiteEntry, ...]:
    """The runs of the suite file at ``path``; raises :class:`ScenarioError` listing problems."""
    filename = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Issue(filename, 0, f"cannot read the suite file: {exc}")]) from None
    ctx = Ctx(filename, path.parent)
    tree, issues = compose_text(text, filename, env)
    ctx.issues.extend(issues)
    entries: list[SuiteEntry] = []
    if isinstance(tree, YMap):
        ctx.check_keys(tree, "", ("suite",))
        node = tree.get("suite")
        seq = ctx.sequence(node, "suite", "a list of runs (- file: a.yaml)") if node else None
        if seq is not None and not seq.items:
            ctx.error(seq.line, "suite", "the list is empty; add runs such as - file: a.yaml")
        for i, item in enumerate(seq.items if seq is not None else ()):
            entry = _entry(ctx, item, f"suite[{i}]", path.parent)
            if entry is not None:
                entries.append(entry)
    elif not ctx.issues:
        ctx.error(0, "", "expected a mapping with a 'suite:' list of runs")
    if ctx.issues:
        raise ScenarioError(sorted(dict.fromkeys(ctx.issues), key=lambda i: i.line))
    return tuple(entries)


def _entry(ctx: Ctx, node: YNode, path: str, base: Path) -> SuiteEntry | None:
    if isinstance(node, YScalar):
        text = ctx.text(node, path, expected="a scenario file or a mapping with file")
        if text is None:
            return None
        return _file_entry(ctx, (node.line, path), base / text, {}, None)
    mapping = ctx.mapping(node, path, "a scenario file or a mapping with file")
    if mapping is None:
        return None
    ctx.check_keys(mapping, path, _KEYS)
    file_node = mapping.get("file")
    if file_node is None:
        ctx.error(mapping.line, path, "missing 'file'; name the scenario file to run")
        return None
    file = ctx.text(file_node, f"{path}.file", expected="a file path")
    name_node = mapping.get("name")
    name = ctx.text(name_node, f"{path}.name", numbers=True) if name_node else None
    overrides: dict[str, str] = {}
    for key in _OVERRIDES:
        value = mapping.get(key)
        if value is None:
            continue
        text = ctx.text(value, f"{path}.{key}", numbers=True)
        if text is not None:
            overrides["only" if key == "scenarios" else key] = text
    if file is None:
        return None
    return _file_entry(ctx, (file_node.line, f"{path}.file"), base / file, overrides, name)


def _file_entry(
    ctx: Ctx,
    where: tuple[int, str],
    resolved: Path,
    overrides: Mapping[str, str],
    name: str | None,
) -> SuiteEntry | None:
    # base / file: an absolute file replaces the suite's folder, as pathlib defines.
    if not resolved.is_file():
        ctx.error(*where, f"{resolved}: no such file; give a path relative to the suite file")
        return None
    return SuiteEntry(resolved, name or _label(resolved, overrides), dict(overrides))
