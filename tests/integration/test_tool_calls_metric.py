"""``llm_tool_calls`` against known replies from the reference target."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agentload.engine.steps import compile_steps
from agentload.engine.vu import VU
from agentload.metrics import Aggregate, Recorder
from agentload.protocols.http import HttpClient
from agentload.scenario import load_scenario_text
from agentload.target import TargetConfig, serve

FLOW = """
  - llm:   # one tool call, streamed
      name: weather
      url: /v1/chat/completions?tool_call=1&ttft_ms=1&tps=5000
      model: m
      messages: [{role: user, content: "Weather?"}]
      tools: [{type: function, function: {name: get_weather}}]
  - llm:   # one tool call, whole
      name: weather
      url: /v1/chat/completions?tool_call=1&ttft_ms=1&tps=5000
      model: m
      stream: false
      messages: [{role: user, content: "Weather?"}]
      tools: [{type: function, function: {name: get_weather}}]
  - llm:   # text: no tool call
      name: text
      url: /v1/chat/completions?ttft_ms=1&tps=5000
      model: m
      messages: [{role: user, content: "Hi"}]
  - llm:   # a failed request adds nothing
      name: failed
      url: /v1/chat/completions?tool_call=1&status=500
      model: m
      messages: [{role: user, content: "Weather?"}]
      tools: [{type: function, function: {name: get_weather}}]
"""


def test_llm_tool_calls_counts_the_calls_of_successful_replies() -> None:
    text = f"config: {{target: 'http://127.0.0.1:1'}}\nflow:\n{FLOW}"
    sf = load_scenario_text(text, filename="t.yaml", env={}, base_dir=Path("."))
    recorder = Recorder()

    async def go() -> None:
        async with serve(TargetConfig(seed=1)) as target, HttpClient() as http:
            config = sf.config.__class__(target=target.url)
            steps = compile_steps(
                sf.scenarios[0].steps, scenario="s", config=config, recorder=recorder
            )
            vu = VU(0, http=http, variables={})
            for _ in range(3):
                for step in steps:
                    await step.run(vu, 0)

    asyncio.run(asyncio.wait_for(go(), 30))
    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))
    assert agg.counter("llm_tool_calls", {"name": "weather"}) == 6
    assert agg.counter("llm_tool_calls", {"name": "text"}) == 0
    assert agg.counter("llm_tool_calls", {"name": "failed"}) == 0
    assert agg.rate("llm_requests_failed", {"name": "failed"}) == (3, 3)
