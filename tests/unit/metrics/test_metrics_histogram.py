"""Histogram: layout and percentiles equal to hdrh's, exact merges, encoding."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.metrics import Histogram
from agentload.metrics.histogram import IntArray

HIGHEST = 3_600_000_000
PERCENTILES = (0.001, 0.1, 1, 5, 10, 25, 33.3, 50, 66.6, 75, 90, 95, 99, 99.5, 99.9, 99.99,
               99.999, 100)


def _reference(values: np.ndarray, sig: int = 3, highest: int = HIGHEST) -> Any:
    ref = HdrHistogram(1, highest, sig)
    uniq, counts = np.unique(values, return_counts=True)
    for value, count in zip(uniq.tolist(), counts.tolist(), strict=True):
        assert ref.record_value(value, count)
    return ref


def _samples(kind: str, rng: np.random.Generator, n: int) -> IntArray:
    if kind == "uniform":
        return rng.integers(0, 2_000_000, n, dtype=np.int64)
    if kind == "uniform_wide":
        return rng.integers(0, HIGHEST + 1, n, dtype=np.int64)
    if kind == "lognormal":
        return np.clip(rng.lognormal(9.0, 1.5, n), 0, HIGHEST).astype(np.int64)
    if kind == "bimodal":
        fast = rng.normal(2_000, 200, n // 2)
        slow = rng.normal(900_000, 50_000, n - n // 2)
        both: IntArray = np.clip(np.concatenate([fast, slow]), 0, HIGHEST).astype(np.int64)
        return both
    if kind == "repeated":
        return rng.choice(np.array([1, 7, 1999, 2048, 123_456, 5_000_000], dtype=np.int64), n)
    if kind == "boundaries":
        # Powers of two and bucket edges, ±1: where off-by-one errors would show.
        edges = [(1 << k) + d for k in range(0, 32) for d in (-1, 0, 1)]
        edges += [(1 << k) * m - 1 for k in range(11, 31) for m in (1025, 1536, 2047)]
        pool = np.array([e for e in edges if 0 <= e <= HIGHEST], dtype=np.int64)
        return rng.choice(pool, n)
    raise AssertionError(kind)


KINDS = ("uniform", "uniform_wide", "lognormal", "bimodal", "repeated", "boundaries")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 3, 31, 1000, 20_000])
def test_percentiles_equal_hdrh(kind: str, n: int) -> None:
    rng = np.random.default_rng([KINDS.index(kind), n])
    values = _samples(kind, rng, n)
    hist = Histogram()
    hist.record_array(values)
    ref = _reference(values)
    for p in PERCENTILES:
        # hdrh answers the top of the bucket; ours is capped at the exact max.
        expected = min(ref.get_value_at_percentile(p), int(values.max()))
        assert hist.percentile(p) == expected, (kind, n, p)
    assert hist.percentile(0) == int(values.min())
    assert hist.percentile(100) == int(values.max())


@pytest.mark.parametrize("sig", [1, 2, 3, 4, 5])
def test_bucket_indices_equal_hdrh_for_every_precision(sig: int) -> None:
    rng = np.random.default_rng(sig)
    values = np.concatenate([
        _samples("boundaries", rng, 2000), _samples("uniform_wide", rng, 2000), np.arange(0, 5000)
    ])
    hist = Histogram(significant_figures=sig)
    ref = HdrHistogram(1, HIGHEST, sig)
    got = hist._indices(values.astype(np.int64))
    want = np.array([ref._counts_index_for(int(v)) for v in values])
    assert np.array_equal(got, want)
    assert [hist._index(int(v)) for v in values[:500]] == want[:500].tolist()
    for index in np.unique(want)[:300].tolist():
        assert hist._lowest_of(index) == ref.get_value_from_index(index)
        assert hist._highest_of(index) == ref.get_highest_equivalent_value(
            ref.get_value_from_index(index)
        )


@pytest.mark.parametrize("sig", [1, 2, 4, 5])
def test_percentiles_equal_hdrh_other_precisions(sig: int) -> None:
    rng = np.random.default_rng(100 + sig)
    values = _samples("lognormal", rng, 5000)
    hist = Histogram(significant_figures=sig)
    hist.record_array(values)
    ref = _reference(values, sig)
    for p in PERCENTILES:
        assert hist.percentile(p) == min(ref.get_value_at_percentile(p), int(values.max()))


def test_record_and_record_array_agree() -> None:
    rng = np.random.default_rng(5)
    values = _samples("boundaries", rng, 3000)
    one = Histogram()
    for v in values.tolist():
        one.record(v)
    many = Histogram()
    many.record_array(values)
    assert one == many
    weighted = Histogram()
    weighted.record(1234, 3)
    assert weighted.count == 3 and weighted.sum == 3702 and weighted.percentile(50) == 1234


def test_exact_stats() -> None:
    values = np.array([1_000, 2_000, 3_000, 10_000_001], dtype=np.int64)
    hist = Histogram()
    hist.record_array(values)
    assert (hist.count, hist.min, hist.max, hist.sum) == (4, 1_000, 10_000_001, 10_006_001)
    assert hist.mean == pytest.approx(10_006_001 / 4)
    assert hist.stdev == pytest.approx(float(np.std(values)))
    assert hist.percentile(100) == 10_000_001  # not the top of its bucket


def test_empty_histogram() -> None:
    hist = Histogram()
    hist.record_array(np.array([], dtype=np.int64))
    assert (hist.count, hist.min, hist.max, hist.mean, hist.stdev) == (0, 0, 0, 0.0, 0.0)
    assert hist.percentile(99) == 0 and hist.percentiles([50, 99]) == [0, 0]
    assert Histogram.decode(hist.encode()) == hist


def test_out_of_range_is_clamped_and_counted() -> None:
    hist = Histogram(highest=1_000_000)
    hist.record_array(np.array([-5, 10, 2_000_000, 3_000_000], dtype=np.int64))
    hist.record(-1)
    hist.record(5_000_000, 2)
    assert hist.out_of_range == 6
    assert hist.count == 7
    assert hist.min == 0 and hist.max == 1_000_000
    assert hist.percentile(100) == 1_000_000
    other = Histogram(highest=1_000_000)
    other.add(hist)
    assert other.out_of_range == 6
    assert Histogram.decode(hist.encode()).out_of_range == 6


def test_rejects_floats_and_bad_layouts() -> None:
    with pytest.raises(TypeError):
        Histogram().record_array(np.array([1.5]))
    with pytest.raises(ValueError, match="significant_figures"):
        Histogram(significant_figures=6)
    with pytest.raises(ValueError, match="highest"):
        Histogram(highest=2**60)
    with pytest.raises(ValueError, match="layouts"):
        Histogram().add(Histogram(significant_figures=2))
    with pytest.raises(ValueError, match="count"):
        Histogram().record(5, -1)


def test_frozen_histogram_refuses_changes() -> None:
    hist = Histogram()
    hist.record(5)
    hist.freeze()
    with pytest.raises(ValueError, match="frozen"):
        hist.record(1)
    with pytest.raises(ValueError, match="frozen"):
        hist.add(Histogram())
    with pytest.raises(ValueError, match="frozen"):
        hist.record_array(np.array([1]))
    copy = hist.copy()
    copy.record(7)
    assert copy.count == 2 and hist.count == 1


def test_sparse_round_trip() -> None:
    rng = np.random.default_rng(9)
    hist = Histogram()
    hist.record_array(_samples("lognormal", rng, 5000))
    indices, counts = hist.to_sparse()
    assert np.all(np.diff(indices) > 0) and np.all(counts > 0)
    rebuilt = Histogram()
    rebuilt.add_sparse(indices, counts)
    assert rebuilt.count == hist.count
    for p in (1, 50, 90, 99):
        # Same buckets; only the cap at the exact max may differ.
        assert abs(rebuilt.percentile(p) - hist.percentile(p)) <= hist.percentile(p) // 1000 + 1
    assert np.array_equal(rebuilt.to_sparse()[0], indices)
    with pytest.raises(ValueError):
        rebuilt.add_sparse([10**9], [1])


def test_encode_round_trip_and_garbage() -> None:
    rng = np.random.default_rng(11)
    for kind in KINDS:
        hist = Histogram()
        hist.record_array(_samples(kind, rng, 3000))
        hist.record(HIGHEST + 5)
        text = hist.encode()
        assert text.isascii()
        back = Histogram.decode(text)
        assert back == hist
        assert back.stdev == hist.stdev
        assert back.percentiles(PERCENTILES) == hist.percentiles(PERCENTILES)
    for bad in ("", "not base64!", "aGVsbG8=", Histogram().encode()[:-4]):
        with pytest.raises(ValueError, match="histogram"):
            Histogram.decode(bad)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(min_value=-10, max_value=HIGHEST + 10), min_size=1,
                    max_size=300),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=4),
    ps=st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=5),
)
def test_merge_of_split_samples_is_exact(values: list[int], cuts: list[int],
                                         ps: list[float]) -> None:
    whole = Histogram()
    whole.record_array(np.array(values, dtype=np.int64))
    bounds = sorted({0, len(values), *(min(c, len(values)) for c in cuts)})
    merged = Histogram()
    for lo, hi in itertools.pairwise(bounds):
        part = Histogram()
        part.record_array(np.array(values[lo:hi], dtype=np.int64))
        merged.add(Histogram.decode(part.encode()))  # through the wire format too
    assert merged == whole
    assert merged.percentiles(ps) == whole.percentiles(ps)
    assert merged.mean == whole.mean
