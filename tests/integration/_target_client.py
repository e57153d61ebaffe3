"""Run test code against an in-process reference target on a free port."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from agentload.target import LatencyDist, TargetConfig, serve

Body = Callable[[aiohttp.ClientSession], Awaitable[None]]


def run(body: Body, config: TargetConfig | None = None, timeout: float = 15.0) -> None:
    """Serve a target on a free port and run ``body`` with a client bound to it."""
    cfg = config or TargetConfig(seed=1, chat_latency=LatencyDist.constant(0.001))

    async def main() -> None:
        async with (
            serve(cfg, host="127.0.0.1", port=0) as running,
            aiohttp.ClientSession(base_url=running.url) as client,
        ):
            await asyncio.wait_for(body(client), timeout)

    asyncio.run(main())
