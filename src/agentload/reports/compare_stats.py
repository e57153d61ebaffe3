"""Noise-aware statistics for run comparison: a block bootstrap over interval snapshots.

Pure numpy, no I/O. Requests in one second share that second's conditions (a
GC pause, a noisy neighbour), so they are not independent samples; the
one-second interval is. :func:`bootstrap_percentile` and
:func:`bootstrap_rate` resample *intervals* with replacement (a block
bootstrap with one-second blocks, Künsch 1989), rebuild the whole-run
statistic from each resample, and return its distribution. Comparing two runs
then means resampling each independently and reading a percentile confidence
interval of the ratio (latency) or difference (error rate). docs/results.md,
"Comparing runs", states the rule built on top (:mod:`agentload.reports.compare`).

Runs longer than :data:`MAX_BLOCKS` intervals are cut into that many
consecutive blocks (merged intervals), which keeps the cost bounded; buckets
are grouped by :data:`_GROUP_SHIFT` (8 HDR buckets, < 1 % wide) for the same
reason — a 10 % regression bound does not need 0.1 % resolution.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from agentload.metrics import Histogram

__all__ = [
    "MAX_BLOCKS",
    "PercentileBlocks",
    "bootstrap_percentile",
    "bootstrap_rate",
    "resample_weights",
]

MAX_BLOCKS = 240
_GROUP_SHIFT = 3
_CHUNK = 128  # resamples per matrix product (bounds the temporaries to ~128 × groups)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _blocks(count: int) -> list[tuple[int, int]]:
    """``count`` intervals cut into at most :data:`MAX_BLOCKS` consecutive ``[a, b)`` blocks."""
    n = min(count, MAX_BLOCKS)
    edges = np.linspace(0, count, n + 1).round().astype(int)
    return [(int(edges[i]), int(edges[i + 1])) for i in range(n) if edges[i + 1] > edges[i]]


def resample_weights(blocks: int, resamples: int, seed: int) -> npt.NDArray[np.float64]:
    """How often each block is drawn in each resample (``resamples × blocks``), seeded."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(blocks, np.full(blocks, 1.0 / blocks), size=resamples).astype(np.float64)


def _group_value(layout: Histogram, group: int, cache: dict[int, float]) -> float:
    """The highest value of a bucket group, via the public API (a one-bucket histogram)."""
    value = cache.get(group)
    if value is None:
        top = ((group + 1) << _GROUP_SHIFT) - 1
        probe = layout.empty_like()
        # The top bucket of the group; clamp to the layout's range.
        for index in range(top, (group << _GROUP_SHIFT) - 1, -1):
            try:
                probe.add_sparse([index], [1])
            except ValueError:
                continue
            break
        value = float(probe.max)
        cache[group] = value
    return value


class PercentileBlocks:
    """One series' intervals merged into bootstrap blocks as they stream by.

    ``intervals`` is how many non-empty intervals will come (a first pass
    counts them), so each one's block is known on arrival and only the blocks
    are kept: memory is bounded by :data:`MAX_BLOCKS` × bucket groups, not by
    the run's length. Add each non-empty interval with :meth:`add` (its
    histograms of the series, which need not be merged first), then call
    :meth:`bootstrap`.
    """

    __slots__ = ("_blocks", "_current", "_intervals", "_layout", "_seen", "_spans")

    def __init__(self, intervals: int) -> None:
        self._intervals = intervals
        self._spans = _blocks(intervals)
        self._seen = 0
        self._layout: Histogram | None = None
        self._current: list[tuple[IntArray, IntArray]] = []
        self._blocks: list[tuple[IntArray, IntArray]] = []

    def add(self, hists: Sequence[Histogram]) -> None:
        """One non-empty interval: the histograms whose samples make up its value."""
        if self._seen >= self._intervals:
            raise ValueError(f"more intervals than the {self._intervals} announced")
        for h in hists:
            if h.count:
                self._layout = self._layout or h
                indices, n = h.to_sparse()
                self._current.append((indices >> _GROUP_SHIFT, n))
        self._seen += 1
        if self._seen == self._spans[len(self._blocks)][1]:
            self._blocks.append(_consolidate(self._current))
            self._current = []

    def bootstrap(self, p: float, *, resamples: int, seed: int) -> FloatArray | None:
        """As :func:`bootstrap_percentile`, over the intervals added (``None`` if none)."""
        if self._layout is None or not self._blocks:
            return None
        if self._seen != self._intervals:
            raise ValueError(f"{self._seen} intervals added, {self._intervals} announced")
        order = np.unique(np.concatenate([groups for groups, _ in self._blocks]))
        matrix = np.zeros((len(self._blocks), len(order)), dtype=np.float64)
        for r, (groups, counts) in enumerate(self._blocks):
            matrix[r, np.searchsorted(order, groups)] = counts
        weights = resample_weights(len(self._blocks), resamples, seed)
        # Resamples in chunks: the resamples × groups sums are the big arrays here.
        # Every entry is an integer count below 2**53, so the float sums are exact
        # and chunking cannot change a result.
        cells = np.zeros(resamples, dtype=np.int64)
        for at in range(0, resamples, _CHUNK):
            sums = weights[at : at + _CHUNK] @ matrix
            cumulative = np.cumsum(sums, axis=1)
            totals = cumulative[:, -1]
            # The same rank rule as Histogram.percentile (HdrHistogram's).
            ranks = np.maximum(np.floor(p * totals / 100.0 + 0.5), 1.0)
            cells[at : at + _CHUNK] = (cumulative < ranks[:, None]).sum(axis=1)
        cache: dict[int, float] = {}
        layout = self._layout
        values: FloatArray = np.array(
            [_group_value(layout, int(order[int(c)]), cache) for c in cells]
        )
        return values


def _consolidate(parts: Sequence[tuple[IntArray, IntArray]]) -> tuple[IntArray, IntArray]:
    """Bucket groups and their summed counts (groups ascending, each once)."""
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    groups, inverse = np.unique(np.concatenate([g for g, _ in parts]), return_inverse=True)
    counts = np.zeros(len(groups), dtype=np.int64)
    np.add.at(counts, inverse, np.concatenate([n for _, n in parts]))
    return groups, counts


def bootstrap_percentile(
    hists: Sequence[Histogram], p: float, *, resamples: int, seed: int
) -> FloatArray | None:
    """The ``p``-th percentile of the whole run, recomputed on ``resamples`` block resamples.

    ``hists`` are the per-interval histograms of one series (empty ones are
    skipped). Returns ``None`` when no interval holds a sample.
    """
    present = [h for h in hists if h.count]
    blocks = PercentileBlocks(len(present))
    for h in present:
        blocks.add((h,))
    return blocks.bootstrap(p, resamples=resamples, seed=seed)


def bootstrap_rate(
    pairs: Sequence[tuple[int, int]], *, resamples: int, seed: int
) -> FloatArray | None:
    """``sum(true) / sum(total)`` of the run on ``resamples`` block resamples.

    ``pairs`` are per-interval ``(true_count, total)``; intervals without
    outcomes are skipped. ``None`` when there are none at all.
    """
    present = [(t, n) for t, n in pairs if n]
    if not present:
        return None
    spans = _blocks(len(present))
    trues = np.array([sum(t for t, _ in present[a:b]) for a, b in spans], dtype=np.float64)
    totals = np.array([sum(n for _, n in present[a:b]) for a, b in spans], dtype=np.float64)
    weights = resample_weights(len(spans), resamples, seed)
    result: FloatArray = (weights @ trues) / (weights @ totals)
    return result
