"""The results directory: ``summary.json``, ``timeseries.jsonl``, ``aggregate.json``.

``timeseries.jsonl`` gets one line per interval snapshot, written and flushed
as the run goes, so a crash loses at most the last interval.
``aggregate.json`` holds the run's mergeable histograms, so reports can be
re-rendered (and runs compared) without rerunning.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import IO, Any

import orjson

from agentload.metrics import Aggregate, Snapshot

__all__ = ["ResultsDir", "default_results_path"]


def default_results_path(base: str | Path = "results") -> Path:
    """``results/<UTC timestamp>``, made unique if it exists already."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(base) / stamp
    n = 1
    while path.exists():
        n += 1
        path = Path(base) / f"{stamp}-{n}"
    return path


class ResultsDir:
    """Writes one run's files; also a snapshot sink for the runner."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        # "wb": a rerun into the same directory starts a fresh timeseries (appending
        # would mix two runs' intervals under one summary).
        self._timeseries: IO[bytes] | None = open(self.path / "timeseries.jsonl", "wb")  # noqa: SIM115

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Append one interval to ``timeseries.jsonl`` and flush it."""
        if self._timeseries is None:
            return
        self._timeseries.write(orjson.dumps(snapshot.to_dict()) + b"\n")
        self._timeseries.flush()

    def write_json(self, name: str, data: Any) -> Path:
        """Write ``data`` as indented JSON atomically (temp file, then rename)."""
        target = self.path / name
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        os.replace(tmp, target)
        return target

    def close(self) -> None:
        """Close the timeseries file (idempotent)."""
        if self._timeseries is not None:
            self._timeseries.close()
            self._timeseries = None
