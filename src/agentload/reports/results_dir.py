"""The results directory: ``summary.json``, ``timeseries.jsonl``, ``aggregate.json``.

``timeseries.jsonl`` gets one line per interval snapshot, written and flushed
as the run goes, so a crash loses at most the last interval.
``aggregate.json`` holds the run's mergeable histograms, so reports can be
re-rendered (and runs compared) without rerunning. ``failures.jsonl`` holds the
earliest failing request/response pairs per error kind (:mod:`.failures`).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import IO, Any

import orjson

from agentload.metrics import DEFAULT_FAILURE_SAMPLES, Aggregate, Snapshot
from agentload.reports.failures import FAILURES_FILE, FailureWriter

__all__ = ["ResultsDir", "default_results_path"]


def default_results_path(base: str | Path = "results") -> Path:
    """Create and return ``results/<UTC timestamp>`` (``-2``, ``-3``… if taken).

    The directory is claimed by creating it, so two runs started in the same
    second (two shells, a CI matrix) never share one. Raises ``OSError`` when
    ``base`` cannot be written.
    """
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(base) / stamp
    n = 1
    while True:
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            n += 1
            path = Path(base) / f"{stamp}-{n}"
        else:
            return path


class ResultsDir:
    """Writes one run's files; also a snapshot sink for the runner."""

    def __init__(self, path: str | Path, *, failure_samples: int = DEFAULT_FAILURE_SAMPLES) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        # "wb": a rerun into the same directory starts a fresh timeseries (appending
        # would mix two runs' intervals under one summary).
        self._timeseries: IO[bytes] | None = open(self.path / "timeseries.jsonl", "wb")  # noqa: SIM115
        self._failures = FailureWriter(self.path / FAILURES_FILE, failure_samples)

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Append one interval to ``timeseries.jsonl`` and flush it."""
        if self._timeseries is None:
            return
        line = snapshot.to_dict()
        if snapshot.failures:  # they go to failures.jsonl, the earliest per kind only
            del line["failures"]
            self._failures.add(snapshot.failures)
        self._timeseries.write(orjson.dumps(line) + b"\n")
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
        self._failures.close()
        if self._timeseries is not None:
            self._timeseries.close()
            self._timeseries = None
