"""Build hook: compile the per-request hot path with mypyc (docs/decisions.md D23).

Everything else about the package is in pyproject.toml, which also lists the
compiled modules (``[tool.agentload] compiled``). They stay ordinary,
type-checked Python source; mypyc turns each into a C extension that is
imported in place of the ``.py`` file.

Pure Python is the fallback, never an error: with ``AGENTLOAD_PURE_PYTHON=1``,
when mypyc is not importable, or when the C build fails (no compiler, no Python
headers), the package installs without extensions and says so on stderr.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


def compiled_modules() -> list[str]:
    """Source paths (relative to this file) of the modules mypyc compiles."""
    config = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))
    return [str(path) for path in config["tool"]["agentload"]["compiled"]]


def _say(message: str) -> None:
    print(f"agentload build: {message}", file=sys.stderr)


def remove_built_extensions() -> None:
    """Delete the extensions an earlier build left in the source tree (editable installs).

    Python imports an extension in preference to the ``.py`` beside it, so an
    old one would keep running old code: after a pure-Python install, or for a
    module no longer in the list. agentload has no other C extensions.
    """
    stale = [*HERE.glob("src/*__mypyc.*.so"), *HERE.glob("src/agentload/**/*.so")]
    for path in stale:
        path.unlink(missing_ok=True)


def _pure(message: str) -> list[Any]:
    _say(message)
    remove_built_extensions()  # the build step may run after an earlier one succeeded
    return []


class OptionalBuildExt(build_ext):  # type: ignore[misc]  # setuptools is untyped
    """build_ext that falls back to pure Python when the C build fails.

    All or nothing: the modules call each other natively through one shared
    library, so a partial build is discarded with the rest.
    """

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # any compiler failure means: pure Python
            self.extensions: list[Any] = _pure(
                f"compiling the hot path failed ({exc}); installing pure Python (slower)"
            )


def _extensions() -> list[Any]:
    remove_built_extensions()
    if os.environ.get("AGENTLOAD_PURE_PYTHON") == "1":
        return _pure("AGENTLOAD_PURE_PYTHON=1: installing pure Python")
    try:
        from mypyc.build import mypycify  # noqa: PLC0415 - optional at build time
    except ImportError:
        return _pure("mypyc is not available; installing pure Python (slower)")
    # The build may run before the runtime dependencies are installed (pip
    # builds the package first): their values are then plain objects to mypyc.
    # The strictness of `make lint` (pyproject's [tool.mypy]) is not a build
    # condition, and modules that are only imported are not checked here.
    flags = ["--config-file=", "--ignore-missing-imports", "--follow-imports=silent"]
    try:
        return list(mypycify([*flags, *compiled_modules()], opt_level="3"))
    except (Exception, SystemExit) as exc:  # mypyc exits on a type error
        return _pure(f"mypyc could not compile the hot path ({exc!r}); installing pure Python")


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
