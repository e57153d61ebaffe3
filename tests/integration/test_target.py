"""The reference target's plain endpoints: health, chat, analytics, billing, auth."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from agentload.target import LatencyDist, TargetConfig, serve
from agentload.target.state import STATE
from tests.integration._target_client import Body, run  # noqa: F401


def test_health_healthz_and_banner() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        for path in ("/health", "/healthz"):
            async with client.get(path) as resp:
                assert resp.status == 200
                assert await resp.json() == {"status": "ok", "db": "ok"}
        async with client.get("/") as resp:
            assert resp.status == 200
            assert "service" in await resp.json()

    run(body)


def test_health_is_503_when_the_database_fails() -> None:
    async def main() -> None:
        async with serve(TargetConfig(seed=1)) as running:
            # Close the connection under the server's feet: SELECT 1 now raises.
            running.app[STATE].store.close()
            async with (
                aiohttp.ClientSession(base_url=running.url) as client,
                client.get("/health") as resp,
            ):
                assert resp.status == 503
                data = await resp.json()
                assert data["status"] != "ok"
                assert data["db"].startswith("error")

    asyncio.run(asyncio.wait_for(main(), 15))


def test_running_target_reports_url_and_port() -> None:
    async def main() -> None:
        async with serve(TargetConfig(), host="127.0.0.1", port=0) as running:
            assert running.port > 0
            assert running.url == f"http://127.0.0.1:{running.port}"
            assert running.config == TargetConfig()

    asyncio.run(asyncio.wait_for(main(), 15))


def test_chat_replies_and_stores_messages() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        msg = {"message": "Hello, I need to move my appointment", "tenant_id": "acme"}
        async with client.post("/api/chat/messages", json=msg) as resp:
            assert resp.status == 200
            first = await resp.json()
        assert set(first) == {"conversation_id", "reply", "tokens", "latency_ms"}
        assert first["conversation_id"] and first["reply"]
        assert isinstance(first["tokens"], int) and first["tokens"] > 0
        assert first["latency_ms"] >= 0
        follow_up = {"message": "Tuesday?", "conversation_id": first["conversation_id"]}
        async with client.post("/api/chat/messages", json=follow_up) as resp:
            assert resp.status == 200
            assert (await resp.json())["conversation_id"] == first["conversation_id"]
        async with client.get("/api/analytics/kpi") as resp:
            kpi = await resp.json()
        assert kpi["messages"] == 4  # two user messages, two replies
        assert kpi["conversations"] == 1
        async with client.get("/api/analytics/kpi", params={"tenant_id": "acme"}) as resp:
            assert (await resp.json())["messages"] == 2

    run(body, TargetConfig(seed=2, chat_latency=LatencyDist.constant(0.0), kpi_cache_ttl_s=0))


def test_chat_latency_follows_the_configured_distribution() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async with client.post("/api/chat/messages", json={"message": "hi"}) as resp:
            assert resp.status == 200
            assert (await resp.json())["latency_ms"] >= 50  # lower bound only: CI is slow

    run(body, TargetConfig(chat_latency=LatencyDist.constant(0.05)))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b"{}",
        b'{"message": ""}',
        b'{"message": 42}',
        b'{"message": "hi", "tenant_id": 7}',
        b'{"message": "hi", "conversation_id": ""}',
    ],
)
def test_chat_rejects_bad_bodies_with_json_400(raw: bytes) -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        headers = {"Content-Type": "application/json"}
        async with client.post("/api/chat/messages", data=raw, headers=headers) as resp:
            assert resp.status == 400
            data = await resp.json()
            assert data["status"] == 400 and data["error"]

    run(body)


def test_kpi_is_cached_for_its_ttl_and_counts_hits() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        flags = []
        for _ in range(3):
            async with client.get("/api/analytics/kpi") as resp:
                assert resp.status == 200
                flags.append((await resp.json())["cached"])
        assert flags == [False, True, True]
        async with client.get("/metrics") as resp:
            text = await resp.text()
        assert "agentload_target_cache_hits_total 2.0" in text
        assert "agentload_target_cache_misses_total 1.0" in text

    run(body, TargetConfig(kpi_cache_ttl_s=60))


def test_billing_usage_counts_tokens() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async with client.post("/api/chat/messages", json={"message": "hello"}) as resp:
            tokens = (await resp.json())["tokens"]
        async with client.get("/api/billing/usage") as resp:
            assert resp.status == 200
            usage = await resp.json()
        assert usage["messages"] == 2
        assert usage["tokens"] > tokens
        assert usage["cost_usd"] > 0

    run(body)


def test_assistants_accept_any_bearer_token_by_default() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async with client.get("/api/assistants") as resp:
            assert resp.status == 401
            assert "Bearer" in resp.headers["WWW-Authenticate"]
            assert (await resp.json())["status"] == 401
        async with client.get("/api/assistants", headers={"Authorization": "Basic abc"}) as resp:
            assert resp.status == 401
        async with client.get("/api/assistants", headers={"Authorization": "Bearer "}) as resp:
            assert resp.status == 401
        async with client.get("/api/assistants", headers={"Authorization": "Bearer x"}) as resp:
            assert resp.status == 200
            data = await resp.json()
        assert data["count"] == len(data["assistants"]) > 0
        assert {"id", "name"} <= set(data["assistants"][0])

    run(body)


def test_assistants_accept_only_the_configured_token() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        wrong = {"Authorization": "Bearer nope"}
        right = {"Authorization": "Bearer s3cret"}
        async with client.get("/api/assistants", headers=wrong) as resp:
            assert resp.status == 401
        async with client.get("/api/assistants", headers=right) as resp:
            assert resp.status == 200
        async with client.get("/api/auth/status", headers=wrong) as resp:
            assert await resp.json() == {
                "token_present": True,
                "token_valid": False,
                "authenticated": False,
                "mode": "fixed-token",
            }
        async with client.get("/api/auth/status", headers=right) as resp:
            assert (await resp.json())["token_valid"] is True
        async with client.get("/api/auth/status") as resp:
            assert resp.status == 200
            assert (await resp.json())["token_present"] is False

    run(body, TargetConfig(token="s3cret"))


def test_unknown_routes_and_methods_answer_json() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async with client.get("/no/such/path") as resp:
            assert resp.status == 404
            assert (await resp.json())["status"] == 404
        async with client.delete("/health") as resp:
            assert resp.status == 405
            assert "Allow" in resp.headers

    run(body)
