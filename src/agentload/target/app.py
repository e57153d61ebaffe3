"""Building the target's aiohttp application and serving it on a socket."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from agentload.target import (
    admin,
    auth,
    handlers,
    jobs,
    llm,
    questionnaire,
    webhooks,
    ws_chat,
)
from agentload.target import voice as voice_agents
from agentload.target.config import TargetConfig
from agentload.target.middleware import errors_middleware, faults_middleware, metrics_middleware
from agentload.target.state import STATE, TargetState

__all__ = ["RunningTarget", "create_app", "serve"]

_log = logging.getLogger(__name__)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Open the database and start the background workers; undo both at clean-up."""
    state = app[STATE]
    state.open()
    tasks = [
        asyncio.create_task(
            state.calls.drain_forever(
                lambda: state.config.call_drain_rate, state.record_completed_calls
            ),
            name="agentload-target-call-drain",
        ),
        *(
            asyncio.create_task(state.imports.work_forever(), name=f"agentload-target-import-{i}")
            for i in range(state.config.import_workers)
        ),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        state.close()


def create_app(config: TargetConfig | None = None) -> web.Application:
    """Build the reference target's application (nothing runs until it is started).

    Each app has its own database, metrics registry, queues and random generator,
    so several can run side by side in one process (as the tests do).
    """
    config = config or TargetConfig()
    app = web.Application(
        middlewares=[metrics_middleware, errors_middleware, faults_middleware],
        client_max_size=config.max_upload_bytes,
    )
    app[STATE] = TargetState(config)
    app.cleanup_ctx.append(_lifecycle)
    app.router.add_get("/", handlers.banner)
    app.router.add_get("/health", handlers.health)
    app.router.add_get("/healthz", handlers.health)
    app.router.add_get("/metrics", handlers.metrics)
    app.router.add_post("/api/chat/messages", handlers.chat_message)
    app.router.add_get("/api/analytics/kpi", handlers.kpi)
    app.router.add_post("/api/calls/schedule", jobs.schedule_call)
    app.router.add_get("/api/calls/queue", jobs.call_queue)
    app.router.add_post("/api/contacts/import", jobs.import_contacts)
    app.router.add_get("/api/contacts/import/{job_id}", jobs.import_status)
    app.router.add_get("/api/assistants", handlers.assistants)
    app.router.add_get("/api/billing/usage", handlers.billing_usage)
    app.router.add_get("/api/auth/status", handlers.auth_status)
    app.router.add_post("/v1/chat/completions", llm.chat_completions)
    app.router.add_get("/api/events", llm.events)
    app.router.add_get("/admin/config", admin.get_config)
    app.router.add_post("/admin/config", admin.update_config)
    questionnaire.add_routes(app)
    webhooks.add_routes(app)
    voice_agents.add_routes(app)
    ws_chat.add_routes(app)
    auth.add_routes(app)
    return app


def _url_host(host: str) -> str:
    """A host clients can connect to: wildcards become loopback, IPv6 gets brackets."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass  # a host name: used as is
    return host


@dataclass(frozen=True, slots=True)
class RunningTarget:
    """A target serving on a socket, as yielded by :func:`serve`."""

    app: web.Application
    host: str
    port: int

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def config(self) -> TargetConfig:
        """The configuration in force right now (it changes via ``/admin/config``)."""
        return self.app[STATE].config


@contextlib.asynccontextmanager
async def serve(
    config: TargetConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningTarget]:
    """Serve a new target on ``host:port`` (``port=0``: any free port) for the block.

    Background workers start before the block and stop, with the listener, after it.
    """
    config = config or TargetConfig()
    app = create_app(config)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=_log if config.access_log else None,
        access_log_format='%a "%r" %s %b %Tfs',
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        address = runner.addresses[0]
        yield RunningTarget(app=app, host=host, port=int(address[1]))
    finally:
        await runner.cleanup()
