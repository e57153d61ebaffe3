"""The bundled reference agent backend: a small aiohttp server to load-test against.

It answers the REST surface of a typical AI-agent product (chat, analytics,
scheduled calls, contact imports, assistants, billing, auth) with simulated
latency, stores what it receives in SQLite, exports Prometheus metrics on
``/metrics``, and injects faults on demand (``?delay_ms=``, ``?fail_rate=``,
``?status=``, start-up flags, ``POST /admin/config``).

Use :func:`serve` in tests, :func:`create_app` to embed it, :func:`main` (or
``python -m agentload.target``) from a shell.
"""

from agentload.target.app import RunningTarget, create_app, serve
from agentload.target.command import build_parser, config_from_args, main
from agentload.target.config import LatencyDist, TargetConfig, parse_latency

__all__ = [
    "LatencyDist",
    "RunningTarget",
    "TargetConfig",
    "build_parser",
    "config_from_args",
    "create_app",
    "main",
    "parse_latency",
    "serve",
]
