"""``config.health`` and ``--health``: the health check run before and after the load.

Written as a URL or a mapping::

    config:
      health: /health
      health: {url: /health, expect: {status: 200, body_contains: ok},
               timeout: 5s, retries: 3, interval: 1s}

``--health URL`` replaces it; ``--health off`` removes it. The model is
:class:`~agentload.scenario.model_health.HealthCheck`; the probe itself is
:mod:`agentload.engine.health`.
"""

from __future__ import annotations

from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap, YNode, YScalar
from agentload.scenario._values import check_target
from agentload.scenario.model_health import HealthCheck

__all__ = ["read_health"]

_KEYS = ("url", "expect", "timeout", "retries", "interval")
_EXPECT_KEYS = ("status", "body_contains")
_EXAMPLE = "{url: /health, expect: {status: 200}}"


def _url_problem(url: str) -> str | None:
    if url.startswith("/"):
        return None
    problem = check_target(url.split("?", 1)[0].split("#", 1)[0])
    return None if problem is None else "must be a path such as /health or an http(s):// URL"


def read_health(ctx: Ctx, config: YNode | None, override: str | None) -> HealthCheck | None:
    """The health check of ``config.health`` or of ``--health`` (which wins); ``None`` if none."""
    if override is not None:
        text = override.strip()
        if text.lower() in ("off", "none", "no"):
            return None
        problem = _url_problem(text)
        if problem:
            ctx.error(0, "--health", f"{text!r} {problem}; e.g. --health /health")
            return None
        return HealthCheck(url=text)
    if not isinstance(config, YMap):
        return None
    node = config.get("health")
    if node is None:
        return None
    if isinstance(node, YScalar):
        url = ctx.text(node, "config.health", expected=f"a URL or a mapping such as {_EXAMPLE}")
        return None if url is None else _checked(ctx, HealthCheck(url=url, line=node.line))
    mapping = ctx.mapping(node, "config.health", f"a URL or a mapping such as {_EXAMPLE}")
    if mapping is None:
        return None
    return _read_mapping(ctx, mapping)


def _checked(ctx: Ctx, check: HealthCheck) -> HealthCheck | None:
    problem = _url_problem(check.url)
    if problem:
        ctx.error(check.line, "config.health.url", f"{check.url!r} {problem}")
        return None
    return check


def _read_mapping(ctx: Ctx, mapping: YMap) -> HealthCheck | None:
    before = len(ctx.issues)
    ctx.check_keys(mapping, "config.health", _KEYS)
    url_node = mapping.get("url")
    if url_node is None:
        ctx.error(mapping.line, "config.health", f"missing 'url'; e.g. {_EXAMPLE}")
        return None
    url = ctx.text(url_node, "config.health.url", expected="a path such as /health")
    check = HealthCheck(url=url or "/", line=mapping.line)
    status, body = check.status, None
    expect = mapping.get("expect")
    if expect is not None:
        emap = ctx.mapping(expect, "config.health.expect", "a mapping such as {status: 200}")
        if emap is not None:
            ctx.check_keys(emap, "config.health.expect", _EXPECT_KEYS)
            node = emap.get("status")
            if node is not None:
                status = ctx.integer(node, "config.health.expect.status", minimum=100) or status
                if status > 599:
                    ctx.error(node.line, "config.health.expect.status", "use 100 to 599")
            node = emap.get("body_contains")
            if node is not None:
                body = ctx.text(node, "config.health.expect.body_contains", numbers=True)
    timeout, retries, interval = check.timeout, check.retries, check.interval
    node = mapping.get("timeout")
    if node is not None:
        timeout = ctx.duration(node, "config.health.timeout", positive=True) or timeout
    node = mapping.get("retries")
    if node is not None:
        retries = ctx.integer(node, "config.health.retries", minimum=0, maximum=1000) or 0
    node = mapping.get("interval")
    if node is not None:
        interval = ctx.duration(node, "config.health.interval") or 0.0
    if len(ctx.issues) != before or url is None:
        return None
    return _checked(
        ctx,
        HealthCheck(
            url=url,
            status=status,
            timeout=timeout,
            retries=retries,
            interval=interval,
            body_contains=body,
            line=mapping.line,
        ),
    )
