"""Reading a results directory back: ``summary.json``, ``timeseries.jsonl``, ``aggregate.json``.

Everything the HTML report, the CSV files and the JUnit file need is on disk
after a run, so ``agentload report DIR`` and the end of ``agentload run`` take
the same path: :func:`load_results`, then the renderers. Every problem with
the directory becomes one :class:`ResultsError` whose message names the file
(and line) and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from agentload.errors import InputError
from agentload.metrics import Aggregate, Snapshot

__all__ = ["ResultsError", "SavedRun", "load_results"]

_SUMMARY_PREFIX = "agentload.summary/"
# The sections every renderer reads; a summary without them is not ours.
_SUMMARY_KEYS = ("run", "verdict", "metrics", "requests", "thresholds")


class ResultsError(InputError):
    """A results directory is missing, incomplete or corrupt (exit code 2)."""


@dataclass(frozen=True, slots=True)
class SavedRun:
    """One run's saved results, parsed and validated."""

    path: Path
    summary: Mapping[str, Any]
    snapshots: tuple[Snapshot, ...]
    aggregate: Aggregate


def _read_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ResultsError(
            f"{path}: missing; is this a results directory of a finished `agentload run`?"
        ) from None
    except orjson.JSONDecodeError as exc:
        raise ResultsError(f"{path}: not valid JSON ({exc}); the file is corrupt") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _load_summary(path: Path) -> Mapping[str, Any]:
    doc = _read_json(path)
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if not isinstance(schema, str) or not schema.startswith(_SUMMARY_PREFIX):
        raise ResultsError(f"{path}: not an agentload summary (schema {schema!r})")
    missing = [k for k in _SUMMARY_KEYS if k not in doc]
    if missing:
        raise ResultsError(f"{path}: incomplete summary, missing {', '.join(missing)}")
    return dict(doc)


def _load_snapshots(path: Path) -> tuple[Snapshot, ...]:
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing; the run wrote no timeseries") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    out: list[Snapshot] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(Snapshot.from_dict(orjson.loads(line)))
        except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError) as exc:
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise ResultsError(f"{path}:{number}: not an interval snapshot ({reason})") from None
    return tuple(_last_run(out))


def _last_run(snapshots: list[Snapshot]) -> list[Snapshot]:
    """The snapshots of the last run, when a reused ``--out`` appended several runs.

    Interval times count from each run's start, so time going backwards marks
    where a later run began; the summary describes that last run.
    """
    begin = 0
    for i in range(1, len(snapshots)):
        if snapshots[i].start < snapshots[i - 1].start:
            begin = i
    return snapshots[begin:]


def _load_aggregate(path: Path) -> Aggregate:
    doc = _read_json(path)
    if not isinstance(doc, dict):
        raise ResultsError(f"{path}: not an aggregate (expected a JSON object)")
    try:
        return Aggregate.from_dict(doc)
    except (ValueError, TypeError, AttributeError) as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ResultsError(f"{path}: not a valid aggregate ({reason})") from None


def load_results(path: str | Path) -> SavedRun:
    """Read and validate a results directory.

    Raises:
        ResultsError: the directory or one of its files is missing or corrupt.
    """
    root = Path(path)
    if not root.is_dir():
        what = "not a directory" if root.exists() else "no such directory"
        raise ResultsError(f"{root}: {what}; pass the results directory of a run")
    return SavedRun(
        path=root,
        summary=_load_summary(root / "summary.json"),
        snapshots=_load_snapshots(root / "timeseries.jsonl"),
        aggregate=_load_aggregate(root / "aggregate.json"),
    )
