"""Seed 002's Locust test (``load/locust_test.py``) in Python: normal users and high-load
users, each with a load of its own, the seed's message and tenant arrays, and its
API success-rate target (> 95 %) as a threshold.

    agentload target --port 8080
    agentload run examples/seed002_locust_users.py                    # 20 + 5 users, 1 min
    DURATION=5m agentload run examples/seed002_locust_users.py --scale 10    # 200 + 50, 5 min

Locust → agentload: a ``User`` class is a ``@scenario`` function with its own
``load``; ``@task`` weights become branches on ``ctx.rng``; ``wait_time =
between(1, 3)`` is ``await ctx.think(uniform(1, 3))``; ``self.client.get(url,
name=…)`` is ``await ctx.http.get(url, name=…)``.
"""

from agentload.scenario.python import Rate, scenario, uniform

TEST_MESSAGES = [
    "Hello, I need help with my order",
    "What are your business hours?",
    "Can I speak to a human?",
    "How do I reset my password?",
]
TENANTS = ["tenant_001", "tenant_002", "tenant_003"]

config = {"target": "${env.TARGET:-http://127.0.0.1:8080}"}
# Each user type brings its own load; --scale scales both, ${env.DURATION} sets their length
# (the --duration flag changes only a shared load).
DURATION = "${env.DURATION:-1m}"
thresholds = {
    "api_success": ["rate>0.95"],  # the seed's "API Success Rate > 95%"
    "http_req_duration{scenario:normal_user}": ["p(95)<1000", "p(50)<500"],
}

api_success = Rate("api_success", "API calls answered with 2xx")


async def chat(ctx, name):
    reply = await ctx.http.post(
        "/api/chat/messages",
        json={"message": ctx.rng.choice(TEST_MESSAGES), "tenant_id": ctx.rng.choice(TENANTS)},
        name=name,
    )
    api_success.add(reply.ok)


@scenario(load={"vus": 20, "duration": DURATION})
async def normal_user(ctx):
    """Locust's NormalUser: chat most of the time, sometimes read; 1-3 s between tasks."""
    pick = ctx.rng.random()
    if pick < 0.5:
        await chat(ctx, "chat")
    elif pick < 0.7:
        reply = await ctx.http.get(
            "/api/analytics/kpi", params={"tenant_id": "tenant_001"}, name="analytics kpi"
        )
        api_success.add(reply.ok)
    elif pick < 0.85:
        reply = await ctx.http.get("/api/billing/usage", name="billing usage")
        api_success.add(reply.ok)
    elif pick < 0.95:
        reply = await ctx.http.get("/api/auth/status", name="auth status")
        api_success.add(reply.ok)
    else:
        reply = await ctx.http.get("/healthz", name="health")
        api_success.add(reply.ok)
    await ctx.think(uniform(1, 3))


@scenario(load={"vus": 5, "duration": DURATION})
async def high_load_user(ctx):
    """Locust's HighLoadUser: rapid-fire chat, 0.1-0.5 s apart."""
    await chat(ctx, "rapid chat")
    await ctx.think(uniform(0.1, 0.5))
