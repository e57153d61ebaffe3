"""Segments: summed over segments, a split plan is exactly the unsplit one."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agentload.profiles import (
    ClosedModel,
    OpenModel,
    Plan,
    Segment,
    Stage,
    compile_plan,
    validate_model,
)

WEIGHTS = [("a", 2), ("b", 1)]
durations = st.one_of(
    st.sampled_from([0.0, 0.5, 1.0, 3.0]), st.floats(0.0, 10.0, allow_subnormal=False)
)


@st.composite
def closed_models(draw: st.DrawFn) -> ClosedModel:
    stages = draw(
        st.lists(st.builds(Stage, durations, st.integers(0, 25).map(float)), min_size=1, max_size=6)
    )
    model = ClosedModel(stages=tuple(stages), start_vus=draw(st.integers(0, 12)))
    assume(not validate_model(model))
    return model


@st.composite
def open_models(draw: st.DrawFn) -> OpenModel:
    rates = st.one_of(st.sampled_from([0.0, 1.0, 7.5]), st.floats(0.0, 40.0))
    stages = draw(st.lists(st.builds(Stage, durations, rates), min_size=1, max_size=5))
    model = OpenModel(
        stages=tuple(stages),
        start_rate=draw(rates),
        poisson=draw(st.booleans()),
        seed=draw(st.integers(0, 2**32)),
        max_vus=draw(st.integers(1, 50)),
        pre_allocated_vus=0,
    )
    assume(not validate_model(model))
    return model


def target(model: ClosedModel, t: float) -> tuple[float, int]:
    """Independent oracle: the linear target at t and the ramp direction (+1, -1, 0)."""
    begin, value = 0.0, float(model.start_vus)
    for stage in model.stages:
        end = begin + stage.duration
        if stage.duration > 0 and begin < t < end:
            frac = (t - begin) / stage.duration
            direction = (stage.target > value) - (stage.target < value)
            return value + (stage.target - value) * frac, direction
        begin, value = end, stage.target
    return value, 0


@settings(max_examples=150, deadline=None)
@given(closed_models(), st.integers(1, 7), st.lists(st.floats(-1, 70), max_size=20))
def test_closed_segments_sum_to_the_whole(
    model: ClosedModel, count: int, extra: list[float]
) -> None:
    whole = compile_plan(model, WEIGHTS)
    parts = whole.split(count)
    at = [c.at for c in whole.vu_changes()]
    instants = {*at, *(t + 1e-7 for t in at), *(t - 1e-7 for t in at), *extra}
    for t in instants:
        assert sum(p.vus_at(t) for p in parts) == whole.vus_at(t)
    assert sum(p.max_vus() for p in parts) >= whole.max_vus()
    for p in (whole, *parts):
        changes = p.vu_changes()
        assert changes[0].at == 0
        assert changes[-1].at == whole.duration
        assert all(a.at < b.at for a, b in itertools.pairwise(changes))
        # Only the final marker may repeat a count.
        assert all(a.active != b.active for a, b in itertools.pairwise(changes[:-1]))
        assert p.max_vus() == max(c.active for c in changes)
    # Segment change times are a subset of the whole plan's.
    assert all(c.at in at for p in parts for c in p.vu_changes())


@settings(max_examples=100, deadline=None)
@given(closed_models())
def test_closed_total_is_floor_up_ceil_down(model: ClosedModel) -> None:
    whole = compile_plan(model, WEIGHTS)
    for n in range(101):
        t = whole.duration * n / 100
        value, direction = target(model, t)
        if direction == 0 or abs(value - round(value)) < 1e-6:
            continue  # on a hold, or too close to a crossing for a float oracle
        expected = math.floor(value) if direction > 0 else math.ceil(value)
        assert whole.vus_at(t) == expected


@settings(max_examples=120, deadline=None)
@given(open_models(), st.integers(1, 6))
def test_open_segments_partition_the_arrivals(model: OpenModel, count: int) -> None:
    whole = compile_plan(model, WEIGHTS)
    expected = list(whole.arrivals())
    assume(len(expected) < 5000)
    parts = whole.split(count)
    got: list[tuple[int, float]] = []
    for p in parts:
        mine = list(p.arrivals())
        assert all(i % count == p.segment.index for i, _ in mine)
        assert all(a[1] <= b[1] for a, b in itertools.pairwise(mine))
        got += mine
    assert sorted(got) == expected
    assert [i for i, _ in expected] == list(range(len(expected)))
    assert all(0 <= t < whole.duration for _, t in expected)
    assert sum(p.max_vus() for p in parts) == model.max_vus


@settings(deadline=None)
@given(st.integers(0, 1000), st.integers(1, 9))
def test_shares_sum_exactly_and_stripe(total: int, count: int) -> None:
    segments = [Segment(i, count) for i in range(count)]
    assert sum(s.share(total) for s in segments) == total
    for s in segments:
        locals_ = [s.global_index(j) for j in range(s.share(total))]
        assert locals_ == [k for k in range(total) if k % count == s.index]
        assert all(s.owns(k) for k in locals_)


def test_vu_global_index_stripes() -> None:
    parts = compile_plan(ClosedModel(stages=(Stage(1, 9),)), WEIGHTS).split(4)
    assert [parts[1].vu_global_index(j) for j in range(3)] == [1, 5, 9]
    assert [p.max_vus() for p in parts] == [3, 2, 2, 2]
    with pytest.raises(ValueError, match="negative"):
        parts[0].vu_global_index(-1)


def test_split_rules() -> None:
    whole = compile_plan(ClosedModel(stages=(Stage(1, 9),)), WEIGHTS)
    assert whole.split(1) == (whole,)
    parts = whole.split(3)
    assert [p.segment for p in parts] == [Segment(0, 3), Segment(1, 3), Segment(2, 3)]
    assert all(p.unsplit() == whole for p in parts)
    with pytest.raises(ValueError, match="only an unsplit plan"):
        parts[0].split(2)
    with pytest.raises(ValueError, match="1 or more"):
        whole.split(0)


@pytest.mark.parametrize(("index", "count"), [(0, 0), (-1, 2), (2, 2), (True, 2), (0, 1.5)])
def test_segment_rejects_bad_values(index: object, count: object) -> None:
    with pytest.raises(ValueError, match="segment"):
        Segment(index, count)  # type: ignore[arg-type]


def test_segment_str_is_one_based() -> None:
    assert str(Segment(1, 4)) == "2/4"
    assert Segment().whole and not Segment(0, 2).whole


def test_plan_constructor_checks_segment_type() -> None:
    model = ClosedModel(stages=(Stage(1, 1),))
    with pytest.raises(ValueError, match="Segment"):
        Plan(model, (("a", 1),), (0, 2))  # type: ignore[arg-type]
