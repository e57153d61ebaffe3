"""The hot path runs compiled (setup.py; docs/decisions.md D23), from current source.

mypyc compiles the modules listed under ``[tool.agentload] compiled`` in
pyproject.toml into C extensions that are imported in place of the ``.py``
files. An extension older than its source means an edit that is not running:
the make targets rebuild it, a bare ``pytest`` does not.
``AGENTLOAD_PURE_PYTHON=1`` declares a pure-Python run (tests/e2e/test_pure_python.py).
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = os.environ.get("AGENTLOAD_PURE_PYTHON") == "1"


def compiled_sources() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["agentload"]["compiled"])


def module_name(source: str) -> str:
    return source.removeprefix("src/").removesuffix(".py").replace("/", ".")


def origin(source: str) -> Path:
    spec = importlib.util.find_spec(module_name(source))
    assert spec is not None and spec.origin is not None, source
    return Path(spec.origin)


def test_the_list_names_existing_modules_once() -> None:
    sources = compiled_sources()
    assert sources and len(set(sources)) == len(sources)
    for source in sources:
        assert source.startswith("src/agentload/") and (ROOT / source).is_file(), source


@pytest.mark.skipif(PURE, reason="a pure-Python run (AGENTLOAD_PURE_PYTHON=1)")
def test_every_listed_module_runs_compiled_from_current_source() -> None:
    problems = []
    for source in compiled_sources():
        where = origin(source)
        if where.suffix != ".so":
            problems.append(f"{module_name(source)} runs from {where.name}, not compiled")
        elif where.stat().st_mtime < (ROOT / source).stat().st_mtime:
            problems.append(f"{source} changed after it was compiled")
    assert not problems, "\n".join(
        [*problems, "run `make install` to compile (setup.py says on stderr why it could not)"]
    )


@pytest.mark.skipif(not PURE, reason="a compiled run")
def test_a_pure_python_run_runs_the_source() -> None:
    for source in compiled_sources():
        assert origin(source).suffix == ".py", source
