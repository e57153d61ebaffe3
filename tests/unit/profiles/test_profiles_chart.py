"""The terminal chart of a plan: golden text and the column rule."""

from __future__ import annotations

import pytest

from agentload.profiles import (
    ClosedModel,
    Stage,
    build_preset,
    compile_plan,
    render_chart,
    shape_from_points,
)
from agentload.profiles.chart import column_values

W = [("a", 1)]


def test_spike_preset_golden() -> None:
    plan = compile_plan(build_preset("spike"), W)
    assert render_chart(plan, width=30, height=4) == (
        "active VUs over 1m30s (3s per column)\n"
        "100 ┤                 ▂▅██▅▂\n"
        "    │               ▃▆██████▇▄\n"
        "    │            ▂▅████████████▅▂\n"
        "    │▁▁▁▁▁▁▁▁▁▁▃▆████████████████▇▄\n"
        "  0 └──────────────────────────────\n"
        "     0s                       1m30s"
    )


def test_step_preset_golden() -> None:
    plan = compile_plan(build_preset("step", {"vus": 40, "steps": 4, "interval": 30}), W)
    assert render_chart(plan, width=12, height=2) == (
        "active VUs over 2m (10s per column)\n"
        "40 ┤      ▄▄▄███\n"
        "   │▄▄▄█████████\n"
        " 0 └────────────\n"
        "    0s        2m"
    )


def test_open_model_golden_and_segments() -> None:
    model = shape_from_points([(0, 0), (10, 10), (10, 2), (20, 2)], "open")
    plan = compile_plan(model, W)
    assert render_chart(plan, width=10, height=2) == (
        "arrival rate (it/s) over 20s (2s per column)\n"
        "10 ┤  ▂▅█\n"
        "   │▃▆███▃▃▃▃▃\n"
        " 0 └──────────\n"
        "    0s     20s"
    )
    # A segment shows its own share, and says so.
    assert render_chart(plan.split(2)[1], width=10, height=2).splitlines()[:2] == [
        "arrival rate (it/s) over 20s (2s per column, segment 2/2)",
        "5 ┤  ▂▅█",
    ]


def test_columns_show_the_largest_value_so_short_spikes_stay_visible() -> None:
    # 1 s at 50 VUs in a 100 s plan: narrower than a 10 s column.
    model = ClosedModel(
        stages=(Stage(50, 5), Stage(0, 50), Stage(1, 50), Stage(0, 5), Stage(49, 5)), start_vus=5
    )
    plan = compile_plan(model, W)
    assert column_values(plan, 10) == (5, 5, 5, 5, 5, 50, 5, 5, 5, 5)
    assert plan.timeline(10.0)[5] == (50.0, 50.0)


def test_any_load_shows_at_least_the_lowest_block() -> None:
    model = ClosedModel(stages=(Stage(10, 1), Stage(0, 1000), Stage(10, 1000)), start_vus=1)
    chart = render_chart(compile_plan(model, W), width=4, height=1)
    assert chart.splitlines()[1] == "1000 ┤▁▁██"


def test_no_trailing_spaces_and_narrow_axes() -> None:
    plan = compile_plan(build_preset("smoke"), W)
    chart = render_chart(plan, width=3, height=1)
    assert all(line == line.rstrip() for line in chart.splitlines())
    # Too narrow for both times: only the start is written.
    assert chart.splitlines()[-1] == "   0s"


@pytest.mark.parametrize(("width", "height"), [(0, 4), (10, 0), (True, 4)])
def test_bad_sizes(width: int, height: int) -> None:
    plan = compile_plan(build_preset("smoke"), W)
    with pytest.raises(ValueError, match="at least 1"):
        render_chart(plan, width=width, height=height)
