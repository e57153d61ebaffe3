"""Load groups (user types with their own load): pure plans, exact splits, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.profiles.test_profiles_split import closed_models, open_models

from agentload.profiles import (
    ClosedModel,
    LoadGroup,
    OpenModel,
    Plan,
    Stage,
    compile_groups,
    compile_plan,
    render_chart,
)

NORMAL = ClosedModel(stages=(Stage(10, 10), Stage(20, 10), Stage(5, 0)))
HIGH = OpenModel(stages=(Stage(30, 20),), start_rate=20, max_vus=50, pre_allocated_vus=10)


def two_groups() -> Plan:
    return compile_groups(
        [
            LoadGroup(NORMAL, (("chat", 3), ("dashboard", 1))),
            LoadGroup(HIGH, (("rapid", 1),)),
        ]
    )


def test_one_group_is_exactly_the_single_load_plan() -> None:
    single = compile_plan(NORMAL, [("chat", 3), ("dashboard", 1)])
    grouped = compile_groups([LoadGroup(NORMAL, (("chat", 3), ("dashboard", 1)))])
    assert grouped == single
    assert grouped.to_dict() == single.to_dict()
    assert "groups" not in single.to_dict()
    assert single.parts()[0].plan is single and single.parts()[0].vu_offset == 0


def test_groups_run_side_by_side() -> None:
    plan = two_groups()
    assert plan.duration == 35.0  # the longest group
    closed, opened = plan.parts()
    assert closed.plan.weights == (("chat", 3), ("dashboard", 1))
    assert closed.vu_offset == 0
    assert opened.vu_offset == 10  # after the closed group's peak of 10 VUs
    assert plan.max_vus() == 10 + 50
    assert plan.rate_at(5.0) == 20.0  # the open groups' rate
    assert plan.worker_limit() == 50  # no segment may get an open pool of 0
    assert [name for g in plan.groups for name, _ in g.weights] == ["chat", "dashboard", "rapid"]


def test_single_group_methods_refuse_a_grouped_plan() -> None:
    plan = two_groups()
    for method in (plan.vu_changes, plan.arrivals, plan.expected_iterations, plan.timeline):
        with pytest.raises(TypeError, match="parts"):
            method()
    with pytest.raises(TypeError, match="parts"):
        plan.scenario_for(0)


def test_a_scenario_belongs_to_one_group() -> None:
    with pytest.raises(ValueError, match="'chat' is in another group"):
        compile_groups([LoadGroup(NORMAL, (("chat", 1),)), LoadGroup(HIGH, (("chat", 1),))])
    with pytest.raises(ValueError, match="load group 2: no stages"):
        compile_groups([LoadGroup(NORMAL, (("a", 1),)), LoadGroup(ClosedModel(()), (("b", 1),))])
    with pytest.raises(ValueError, match="no load groups"):
        compile_groups([])


def test_grouped_plans_survive_json_whole_and_split() -> None:
    plan = two_groups()
    assert Plan.from_dict(plan.to_dict()) == plan
    for segment in plan.split(3):
        back = Plan.from_dict(segment.to_dict())
        assert back == segment
        assert [p.plan for p in back.parts()] == [p.plan for p in segment.parts()]
    with pytest.raises(ValueError, match="groups\\[0\\]: missing weights"):
        Plan.from_dict({**plan.to_dict(), "groups": [{"model": plan.to_dict()["model"]}]})


def test_describe_and_chart_show_every_group() -> None:
    plan = two_groups()
    text = plan.describe()
    assert text.splitlines()[0] == "2 load groups side by side; duration 35s; up to 60 VUs in all"
    assert "group 1 (chat, dashboard):" in text and "group 2 (rapid):" in text
    assert "  open model: 20 it/s for 30s (evenly spaced)" in text
    chart = render_chart(plan, width=20, height=2)
    assert chart.splitlines()[0] == "group 1 (chat, dashboard):"
    assert "arrival rate (it/s) over 30s" in chart


@settings(max_examples=60, deadline=None)
@given(closed_models(), open_models(), st.integers(1, 5))
def test_each_group_splits_exactly_and_vu_indices_never_collide(
    closed: ClosedModel, opened: OpenModel, count: int
) -> None:
    whole = compile_groups(
        [LoadGroup(closed, (("a", 2), ("b", 1))), LoadGroup(opened, (("c", 1),))]
    )
    segments = whole.split(count)
    closed_whole, open_whole = (p.plan for p in whole.parts())
    # Group by group, the segments' parts sum to the unsplit group.
    for t in (0.0, 0.5, 1.0, 2.5, 7.0, 30.0):
        assert sum(s.parts()[0].plan.vus_at(t) for s in segments) == closed_whole.vus_at(t)
    arrivals = sorted(a for s in segments for a in s.parts()[1].plan.arrivals())
    assert arrivals == sorted(open_whole.arrivals())
    # VU indices: group 1 uses [0, its peak), group 2 starts after it, in every segment.
    for s in segments:
        first, second = s.parts()
        assert (
            second.vu_offset == closed_whole.max_vus() == first.vu_offset + closed_whole.max_vus()
        )
        last_closed = first.vu_offset + first.plan.vu_global_index(max(first.plan.max_vus(), 1) - 1)
        assert first.plan.max_vus() == 0 or last_closed < second.vu_offset
    assert whole.duration == max(closed_whole.duration, open_whole.duration)
