"""``agentload init KIND``: write a commented, runnable scenario into a folder.

Kinds are the keys of :data:`agentload.cli._scaffolds.SCAFFOLDS` (http, chat,
llm, voice-twilio, voice-realtime). An existing file is never overwritten:
that is a usage error (exit 2) naming the file.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from agentload.cli._scaffolds import SCAFFOLDS
from agentload.errors import UsageError

__all__ = ["KINDS", "init_scenario"]

KINDS = tuple(SCAFFOLDS)
"""What ``agentload init`` accepts."""


def init_scenario(
    kind: str, directory: Path, *, name: str | None = None, console: Console | None = None
) -> Path:
    """Write the ``kind`` scaffold as ``directory/<name or kind>.yaml``; the path written."""
    console = console or Console()
    if kind not in SCAFFOLDS:
        raise UsageError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    filename = name or f"{kind}.yaml"
    path = directory / filename
    if path.exists():
        raise UsageError(f"{path} exists; not overwriting it (remove it or pass --name)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as out:  # "x": never clobber, even racing
            out.write(SCAFFOLDS[kind].format(file=path.name))
    except FileExistsError:
        raise UsageError(f"{path} exists; not overwriting it (remove it or pass --name)") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    console.print(f"wrote {path}", highlight=False)
    console.print(
        f"next: agentload inspect {path}   (then: agentload target & agentload run {path})",
        highlight=False,
        markup=False,
    )
    return path
