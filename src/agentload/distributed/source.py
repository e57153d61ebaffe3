"""What every worker loads: the scenario as text, plus how to load it.

The coordinator loads the scenario once to validate it and compile the plan;
each worker loads the *same text* again with the same environment and
overrides. Loading is deterministic, and :func:`scenario_fingerprint` proves
it: a worker whose model differs from the coordinator's (a multipart file
changed while the run was starting, say) refuses to run.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agentload.errors import RunError
from agentload.scenario import ScenarioFile, load_scenario_text
from agentload.scenario.python import load_python_text

__all__ = ["MAX_BUNDLE_BYTES", "ScenarioSource", "bundle_folder", "scenario_fingerprint"]

MAX_BUNDLE_BYTES = 64 << 20
"""The most a scenario's folder may hold to travel to remote workers."""

# Folders never shipped: version control, caches, virtual environments, results.
_SKIP_DIRS = frozenset({".git", ".hg", "__pycache__", ".venv", "venv", "node_modules", "results"})


def scenario_fingerprint(scenario: ScenarioFile) -> str:
    """SHA-256 of the loaded model's ``repr``: equal models, equal fingerprints.

    The model is frozen dataclasses, tuples, strings and read-only mappings in
    file order, so its ``repr`` is deterministic across processes (no ids, no
    set ordering); hashing it covers everything a worker will execute,
    including resolved ``${env.…}`` values and multipart file contents.
    """
    return hashlib.sha256(repr(scenario).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ScenarioSource:
    """A scenario file's text and the inputs that turn it into a model.

    Attributes:
        text: the YAML text, or a Python scenario's source (``.py``: imported again).
        filename: the name used in messages (and as ``ScenarioFile.path``).
        base_dir: absolute folder for relative multipart file paths.
        env: the environment for ``${env.NAME}``.
        overrides: command-line overrides (``target``, ``vus``, ``rate``, ``duration``).
    """

    text: str
    filename: str
    base_dir: str
    env: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(
        cls, path: Path, *, env: Mapping[str, str], overrides: Mapping[str, str]
    ) -> ScenarioSource:
        """The source of the scenario file at ``path`` (raises RunError when unreadable)."""
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise RunError(f"{path}: cannot read the scenario for the workers: {exc}") from None
        # Absolute, so a worker whose working directory differs still finds the files.
        return cls(text, str(path), str(path.parent.resolve()), dict(env), dict(overrides))

    def load(self) -> ScenarioFile:
        """Load the model (raises ScenarioError, like the loader)."""
        if self.filename.endswith(".py"):  # a Python scenario: imported again here
            return load_python_text(
                self.text,
                filename=self.filename,
                env=self.env,
                base_dir=Path(self.base_dir),
                overrides=self.overrides,
            )
        return load_scenario_text(
            self.text,
            filename=self.filename,
            env=self.env,
            base_dir=Path(self.base_dir),
            overrides=self.overrides,
        )


def bundle_folder(base_dir: str | Path, max_bytes: int = MAX_BUNDLE_BYTES) -> dict[str, str]:
    """The files under ``base_dir`` as ``relative path → base64``, for remote workers.

    A scenario may read any file beside it (multipart uploads, data feeders,
    Python modules), so the whole folder travels — minus hidden folders,
    caches and results. Raises RunError when it holds more than ``max_bytes``:
    the scenario then belongs in a folder of its own.
    """
    root = Path(base_dir)
    out: dict[str, str] = {}
    total = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith(".") or not path.is_file():
                continue
            total += path.stat().st_size
            if total > max_bytes:
                raise RunError(
                    f"{root}: the scenario's folder holds more than {max_bytes >> 20} MB, too "
                    "much to send to remote workers; move the scenario and the files it reads "
                    "into a folder of their own"
                )
            out[path.relative_to(root).as_posix()] = base64.b64encode(path.read_bytes()).decode()
    return out
