"""Middlewares: metrics for every request, JSON errors, and injected faults.

Order (outermost first): :func:`metrics_middleware` sees every final status,
including errors and injected faults; :func:`errors_middleware` turns any
exception into a JSON error; :func:`faults_middleware` runs closest to the handler.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from agentload.target._http import bad_request, error_response, json_response
from agentload.target.state import STATE

__all__ = ["errors_middleware", "faults_middleware", "metrics_middleware"]

_log = logging.getLogger(__name__)

# Start-up and admin faults spare these paths: a degraded target must still be
# observable (health, metrics) and repairable (admin). Query-parameter faults
# apply everywhere, because the caller asked for them explicitly.
_EXEMPT_PATHS = frozenset({"/health", "/healthz", "/metrics"})
_EXEMPT_PREFIX = "/admin/"
# A per-request delay above this is almost surely a typo (seconds for ms).
_MAX_DELAY_MS = 60_000.0
_NO_BODY_STATUSES = frozenset({204, 304})


def _route_label(request: web.Request) -> str:
    """The route template (``/api/contacts/import/{job_id}``), never the raw path:
    raw paths would give every job id its own time series."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count requests by route, method and status; time them; track requests in flight."""
    metrics = request.app[STATE].metrics
    path = _route_label(request)
    status = 500
    metrics.active_sessions.inc()
    start = time.perf_counter()
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except asyncio.CancelledError:
        # nginx's convention for "the client went away before the answer".
        status = 499
        raise
    finally:
        metrics.active_sessions.dec()
        metrics.request_latency.labels(path).observe(time.perf_counter() - start)
        metrics.requests.labels(path, request.method, str(status)).inc()
        metrics.record_answer(path, status)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every error as JSON ``{"error", "status"}``, including router 404/405."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        keep = {
            k: v
            for k, v in exc.headers.items()
            if k not in (hdrs.CONTENT_TYPE, hdrs.CONTENT_LENGTH)
        }
        return error_response(exc.status, exc.reason, headers=keep)
    except Exception:
        _log.exception("unhandled error answering %s %s", request.method, request.path)
        return error_response(500, "internal error in the reference target")


def _float_param(request: web.Request, name: str, low: float, high: float) -> float:
    raw = request.query[name]
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"query parameter {name}={raw!r} is not a number") from None
    if not math.isfinite(value) or not (low <= value <= high):
        raise bad_request(f"query parameter {name}={raw!r} must be between {low:g} and {high:g}")
    return value


def _status_param(request: web.Request) -> int:
    raw = request.query["status"]
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"query parameter status={raw!r} is not an integer") from None
    if not 200 <= value <= 599:
        raise bad_request(f"query parameter status={raw!r} must be between 200 and 599")
    return value


@web.middleware
async def faults_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply ``?delay_ms=``, ``?fail_rate=``, ``?status=`` and the configured faults.

    The delay adds to the configured one; ``fail_rate`` in the query replaces the
    configured rate for that request (so ``?fail_rate=0`` asks for a clean answer).
    """
    state = request.app[STATE]
    config = state.config
    exempt = request.path in _EXEMPT_PATHS or request.path.startswith(_EXEMPT_PREFIX)
    delay_ms = 0.0 if exempt else config.delay_ms
    fail_rate = 0.0 if exempt else config.fail_rate
    forced: int | None = None
    if request.query_string:  # fast path: most load-test requests carry no query
        if "delay_ms" in request.query:
            delay_ms += _float_param(request, "delay_ms", 0.0, _MAX_DELAY_MS)
        if "fail_rate" in request.query:
            fail_rate = _float_param(request, "fail_rate", 0.0, 1.0)
        if "status" in request.query:
            forced = _status_param(request)
    if delay_ms > 0:
        await asyncio.sleep(delay_ms / 1000.0)
    if forced is not None:
        state.metrics.faults_injected.labels("status").inc()
        if forced in _NO_BODY_STATUSES:
            return web.Response(status=forced)
        if forced < 400:
            return json_response({"status": forced, "forced": True}, status=forced)
        return error_response(forced, "status forced by ?status=")
    if fail_rate > 0 and state.rng.random() < fail_rate:
        state.metrics.faults_injected.labels("fail_rate").inc()
        return error_response(500, "injected failure (fail_rate)")
    return await handler(request)
