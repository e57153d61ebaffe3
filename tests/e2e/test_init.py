"""``agentload init KIND``: every scaffold validates with ``inspect`` and runs briefly."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from agentload.cli import cli
from agentload.cli._init import KINDS

# Scaffolds whose steps the reference target answers without extra setup, with the
# flags that make their run short.
RUNNABLE = {
    "http": ("--vus", "4", "--duration", "1s"),
    "llm": ("--duration", "1s"),
    "chat": ("--vus", "2", "--duration", "1s"),
}


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "160"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_every_kind_the_issue_lists_has_a_scaffold() -> None:
    assert set(KINDS) == {"http", "chat", "llm", "voice-twilio", "voice-realtime"}


@pytest.mark.parametrize("kind", KINDS)
def test_each_scaffold_is_written_once_and_validates(kind: str, tmp_path: Path) -> None:
    code, out = invoke("init", kind, "--dir", str(tmp_path))
    path = tmp_path / f"{kind}.yaml"
    assert code == 0, out
    assert f"wrote {path}" in out
    text = path.read_text()
    assert text.startswith("# ") and "{file}" not in text
    code, out = invoke("inspect", str(path))
    assert code == 0, out
    # Never overwrites: the second time is a usage error and the file is untouched.
    path.write_text(text + "# edited\n")
    code, out = invoke("init", kind, "--dir", str(tmp_path))
    assert code == 2 and "exists; not overwriting it" in out
    assert path.read_text().endswith("# edited\n")


@pytest.mark.parametrize("kind", sorted(RUNNABLE))
def test_runnable_scaffolds_run_against_the_reference_target(
    kind: str, target_url: str, tmp_path: Path
) -> None:
    invoke("init", kind, "--dir", str(tmp_path))
    out = tmp_path / "out"
    code, text = invoke(
        "run", str(tmp_path / f"{kind}.yaml"), "--target", target_url, "--workers", "1", "-q",
        "--out", str(out), *RUNNABLE[kind],
    )  # fmt: skip
    assert code == 0, text
    assert (out / "summary.json").is_file()


def test_unknown_kinds_and_names(tmp_path: Path) -> None:
    code, out = invoke("init", "grpc", "--dir", str(tmp_path))
    assert code == 2 and "'grpc' is not one of" in out
    code, out = invoke("init", "http", "--dir", str(tmp_path), "--name", "api.yaml")
    assert code == 0 and (tmp_path / "api.yaml").is_file() and "wrote" in out
