"""Seed 004 (NGX Voice Sales Agent) in Python: four Locust-style user types and the
seed's business metrics — conversation completion rate and phase progression.

    agentload target --port 8080                       # the reference backend
    agentload run examples/seed004_sales_agent.py      # 10 VUs, 40 s
    agentload run examples/seed004_sales_agent.py --scale 5 --duration 5m   # 50 VUs

What it shows (docs/python-api.md):

* ``setup`` logs in once and hands the run's settings to every VU (``ctx.setup_data``);
* ``on_start`` logs each VU in and keeps its token in ``ctx.vars`` — the
  ``Authorization`` header of ``config`` uses it as ``${token}``;
* business metrics declared at module level and recorded from the scenarios:
  ``conversation_completion`` (Rate), ``phase_progression`` (Counter tagged by
  phase), ``phases_reached`` (Trend: how far each conversation got),
  ``conversation_duration`` (time Trend), ``circuit_open`` (Rate);
* thresholds on them, next to the seed's latency SLA (avg < 200 ms, p95 < 1 s,
  p99 < 3 s) — all gate the exit code like built-in ones.
"""

import time

from agentload.scenario.python import (
    Counter,
    Rate,
    Trend,
    on_start,
    scenario,
    setup,
    teardown,
    uniform,
)

config = {
    "target": "${env.TARGET:-http://127.0.0.1:8080}",
    "headers": {"Accept-Language": "es-MX", "Authorization": "Bearer ${token}"},
}
# The seed's "baseline" pattern, shortened: 10 users arriving at 1/s, then holding.
# A preset, so --duration and --scale shrink it (the tests run it in seconds).
load = {"preset": "average", "vus": 10, "ramp_up": "10s", "hold": "30s", "ramp_down": "0s"}
thresholds = {
    "http_req_duration{scenario:conversation}": ["avg<200", "p(95)<1000", "p(99)<3000"],
    "http_req_failed{scenario:conversation}": ["rate<0.01"],
    "conversation_completion": ["rate>0.6"],
    "phases_reached": ["avg>2"],
}

PHASES = (
    ("greeting", "Hola, quiero saber más sobre sus programas"),
    ("qualification", "Tengo 35 años y entreno 3 veces por semana"),
    ("presentation", "¿Qué incluye el programa premium?"),
    ("objection", "Me parece un poco caro, ¿hay descuentos?"),
    ("close", "Perfecto, quiero inscribirme"),
)

completion = Rate("conversation_completion", "conversations that reached the close phase")
progression = Counter("phase_progression", "conversations entering each phase (tag: phase)")
reached = Trend("phases_reached", "how many of the 5 phases a conversation completed")
duration = Trend("conversation_duration", "first message to the last reply", time=True)
circuit_open = Rate("circuit_open", "circuit-breaker user: calls skipped by an open breaker")


@setup
async def settings(ctx):
    """Once per run: check the backend and choose the run's settings."""
    reply = await ctx.http.post(
        "/api/auth/login", json={"username": "loadtest-admin", "password": "x"}, name="admin login"
    )
    if not reply.ok:
        raise RuntimeError(f"admin login failed: {reply.status} {reply.error or ''}")
    return {"tenant": "ngx", "drop_off": 0.05}


@on_start
async def login(ctx):
    """Once per VU: log in; config.headers sends the token on every request."""
    reply = await ctx.http.post(
        "/api/auth/login", json={"username": f"user{ctx.vu}", "password": "x"}, name="login"
    )
    ctx.vars["token"] = reply.json()["access_token"]
    ctx.vars["failures"] = 0


@scenario(weight=6)
async def conversation(ctx):
    """NGXVoiceSalesUser: a sales conversation through five phases."""
    tenant, drop_off = ctx.setup_data["tenant"], ctx.setup_data["drop_off"]
    conversation_id = None
    done = 0
    with duration.time():
        for phase, message in PHASES:
            progression.add(1, tags={"phase": phase})
            body = {"message": message, "tenant_id": tenant}
            if conversation_id:
                body["conversation_id"] = conversation_id
            reply = await ctx.http.post("/api/chat/messages", json=body, name=phase)
            if not ctx.check("agent replied", reply.ok and "reply" in reply.json()):
                break
            conversation_id = reply.json()["conversation_id"]
            done += 1
            if ctx.rng.random() < drop_off:  # the prospect leaves (seeded per VU: reproducible)
                break
            await ctx.think(uniform(0.2, 0.6))
    reached.add(done)
    completion.add(done == len(PHASES))


@scenario(weight=2)
async def stress_user(ctx):
    """StressTestUser: rapid-fire messages and a read, no think time."""
    await ctx.http.post("/api/chat/messages", json={"message": "precio?"}, name="rapid message")
    await ctx.http.get("/api/analytics/kpi", name="kpi")


@scenario(weight=1)
async def cache_stress(ctx):
    """CacheStressUser: the same reads, hot in the backend's cache."""
    kpi = await ctx.http.get("/api/analytics/kpi", name="kpi cached")
    ctx.check("kpi cached ok", kpi.status == 200)
    await ctx.http.get("/api/assistants", name="assistants cached")
    await ctx.think(0.1)


@scenario(weight=1)
async def circuit_breaker(ctx):
    """CircuitBreakerTestUser: 20% injected failures; a client-side breaker opens after
    three failures in a row and skips calls for one second."""
    if time.monotonic() < ctx.vars.get("breaker_until", 0.0):
        circuit_open.add(True)
        await ctx.think(0.2)
        return
    circuit_open.add(False)
    reply = await ctx.http.get("/api/analytics/kpi", params={"fail_rate": "0.2"}, name="kpi faults")
    failures = 0 if reply.ok else ctx.vars["failures"] + 1
    if failures >= 3:
        ctx.vars["breaker_until"] = time.monotonic() + 1.0
        failures = 0
    ctx.vars["failures"] = failures
    await ctx.think(0.2)


@teardown
async def report_logins(ctx):
    """Once after the run: the backend's own count of logins (not part of the load)."""
    await ctx.http.get("/api/auth/logins", name="logins")
