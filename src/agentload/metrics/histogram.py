"""An HDR histogram over non-negative integers, bucketed in vectorized numpy passes.

Theory of operation
-------------------
The bucket layout is HdrHistogram's log-linear one with a lowest discernible
value of 1: with ``significant_figures = 3`` every value below 2048 has its own
bucket, and above that each power-of-two range ``[2^k, 2^(k+1))`` is split into
1024 equal sub-buckets, so any value is known to within 1/1024 (< 0.1 %) of
itself. Counts live in a numpy ``int64`` array that only spans the buckets in
use (``_offset`` is the index of its first cell), so a per-interval histogram
of latencies between 1 ms and 2 s takes ~90 KB, not the full 190 KB layout.

Why not the ``hdrhistogram`` package: its ``record_value`` costs ~0.7 µs of
Python per value, and it silently drops out-of-range values. The hot path
instead appends raw ints to an ``array('q')`` (see :mod:`.series`) and this
module buckets a whole interval at once in :meth:`Histogram.record_array`
(~4 ns per value). Values above ``highest`` are clamped to it and values below
zero to zero; both are counted in :attr:`Histogram.out_of_range`.

Exact ``min``, ``max`` and ``sum`` are tracked alongside the buckets (and
survive :meth:`~Histogram.encode`), so ``mean`` is exact and ``p(100)`` is the
true maximum. Percentiles follow the HdrHistogram reference implementations
(C and ``hdrh``): the rank is ``int(p * count / 100 + 0.5)`` (at least 1), and
the answer is the highest value equivalent to the bucket where the cumulative
count reaches that rank, capped at the exact maximum so that no percentile
ever exceeds ``max`` (Locust #1563's "p99 > max").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from agentload.metrics._codec import Packed, pack, unpack

__all__ = ["DEFAULT_HIGHEST", "DEFAULT_SIGNIFICANT_FIGURES", "Histogram"]

DEFAULT_HIGHEST = 3_600_000_000
"""Default highest trackable value: one hour in microseconds."""
DEFAULT_SIGNIFICANT_FIGURES = 3
"""Default precision: values are resolved to 3 significant decimal digits."""

_MAX_HIGHEST = 2**53 - 1  # values go through float64 to find their bit length

IntArray = npt.NDArray[np.int64]


class Histogram:
    """A mergeable HDR histogram of non-negative ints (e.g. durations in µs).

    Args:
        highest: highest trackable value; larger values are clamped to it and
            counted in :attr:`out_of_range`. At most ``2**53 - 1``.
        significant_figures: decimal digits of precision, 1 to 5.

    Histograms with the same layout (``highest``, ``significant_figures``)
    merge exactly with :meth:`add`. A histogram inside a :class:`Snapshot` is
    frozen (:meth:`freeze`): mutating it raises ``ValueError``.
    """

    __slots__ = (
        "_counts",
        "_frozen",
        "_half_mag",
        "_max",
        "_min",
        "_offset",
        "_sum",
        "_sumsq",
        "_top_index",
        "count",
        "highest",
        "out_of_range",
        "significant_figures",
    )

    def __init__(
        self,
        highest: int = DEFAULT_HIGHEST,
        significant_figures: int = DEFAULT_SIGNIFICANT_FIGURES,
    ) -> None:
        if not 1 <= significant_figures <= 5:
            raise ValueError(f"significant_figures must be 1 to 5, got {significant_figures}")
        if not 2 <= highest <= _MAX_HIGHEST:
            raise ValueError(f"highest must be 2 to 2**53-1, got {highest}")
        self.highest = highest
        self.significant_figures = significant_figures
        # Same derivation as HdrHistogram: enough sub-buckets to resolve
        # 2 * 10^sf with unit precision, rounded up to a power of two.
        self._half_mag = math.ceil(math.log2(2 * 10**significant_figures)) - 1
        self._top_index = self._index(highest)
        self._counts: IntArray = np.zeros(0, dtype=np.int64)
        self._offset = 0
        self._frozen = False
        self.count = 0
        """Number of recorded values (including clamped ones)."""
        self.out_of_range = 0
        """Values that were outside ``[0, highest]`` and were clamped into it."""
        self._min = 0
        self._max = 0
        self._sum = 0
        self._sumsq = 0.0

    # -- layout ------------------------------------------------------------

    def _index(self, value: int) -> int:
        """Bucket index of one in-range value (scalar twin of :meth:`_indices`)."""
        bucket = max((value | ((2 << self._half_mag) - 1)).bit_length() - self._half_mag - 1, 0)
        return (bucket << self._half_mag) + (value >> bucket)

    def _indices(self, values: IntArray) -> IntArray:
        """Bucket indices of in-range values, in place-heavy numpy for speed.

        ``bucket = bit_length(v | mask) - (half_mag + 1)`` where the bit length
        comes from the float64 exponent (exact below 2**53); the index is then
        ``(bucket << half_mag) + (v >> bucket)``. In-place operations matter:
        fresh 800 KB temporaries cost page faults and make this 10x slower.
        """
        mask = (2 << self._half_mag) - 1
        work = np.bitwise_or(values, mask).astype(np.float64).view(np.int64)
        work >>= 52
        work -= 1023 + self._half_mag  # exponent bias, minus (half_mag + 1) + 1
        shifted = values >> work
        work <<= self._half_mag
        work += shifted
        return work

    def _lowest_of(self, index: int) -> int:
        bucket = (index >> self._half_mag) - 1
        sub = index & ((1 << self._half_mag) - 1)
        if bucket < 0:
            return sub
        return (sub + (1 << self._half_mag)) << bucket

    def _highest_of(self, index: int) -> int:
        """Highest value that falls in bucket ``index``."""
        bucket = max((index >> self._half_mag) - 1, 0)
        return self._lowest_of(index) + (1 << bucket) - 1

    def same_layout(self, other: Histogram) -> bool:
        """True when ``other`` can be merged into this histogram exactly."""
        return (
            self.highest == other.highest
            and self.significant_figures == other.significant_figures
        )

    def empty_like(self) -> Histogram:
        """A new empty histogram with the same layout."""
        return Histogram(self.highest, self.significant_figures)

    def copy(self) -> Histogram:
        """A mutable deep copy."""
        out = self.empty_like()
        out._counts = self._counts.copy()
        out._offset = self._offset
        out.count = self.count
        out.out_of_range = self.out_of_range
        out._min, out._max, out._sum, out._sumsq = self._min, self._max, self._sum, self._sumsq
        return out

    def freeze(self) -> Histogram:
        """Make this histogram read-only (used for snapshot contents); returns ``self``."""
        self._frozen = True
        self._counts.flags.writeable = False
        return self

    # -- recording ---------------------------------------------------------

    def _check_mutable(self) -> None:
        if self._frozen:
            raise ValueError("this histogram is frozen (it belongs to a snapshot); copy() it")

    def _ensure(self, lo: int, hi: int) -> None:
        """Grow the counts array to cover bucket indices ``lo..hi``."""
        size = len(self._counts)
        if size and self._offset <= lo and hi < self._offset + size:
            return
        new_lo = min(lo, self._offset) if size else lo
        new_hi = max(hi, self._offset + size - 1) if size else hi
        grown = np.zeros(new_hi - new_lo + 1, dtype=np.int64)
        if size:
            grown[self._offset - new_lo : self._offset - new_lo + size] = self._counts
        self._counts = grown
        self._offset = new_lo

    def _note_extremes(self, lo: int, hi: int) -> None:
        if self.count == 0:
            self._min, self._max = lo, hi
        else:
            self._min = min(self._min, lo)
            self._max = max(self._max, hi)

    def record(self, value: int, count: int = 1) -> None:
        """Record ``value`` ``count`` times; out-of-range values are clamped and counted."""
        self._check_mutable()
        if count <= 0:
            if count < 0:
                raise ValueError(f"count must be >= 0, got {count}")
            return
        value = int(value)
        if value < 0 or value > self.highest:
            self.out_of_range += count
            value = 0 if value < 0 else self.highest
        index = self._index(value)
        self._ensure(index, index)
        self._counts[index - self._offset] += count
        self._note_extremes(value, value)
        self.count += count
        self._sum += value * count
        self._sumsq += float(value) * value * count

    def record_array(self, values: npt.ArrayLike) -> None:
        """Record every value of an integer array in one vectorized pass (~4 ns/value).

        Raises:
            TypeError: the array is not of an integer dtype (no silent truncation).
        """
        self._check_mutable()
        arr = np.asarray(values)
        if arr.size == 0:
            return
        if arr.dtype.kind not in "iu":
            raise TypeError(f"record_array needs integers, got dtype {arr.dtype}")
        arr = arr.ravel().astype(np.int64, copy=False)
        lo = int(arr.min())
        hi = int(arr.max())
        if lo < 0 or hi > self.highest:
            self.out_of_range += int(np.count_nonzero(arr < 0))
            self.out_of_range += int(np.count_nonzero(arr > self.highest))
            arr = np.clip(arr, 0, self.highest)
            lo, hi = int(arr.min()), int(arr.max())
        # Bucket index is monotonic in value, so the extremes bound the range.
        lo_index, hi_index = self._index(lo), self._index(hi)
        indices = self._indices(arr)
        indices -= lo_index
        binned = np.bincount(indices, minlength=hi_index - lo_index + 1)
        self._ensure(lo_index, hi_index)
        start = lo_index - self._offset
        self._counts[start : start + len(binned)] += binned
        self._note_extremes(lo, hi)
        self.count += int(arr.size)
        self._sum += int(arr.sum())
        as_float = arr.astype(np.float64)
        # Not np.dot: for float64 it calls OpenBLAS, whose threads then spin for
        # a while; measured ~20 ms of CPU per call here, i.e. ~100 ms per 1 s
        # snapshot of a request step, against ~0.2 ms for this (D18). numpy's
        # pairwise summation is also at least as accurate as BLAS ddot.
        as_float *= as_float
        self._sumsq += float(as_float.sum())

    def add(self, other: Histogram) -> None:
        """Add every count of ``other`` (same layout) into this histogram, exactly."""
        self._check_mutable()
        if not self.same_layout(other):
            raise ValueError(
                f"cannot merge histograms with different layouts: highest {self.highest}/"
                f"{other.highest}, significant_figures {self.significant_figures}/"
                f"{other.significant_figures}"
            )
        if other.count == 0:
            self.out_of_range += other.out_of_range
            return
        size = len(other._counts)
        self._ensure(other._offset, other._offset + size - 1)
        start = other._offset - self._offset
        self._counts[start : start + size] += other._counts
        self._note_extremes(other._min, other._max)
        self.count += other.count
        self.out_of_range += other.out_of_range
        self._sum += other._sum
        self._sumsq += other._sumsq

    def to_sparse(self) -> tuple[IntArray, IntArray]:
        """Return ``(indices, counts)`` of the non-empty buckets, indices ascending."""
        nonzero = np.flatnonzero(self._counts)
        return (nonzero + self._offset).astype(np.int64), self._counts[nonzero].copy()

    def add_sparse(self, indices: npt.ArrayLike, counts: npt.ArrayLike) -> None:
        """Add bucket counts by index (as from :meth:`to_sparse` of a same-layout histogram).

        Only buckets are added: exact min/max/sum are rebuilt from the bucket
        bounds (min = lowest value of the first bucket, max = highest value of
        the last, sum = midpoints), so prefer :meth:`add` when you have the
        histogram itself.
        """
        self._check_mutable()
        idx = np.asarray(indices, dtype=np.int64).ravel()
        cnt = np.asarray(counts, dtype=np.int64).ravel()
        if idx.shape != cnt.shape:
            raise ValueError("indices and counts must have the same length")
        keep = cnt != 0
        idx, cnt = idx[keep], cnt[keep]
        if idx.size == 0:
            return
        if int(cnt.min()) < 0 or int(idx.min()) < 0 or int(idx.max()) > self._top_index:
            raise ValueError("bucket index out of this layout's range, or a negative count")
        lo, hi = int(idx.min()), int(idx.max())
        self._ensure(lo, hi)
        np.add.at(self._counts, idx - self._offset, cnt)
        lows = np.array([self._lowest_of(int(i)) for i in idx], dtype=np.float64)
        highs = np.array([self._highest_of(int(i)) for i in idx], dtype=np.float64)
        mids = (lows + highs) / 2
        self._note_extremes(self._lowest_of(lo), min(self._highest_of(hi), self.highest))
        self.count += int(cnt.sum())
        # Elementwise products and numpy's own sums, not np.dot: np.dot on float64
        # calls OpenBLAS, whose threads then spin for milliseconds (see add_many).
        weighted = mids * cnt
        self._sum += round(float(weighted.sum()))
        weighted *= mids
        self._sumsq += float(weighted.sum())

    # -- statistics --------------------------------------------------------

    @property
    def min(self) -> int:
        """Exact smallest recorded value (after clamping); 0 when empty."""
        return self._min

    @property
    def max(self) -> int:
        """Exact largest recorded value (after clamping); 0 when empty."""
        return self._max

    @property
    def sum(self) -> int:
        """Exact sum of recorded values."""
        return self._sum

    @property
    def mean(self) -> float:
        """Exact mean (``sum / count``); 0.0 when empty."""
        return self._sum / self.count if self.count else 0.0

    @property
    def stdev(self) -> float:
        """Population standard deviation from exact sums (float64 sum of squares)."""
        if self.count == 0:
            return 0.0
        mean = self._sum / self.count
        return math.sqrt(max(self._sumsq / self.count - mean * mean, 0.0))

    def percentile(self, p: float) -> int:
        """Value at percentile ``p`` (0-100), with HdrHistogram semantics.

        ``p <= 0`` is the exact minimum and ``p >= 100`` the exact maximum; an
        empty histogram answers 0.
        """
        return self.percentiles((p,))[0]

    def percentiles(self, ps: Sequence[float]) -> list[int]:
        """Values at several percentiles, with one cumulative pass."""
        if self.count == 0:
            return [0 for _ in ps]
        cumulative = np.cumsum(self._counts)
        out: list[int] = []
        for p in ps:
            if p <= 0:
                out.append(self._min)
                continue
            # Same float expression as the reference implementations, so the
            # rank (and hence the bucket) is identical to theirs.
            rank = max(int((min(p, 100.0) * self.count / 100) + 0.5), 1)
            cell = int(np.searchsorted(cumulative, rank, side="left"))
            out.append(min(self._highest_of(cell + self._offset), self._max))
        return out

    # -- comparison & encoding --------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Histogram):
            return NotImplemented
        mine, theirs = self.to_sparse(), other.to_sparse()
        return (
            self.same_layout(other)
            and (self.count, self.out_of_range, self._min, self._max, self._sum)
            == (other.count, other.out_of_range, other._min, other._max, other._sum)
            and np.array_equal(mine[0], theirs[0])
            and np.array_equal(mine[1], theirs[1])
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def __repr__(self) -> str:
        return (
            f"Histogram(count={self.count}, min={self._min}, max={self._max}, "
            f"mean={self.mean:.1f}, out_of_range={self.out_of_range})"
        )

    def encode(self) -> str:
        """Compact ASCII text (base64 of zlib, see :mod:`._codec`) for JSON.

        It holds the layout, the exact count/min/max/sum and every non-empty
        bucket, so ``decode(h.encode()) == h``. About 7 KB for 100k lognormal
        latencies; a few hundred bytes for a typical one-second interval.
        """
        indices, counts = self.to_sparse()
        return pack(Packed(
            significant_figures=self.significant_figures, highest=self.highest,
            count=self.count, out_of_range=self.out_of_range, min=self._min, max=self._max,
            sum=self._sum, sumsq=self._sumsq, indices=indices, counts=counts,
        ))

    @classmethod
    def decode(cls, text: str) -> Histogram:
        """Rebuild a histogram from :meth:`encode` output.

        Raises:
            ValueError: the text is not an encoded histogram of a known version.
        """
        p = unpack(text)
        hist = cls(p.highest, p.significant_figures)
        if len(p.indices):
            if int(p.indices[-1]) > hist._top_index or int(p.counts.min()) < 0:
                raise ValueError("not an encoded histogram: bucket out of range")
            hist._offset = int(p.indices[0])
            hist._counts = np.zeros(int(p.indices[-1]) - hist._offset + 1, dtype=np.int64)
            hist._counts[p.indices - hist._offset] = p.counts
        hist.count, hist.out_of_range = p.count, p.out_of_range
        hist._min, hist._max, hist._sum, hist._sumsq = p.min, p.max, p.sum, p.sumsq
        return hist
