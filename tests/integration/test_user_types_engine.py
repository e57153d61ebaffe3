"""Load groups in the engine: side by side on one loop, and split across segments exactly."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agentload.engine.runner import Runner, RunResult
from agentload.profiles import compile_groups
from agentload.scenario import load_scenario_text
from agentload.scenario._user_types import load_groups

SCENARIO = """
config: {{target: "{target}"}}
load: {{vus: 3, duration: 1500ms, graceful_stop: 1s}}
scenarios:
  - {{name: normal, weight: 2, flow: [{{get: /health}}, {{think: 50ms}}]}}
  - {{name: dashboard, flow: [{{get: /api/analytics/kpi}}, {{think: 50ms}}]}}
  - name: high_load
    load: {{rate: 20, duration: 1500ms, max_vus: 6, pre_allocated_vus: 2, graceful_stop: 1s}}
    flow: [{{get: /healthz}}]
"""


def _runs(target_url: str, segments: int) -> list[RunResult]:
    sf = load_scenario_text(
        SCENARIO.format(target=target_url), filename="t.yaml", env={}, base_dir=Path(".")
    )
    plan = compile_groups(load_groups(sf.load, sf.scenarios))
    parts = plan.split(segments) if segments > 1 else (plan,)

    async def go() -> list[RunResult]:
        # Each segment is what one worker process runs; here they share one loop.
        return list(await asyncio.gather(*(Runner(sf, p).run() for p in parts)))

    return asyncio.run(go())


def _requests(results: list[RunResult], scenario: str) -> float:
    return sum(
        r.aggregate.counter("http_reqs", {"scenario": scenario, "status": "200"}) for r in results
    )


def test_groups_run_side_by_side_and_keep_their_own_load(target_url: str) -> None:
    (result,) = _runs(target_url, 1)
    # The open group starts exactly its planned arrivals (20 it/s for 1.5 s) …
    assert _requests([result], "high_load") == 30
    # … while the closed group's 3 VUs loop (2 on normal, 1 on dashboard).
    assert _requests([result], "normal") > 0 and _requests([result], "dashboard") > 0
    vus = result.aggregate.gauge("vus")
    assert vus is not None and 3 <= vus.max <= 3 + 6


def test_split_segments_add_up_to_the_plan(target_url: str) -> None:
    results = _runs(target_url, 2)
    assert _requests(results, "high_load") == 30  # 15 arrivals per segment, none lost
    assert all(_requests([r], "high_load") == 15 for r in results)
    assert all(_requests([r], "normal") + _requests([r], "dashboard") > 0 for r in results[:1])
