"""Merging by interval: out of order, late, missing, finished early — always exact, in order."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.distributed import IntervalMerger
from agentload.metrics import Aggregate, CounterData, GaugeData, Recorder, Snapshot


def snap(
    index: int, reqs: int, vus: int, *, samples: tuple[int, ...] = (), end: float = 0
) -> Snapshot:
    """One worker's interval ``index``: ``reqs`` requests, ``vus`` VUs, optional latencies."""
    rec = Recorder()
    rec.counter("http_reqs").add(reqs)
    rec.gauge("vus").set(vus)
    trend = rec.trend("http_req_duration")
    for v in samples:
        trend.add(v)
    return rec.snapshot(start=float(index), end=end or float(index + 1))


def reqs(s: Snapshot) -> float:
    data = next(d for k, d in s.series.items() if k.metric == "http_reqs")
    assert isinstance(data, CounterData)
    return data.value


def vus(s: Snapshot) -> GaugeData:
    data = next(d for k, d in s.series.items() if k.metric == "vus")
    assert isinstance(data, GaugeData)
    return data


def test_intervals_wait_for_every_worker_and_come_out_in_order() -> None:
    m = IntervalMerger([0, 1])
    # Worker 1 runs ahead: nothing is complete until worker 0 catches up.
    assert m.add(1, 0, snap(0, 10, 2)) == []
    assert m.add(1, 1, snap(1, 11, 2)) == []
    assert m.add(1, 2, snap(2, 12, 2)) == []
    out = m.add(0, 0, snap(0, 1, 3))
    assert [(s.start, reqs(s), vus(s).value) for s in out] == [(0.0, 11, 5)]
    out = m.add(0, 1, snap(1, 2, 3)) + m.add(0, 2, snap(2, 3, 3))
    assert [(s.start, reqs(s)) for s in out] == [(1.0, 13), (2.0, 15)]
    assert m.next_index == 3 and m.flush() == []


def test_a_late_worker_is_merged_into_the_right_interval() -> None:
    m = IntervalMerger([0, 1])
    out: list[Snapshot] = []
    for i in range(4):  # worker 0 delivers everything first
        out += m.add(0, i, snap(i, 1, 1))
    assert out == []
    for i in range(4):  # worker 1's intervals arrive late, one by one
        out += m.add(1, i, snap(i, 100, 1))
        assert [s.start for s in out] == [float(k) for k in range(i + 1)]
    assert [reqs(s) for s in out] == [101, 101, 101, 101]


def test_a_missing_worker_is_dropped_and_what_it_sent_is_kept() -> None:
    m = IntervalMerger([0, 1])
    out = m.add(1, 0, snap(0, 100, 2)) + m.add(0, 0, snap(0, 1, 2))
    assert [reqs(s) for s in out] == [101]
    out = m.add(1, 1, snap(1, 100, 2))  # worker 1's last words before it dies
    out += m.add(0, 1, snap(1, 1, 2)) + m.add(0, 2, snap(2, 1, 2))
    assert [reqs(s) for s in out] == [101]  # interval 2 still waits for worker 1
    out = m.drop(1)
    assert [(s.start, reqs(s), vus(s).value) for s in out] == [(2.0, 1, 2)]
    # From now on worker 0 alone completes intervals; worker 1's leftovers are ignored.
    assert [reqs(s) for s in m.add(0, 3, snap(3, 1, 2))] == [1]
    assert m.add(1, 2, snap(2, 100, 2)) == [] and m.ignored == 1


def test_a_worker_that_skips_an_interval_does_not_block_it() -> None:
    m = IntervalMerger([0, 1])
    m.add(0, 0, snap(0, 1, 1))
    m.add(0, 1, snap(1, 1, 1))
    out = m.add(1, 0, snap(0, 5, 1))
    out += m.add(1, 2, snap(2, 5, 1))  # nothing for interval 1: it will never come
    assert [(s.start, reqs(s)) for s in out] == [(0.0, 6), (1.0, 1)]
    assert [reqs(s) for s in m.add(0, 2, snap(2, 1, 1))] == [6]


