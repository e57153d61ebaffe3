"""What every worker loads: the scenario as text, plus how to load it.

The coordinator loads the scenario once to validate it and compile the plan;
each worker loads the *same text* again with the same environment and
overrides. Loading is deterministic, and :func:`scenario_fingerprint` proves
it: a worker whose model differs from the coordinator's (a multipart file
changed while the run was starting, say) refuses to run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agentload.errors import RunError
from agentload.scenario import ScenarioFile, load_scenario_text

__all__ = ["ScenarioSource", "scenario_fingerprint"]


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
        text: the YAML text.
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
        return load_scenario_text(
            self.text,
            filename=self.filename,
            env=self.env,
            base_dir=Path(self.base_dir),
            overrides=self.overrides,
        )
