"""``/admin/config``: read and change the running target's faults without a restart."""

from __future__ import annotations

import dataclasses
import math

from aiohttp import web

from agentload.target._http import bad_request, json_response, read_json_object
from agentload.target.config import TargetConfig, parse_latency
from agentload.target.state import STATE

__all__ = ["config_view", "get_config", "update_config"]

_NUMERIC_FIELDS = ("delay_ms", "fail_rate", "call_drain_rate", "import_row_cost_ms")
_ALLOWED = frozenset({*_NUMERIC_FIELDS, "chat_latency", "reset"})


def config_view(config: TargetConfig) -> dict[str, object]:
    """The JSON form of a config; the token itself is never shown."""
    return {
        "delay_ms": config.delay_ms,
        "fail_rate": config.fail_rate,
        "chat_latency": config.chat_latency.spec(),
        "call_drain_rate": config.call_drain_rate,
        "import_row_cost_ms": config.import_row_cost_ms,
        "import_workers": config.import_workers,
        "kpi_cache_ttl_s": config.kpi_cache_ttl_s,
        "token_required": config.token is not None,
        "seed": config.seed,
    }


async def get_config(request: web.Request) -> web.Response:
    """``GET /admin/config``: the configuration in force."""
    return json_response(config_view(request.app[STATE].config))


async def update_config(request: web.Request) -> web.Response:
    """``POST /admin/config``: apply a partial update, e.g. ``{"delay_ms": 200}``.

    Accepts ``delay_ms``, ``fail_rate``, ``call_drain_rate``, ``import_row_cost_ms``,
    ``chat_latency`` (a spec such as ``"constant:50ms"``) and ``"reset": true`` (back
    to the start-up configuration, then apply the other fields). The new config is
    validated whole and swapped in one assignment; on any error nothing changes.
    """
    state = request.app[STATE]
    body = await read_json_object(request)
    unknown = sorted(set(body) - _ALLOWED)
    if unknown:
        raise bad_request(f"unknown fields {unknown}; accepted: {sorted(_ALLOWED)}")
    base = state.start_config if body.get("reset") is True else state.config
    changes: dict[str, object] = {}
    for name in _NUMERIC_FIELDS:
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad_request(f"{name!r} must be a number")
            if not math.isfinite(value):
                raise bad_request(f"{name!r} must be finite")
            changes[name] = float(value)
    if "chat_latency" in body:
        spec = body["chat_latency"]
        if not isinstance(spec, str):
            raise bad_request("'chat_latency' must be a string such as 'lognormal:20ms:0.5'")
        try:
            changes["chat_latency"] = parse_latency(spec)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
    try:
        new = dataclasses.replace(base, **changes)  # type: ignore[arg-type]
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    state.config = new
    return json_response(config_view(new))
