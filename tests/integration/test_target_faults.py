"""The reference target's fault knobs, admin endpoint and Prometheus metrics."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from agentload.target import TargetConfig
from tests.integration._target_client import Body, run  # noqa: F401


async def timed_get(client: aiohttp.ClientSession, path: str) -> tuple[int, float]:
    start = time.perf_counter()
    async with client.get(path) as resp:
        await resp.read()
        return resp.status, time.perf_counter() - start


def test_delay_ms_query_parameter_adds_latency() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        status, elapsed = await timed_get(client, "/api/billing/usage?delay_ms=200")
        assert status == 200
        assert elapsed >= 0.2
        status, elapsed = await timed_get(client, "/health?delay_ms=150")
        assert status == 200
        assert elapsed >= 0.15

    run(body)


def test_fail_rate_and_status_query_parameters() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        for _ in range(5):
            async with client.get("/api/billing/usage?fail_rate=1") as resp:
                assert resp.status == 500
                assert (await resp.json())["status"] == 500
        async with client.get("/api/billing/usage?fail_rate=0") as resp:
            assert resp.status == 200
        async with client.get("/api/analytics/kpi?status=503") as resp:
            assert resp.status == 503
            assert (await resp.json())["status"] == 503
        async with client.post("/api/chat/messages?status=429", json={"message": "x"}) as resp:
            assert resp.status == 429
        async with client.get("/health?status=204") as resp:
            assert resp.status == 204

    run(body)


def test_bad_fault_parameters_are_rejected() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        for query in ("delay_ms=abc", "delay_ms=-5", "fail_rate=1.5", "status=99", "status=x"):
            async with client.get(f"/api/billing/usage?{query}") as resp:
                assert resp.status == 400, query
                assert "error" in await resp.json()

    run(body)


def test_fail_rate_is_a_share_of_requests() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async def one() -> int:
            async with client.get("/api/billing/usage?fail_rate=0.5") as resp:
                return resp.status

        statuses = await asyncio.gather(*(one() for _ in range(100)))
        failures = statuses.count(500)
        assert statuses.count(200) + failures == 100
        assert 15 <= failures <= 85  # binomial(100, 0.5): far outside is a bug, not luck

    run(body, TargetConfig(seed=7))


def test_configured_faults_spare_health_metrics_and_admin() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async with client.get("/api/billing/usage") as resp:
            assert resp.status == 500
        for path in ("/health", "/metrics", "/admin/config"):
            async with client.get(path) as resp:
                assert resp.status == 200, path

    run(body, TargetConfig(fail_rate=1.0))


def test_configured_delay_applies_to_api_requests() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        status, elapsed = await timed_get(client, "/api/auth/status")
        assert status == 200
        assert elapsed >= 0.15

    run(body, TargetConfig(delay_ms=150))


def test_admin_config_degrades_and_restores_a_running_target() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async with client.post("/admin/config", json={"delay_ms": 200}) as resp:
            assert resp.status == 200
            assert (await resp.json())["delay_ms"] == 200
        status, elapsed = await timed_get(client, "/api/auth/status")
        assert status == 200 and elapsed >= 0.2

        async with client.post("/admin/config", json={"fail_rate": 1, "delay_ms": 0}) as resp:
            assert resp.status == 200
        status, _ = await timed_get(client, "/api/auth/status")
        assert status == 500

        for bad in ({"fail_rate": 2}, {"delay_ms": "x"}, {"nope": 1}, {"chat_latency": "zz"}):
            async with client.post("/admin/config", json=bad) as resp:
                assert resp.status == 400, bad
        async with client.get("/admin/config") as resp:
            current = await resp.json()
        assert current["fail_rate"] == 1.0  # rejected updates changed nothing

        async with client.post("/admin/config", json={"reset": True}) as resp:
            assert (await resp.json())["fail_rate"] == 0.0
        async with client.post("/admin/config", json={"chat_latency": "constant:30ms"}) as resp:
            assert (await resp.json())["chat_latency"] == "constant:30ms"
        async with client.post("/api/chat/messages", json={"message": "hi"}) as resp:
            assert resp.status == 200
            assert (await resp.json())["latency_ms"] >= 30

    run(body)


def test_metrics_parse_and_cover_the_documented_series() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async with client.post("/api/chat/messages", json={"message": "hi"}) as resp:
            assert resp.status == 200
        async with client.get("/api/billing/usage?status=503") as resp:
            assert resp.status == 503
        async with client.get("/api/analytics/kpi") as resp:
            assert resp.status == 200
        async with client.get("/metrics") as resp:
            assert resp.status == 200
            assert resp.content_type == "text/plain"
            text = await resp.text()

        families = {f.name: f for f in text_string_to_metric_families(text)}
        for name in (
            "agentload_target_requests",
            "agentload_target_request_duration_seconds",
            "agentload_target_call_queue_depth",
            "agentload_target_active_sessions",
            "agentload_target_cache_hit_ratio",
            "agentload_target_cache_hits",
            "agentload_target_cache_misses",
            "agentload_target_contacts_imported",
        ):
            assert name in families, name

        def value(family: str, sample: str, **labels: str) -> float:
            for s in families[family].samples:
                if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                    return s.value
            raise AssertionError(f"no sample {sample}{labels}")

        requests = "agentload_target_requests"
        chat = {"path": "/api/chat/messages", "method": "POST", "status": "200"}
        assert value(requests, "agentload_target_requests_total", **chat) == 1
        forced = {"path": "/api/billing/usage", "status": "503"}
        assert value(requests, "agentload_target_requests_total", **forced) == 1
        hist = "agentload_target_request_duration_seconds"
        assert value(hist, hist + "_count", path="/api/chat/messages") == 1
        # The /metrics request itself is in flight while it renders.
        active = "agentload_target_active_sessions"
        assert value(active, active) >= 1
        assert value("agentload_target_call_queue_depth", "agentload_target_call_queue_depth") == 0

    run(body)
