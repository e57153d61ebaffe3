"""The ``config`` section: target, default headers, initial variables, timeouts."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YNode
from agentload.scenario._templates import is_var_name
from agentload.scenario._values import Scope, check_target, pairs, plain_value, timeouts
from agentload.scenario.model import Template, Timeouts

__all__ = ["ConfigParts", "read_config"]

_KEYS = ("target", "headers", "variables", "timeout", "health")  # health: scenario/_health.py


@dataclass(frozen=True, slots=True)
class ConfigParts:
    """What ``config`` gave; ``target`` is ``None`` when neither file nor CLI set it."""

    target: str | None = None
    headers: tuple[tuple[str, Template], ...] = ()
    variables: MappingProxyType[str, object] = field(default_factory=lambda: MappingProxyType({}))
    timeouts: Timeouts = field(default_factory=Timeouts)
    header_scope: Scope = field(default_factory=Scope)


def read_config(ctx: Ctx, node: YNode | None, target_override: str | None) -> ConfigParts:
    """Read ``config``; a ``--target`` override replaces (and skips) the file's target."""
    target: str | None = None
    if target_override is not None:
        problem = check_target(target_override)
        if problem is not None:
            ctx.error(0, "--target", f"{target_override!r} {problem}")
        else:
            target = target_override.rstrip("/")
    if node is None:
        return ConfigParts(target=target)
    mapping = ctx.mapping(node, "config")
    if mapping is None:
        return ConfigParts(target=target)
    ctx.check_keys(mapping, "config", _KEYS)

    target_node = mapping.get("target")
    if target_node is not None and target_override is None:
        text = ctx.text(target_node, "config.target", expected="a URL")
        if text is not None:
            problem = check_target(text)
            if problem is None:
                # A trailing slash would double the one that starts each request path.
                target = text.rstrip("/")
            else:
                ctx.error(target_node.line, "config.target", f"{problem}; found {text!r}")

    scope = Scope()
    headers: tuple[tuple[str, Template], ...] = ()
    headers_node = mapping.get("headers")
    if headers_node is not None:
        headers = pairs(ctx, scope, headers_node, "config.headers", headers=True) or ()

    variables: dict[str, object] = {}
    variables_node = mapping.get("variables")
    if variables_node is not None:
        vmap = ctx.mapping(variables_node, "config.variables", "a mapping of names to values")
        for key, value in vmap.items if vmap is not None else ():
            if not is_var_name(key.text):
                ctx.error(
                    key.line,
                    "config.variables",
                    f"'{key.text}' is not a valid variable name; use letters, digits, '_' "
                    "and '.', starting with a letter or '_' (and not 'env')",
                )
                continue
            # Kept even when invalid, so uses of it are not also reported as undefined.
            _, variables[key.text] = plain_value(ctx, value, f"config.variables.{key.text}")

    limits = Timeouts()
    timeout_node = mapping.get("timeout")
    if timeout_node is not None:
        limits = timeouts(ctx, timeout_node, "config.timeout", Timeouts()) or limits

    return ConfigParts(
        target=target,
        headers=headers,
        variables=MappingProxyType(variables),
        timeouts=limits,
        header_scope=scope,
    )
