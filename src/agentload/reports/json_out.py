"""``--out json=FILE``: the run's intervals streamed to a file of JSON lines.

Seed 001 writes ``--out json=results.json`` as with k6. Each line is one
interval snapshot in the ``timeseries.jsonl`` format (docs/results.md) —
aggregated per second, not k6's one ``Point`` per sample — written and
flushed as the run goes, so ``tail -f`` or a log shipper can follow it.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import orjson

from agentload.metrics import Aggregate, Snapshot

__all__ = ["JsonLinesOutput"]


class JsonLinesOutput:
    """Snapshot sink appending one JSON line per interval to ``path``.

    Raises:
        OSError: ``path`` cannot be opened for writing (on construction).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = self.path.open("wb")
        self.written = 0

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Write and flush one line."""
        if self._file is None:
            return
        self._file.write(orjson.dumps(snapshot.to_dict()) + b"\n")
        self._file.flush()
        self.written += 1

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