def test_final_partial_intervals_merge_and_finished_workers_keep_their_gauges() -> None:
    m = IntervalMerger([0, 1])
    out: list[Snapshot] = []
    for i in range(3):
        out += m.add(0, i, snap(i, 1, 2))
        out += m.add(1, i, snap(i, 1, 2))
    # Worker 0 stops at 3.01; worker 1 ticks once more and stops at 3.02.
    out += m.add(0, 3, snap(3, 1, 0, end=3.01))
    out += m.finish(0)
    assert len(out) == 3
    out += m.add(1, 3, snap(3, 1, 1, end=3.5))
    out += m.add(1, 4, snap(4, 1, 0, end=4.02))
    out += m.finish(1)
    assert [(s.start, s.end, reqs(s)) for s in out[3:]] == [(3.0, 3.5, 2), (4.0, 4.02, 1)]
    last = vus(out[-1])
    # Worker 0's final level (0 VUs, but still there) is carried, flat, into interval 4.
    assert (last.value, last.min, last.max) == (0, 0, 0)


def test_carried_gauges_hold_the_last_value_of_a_finished_worker() -> None:
    rec = Recorder()
    rec.gauge("vus_max").set(4)
    m = IntervalMerger([0, 1])
    m.add(0, 0, rec.snapshot(start=0.0, end=0.5))
    m.finish(0)
    out = m.add(1, 0, snap(0, 1, 1)) + m.add(1, 1, snap(1, 1, 1)) + m.finish(1)
    last = out[-1]
    vmax = next(d for k, d in last.series.items() if k.metric == "vus_max")
    assert vmax == GaugeData(4, 4, 4)


def test_order_violations_and_strangers_are_errors() -> None:
    m = IntervalMerger([0])
    m.add(0, 1, snap(1, 1, 1))
    with pytest.raises(ValueError, match="after interval 1"):
        m.add(0, 1, snap(1, 1, 1))
    with pytest.raises(ValueError, match="unknown worker 7"):
        m.add(7, 0, snap(0, 1, 1))
    m.finish(0)
    with pytest.raises(ValueError, match="finished worker 0"):
        m.add(0, 5, snap(5, 1, 1))


def test_flush_releases_whatever_is_pending_in_order() -> None:
    m = IntervalMerger([0, 1])
    m.add(0, 0, snap(0, 1, 1))
    m.add(0, 1, snap(1, 1, 1))
    assert [s.start for s in m.flush()] == [0.0, 1.0]


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.lists(st.lists(st.integers(1, 10**7), max_size=20), min_size=1, max_size=5),
        min_size=1,
        max_size=4,
    ),
    seed=st.integers(0, 2**32),
)
def test_merged_percentiles_equal_the_percentiles_of_all_samples(
    data: list[list[list[int]]], seed: int
) -> None:
    """``data[w][i]``: worker ``w``'s samples in interval ``i``; delivery order shuffled."""
    messages = [
        (w, i, snap(i, len(samples), 1, samples=tuple(samples)))
        for w, intervals in enumerate(data)
        for i, samples in enumerate(intervals)
    ]
    rng = random.Random(seed)
    rng.shuffle(messages)
    # Each worker's own intervals stay in order (a pipe keeps order); workers interleave.
    by_worker = {
        w: sorted((m for m in messages if m[0] == w), key=lambda m: m[1]) for w in range(len(data))
    }
    order = [by_worker[w].pop(0) for w, *_ in messages]
    m = IntervalMerger(range(len(data)))
    merged: list[Snapshot] = []
    for w, i, s in order:
        merged += m.add(w, i, s)
    for w in range(len(data)):
        merged += m.finish(w)
    assert [s.start for s in merged] == sorted({float(i) for _, i, _ in messages})
    agg = Aggregate()
    for s in merged:
        agg.add(s)
    everything = Recorder()
    trend = everything.trend("http_req_duration")
    for intervals in data:
        for samples in intervals:
            for v in samples:
                trend.add(v)
    expected = Aggregate()
    expected.add(everything.snapshot(start=0.0, end=1.0))
    want, got = expected.trend("http_req_duration"), agg.trend("http_req_duration")
    total = sum(len(s) for intervals in data for s in intervals)
    assert agg.counter("http_reqs") == total
    if want is None:
        assert got is None or got.count == 0
        return
    assert got is not None and got.count == want.count
    for p in (50.0, 90.0, 99.0, 99.9, 100.0):
        assert got.percentile(p) == want.percentile(p)
    assert (got.min, got.max, got.sum) == (want.min, want.max, want.sum)
