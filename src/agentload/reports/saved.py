"""Reading a results directory back: ``summary.json``, ``timeseries.jsonl``, ``aggregate.json``.

Everything the HTML report, the CSV files and the JUnit file need is on disk
after a run, so ``agentload report DIR`` and the end of ``agentload run`` take
the same path: :func:`load_results`, then the renderers. Every problem with
the directory becomes one :class:`ResultsError` whose message names the file
(and line) and what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from agentload.errors import InputError
from agentload.metrics import Aggregate, SeriesKey, Snapshot, TrendData

__all__ = ["ResultsError", "SavedRun", "SavedSnapshots", "load_results"]

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
    snapshots: SavedSnapshots
    """The last run's intervals, decoded lazily (iterate; ``len`` is free)."""
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


class SavedSnapshots(Collection[Snapshot]):
    """The last run's interval snapshots, read back from ``timeseries.jsonl`` as they are used.

    Loading checks every line once and keeps only where the last run starts
    and a few numbers per interval (:class:`_Index`); iterating re-reads the
    file and decodes one line at a time. Memory therefore does not grow with
    the run's duration beyond those numbers: an hour of one-second intervals
    with dozens of trend series is gigabytes of decoded histograms, never held
    at once. Consumers that need several views of the run reduce them in one
    pass (see :mod:`agentload.reports.timeline`).
    """

    __slots__ = ("_first_line", "_index", "_offset", "path")

    def __init__(self, path: Path, *, offset: int, first_line: int, index: _Index) -> None:
        self.path = path
        self._offset = offset
        self._first_line = first_line
        self._index = index

    def __len__(self) -> int:
        return self._index.count

    def __iter__(self) -> Iterator[Snapshot]:
        """Decode the snapshots one line at a time (the file is re-read on every iteration)."""
        return self.iter_snapshots()

    def iter_snapshots(self, trends: Callable[[str], bool] | None = None) -> Iterator[Snapshot]:
        """As iterating, but decode only the trend series of metrics ``trends`` accepts.

        The other trends are left out of the snapshots: decoding histograms is
        most of a pass's time, and a run records several timing trends per
        request (``http_req_waiting``, …) that a given view does not read.
        """
        if not self._index.count:
            return
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise ResultsError(f"{self.path}: cannot read it ({exc.strerror or exc})") from None
        with handle:
            handle.seek(self._offset)
            left = self._index.count
            for number, line in enumerate(handle, start=self._first_line):
                if not line.strip():
                    continue
                yield _decode(self.path, number, line, trends)
                left -= 1
                if not left:
                    return
        raise ResultsError(f"{self.path}: changed while it was read; run `agentload report` again")

    def __contains__(self, item: object) -> bool:
        return any(snap == item for snap in self)

    def extent(self, metric: str) -> tuple[int, int] | None:
        """``(min, max)`` of every sample of trend ``metric`` in the run; ``None``: no sample."""
        return self._index.extents.get(metric)

    def intervals_with(self, wanted: Callable[[SeriesKey], bool]) -> int:
        """How many intervals hold samples of some trend series that ``wanted`` selects.

        Answered from loading's per-interval record, without reading the file.
        """
        index = self._index
        mask = 0
        for key, bit in index.keys.items():
            if wanted(key):
                mask |= 1 << bit
        return sum(1 for m in index.masks if m & mask) if mask else 0


class _Index:
    """What loading learns about the last run's intervals, for answers without a re-read.

    Per interval one int: a bit set per trend series that had samples (bit
    numbers in :attr:`keys`). Per trend metric its ``(min, max)`` sample.
    """

    __slots__ = ("count", "extents", "keys", "masks")

    def __init__(self) -> None:
        self.count = 0
        self.extents: dict[str, tuple[int, int]] = {}
        self.keys: dict[SeriesKey, int] = {}
        self.masks: list[int] = []

    def note(self, snap: Snapshot) -> None:
        """Record one interval."""
        mask = 0
        for key, data in snap.series.items():
            if isinstance(data, TrendData) and data.count:
                mask |= 1 << self.keys.setdefault(key, len(self.keys))
                old = self.extents.get(key.metric)
                lo, hi = data.min, data.max
                self.extents[key.metric] = (
                    (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))
                )
        self.masks.append(mask)
        self.count += 1


def _decode(
    path: Path, number: int, line: bytes, trends: Callable[[str], bool] | None = None
) -> Snapshot:
    try:
        d = orjson.loads(line)
        if trends is not None:
            series = d["series"]
            d["series"] = [i for i in series if i.get("kind") != "trend" or trends(i["metric"])]
        return Snapshot.from_dict(d)
    except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError, KeyError) as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ResultsError(f"{path}:{number}: not an interval snapshot ({reason})") from None


def _load_snapshots(path: Path) -> SavedSnapshots:
    """Check every line of ``timeseries.jsonl`` and index the last run (:class:`SavedSnapshots`).

    A reused ``--out`` of older versions appended several runs. Interval
    times count from each run's start, so time going backwards marks where a
    later run began; the summary describes that last run.
    """
    offset = begin = 0
    first_line = 1
    previous: float | None = None
    index = _Index()
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                at, offset = offset, offset + len(line)
                if not line.strip():
                    continue
                snap = _decode(path, number, line)
                if previous is not None and snap.start < previous:
                    begin, first_line, index = at, number, _Index()
                previous = snap.start
                index.note(snap)
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing; the run wrote no timeseries") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return SavedSnapshots(path, offset=begin, first_line=first_line, index=index)


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
