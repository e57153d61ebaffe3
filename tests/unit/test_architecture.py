"""The layering is enforced, not just drawn: dependencies run one way.

    cli → scenario, profiles → engine → protocols → metrics → thresholds, reports

Each package may import only the packages listed for it below (plus itself and
the leaf modules ``errors`` and ``_units``). Nothing imports ``cli``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "agentload"
LEAVES = {"errors", "_units", "_redact", ""}  # "" is the package root (__version__)

ALLOWED: dict[str, set[str]] = {
    "metrics": set(),
    "thresholds": {"metrics"},
    "protocols": set(),
    "profiles": set(),
    "scenario": {"profiles", "protocols", "thresholds", "metrics"},
    "engine": {"scenario", "profiles", "protocols", "metrics", "thresholds", "monitoring"},
    "reports": {"metrics", "thresholds"},
    "target": set(),
    "monitoring": {"metrics"},
    "distributed": {"engine", "profiles", "metrics", "scenario", "thresholds"},
    "cli": {"*"},
}


def package_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if name == "agentload":
                found.add("")
            elif name.startswith("agentload."):
                found.add(name.split(".")[1])
    return found


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_module_respects_the_layers(path: Path) -> None:
    pkg = package_of(path)
    deps = imported_packages(path) - {pkg} - LEAVES
    if pkg in ("__main__",):
        assert deps <= {"cli"}
        return
    assert "cli" not in deps or pkg == "cli", f"{path}: nothing may import agentload.cli"
    if pkg in LEAVES or pkg == "__init__":
        assert not deps, f"{path} is a leaf and may not import {deps}"
        return
    allowed = ALLOWED[pkg]
    if "*" in allowed:
        return
    assert deps <= allowed, f"{path}: {pkg} may not import {sorted(deps - allowed)}"


def test_every_package_has_a_rule() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(ALLOWED)
