"""Fields that request-like steps (request, llm, sse, webhook, ws, voice) read alike.

Each reader keeps its own order of fields (issues on one line keep the order
they were found in), so these helpers read one field or one run of fields:
the step's ``name``, a required HTTP ``url``, ``headers`` + ``query``, and
``capture`` + ``timeout`` + ``think`` (docs/scenario-format.md, "Steps").
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from agentload.scenario._context import Ctx
from agentload.scenario._expect import read_captures
from agentload.scenario._nodes import YMap, YNode
from agentload.scenario._values import Scope, check_url, pairs, think_time, timeouts, tracked
from agentload.scenario.model import Capture, Template, ThinkTime, Timeouts

__all__ = ["http_url", "read_headers_query", "read_tail", "read_url", "step_name"]

_Pairs = tuple[tuple[str, Template], ...]


def step_name(ctx: Ctx, fields: YMap, path: str) -> str | None:
    """``name``: any text (a number is read as text); ``None`` when absent or empty."""
    node = fields.get("name")
    if node is None:
        return None
    name = ctx.text(node, f"{path}.name", expected="a name", numbers=True)
    if name is not None and not name.strip():
        ctx.error(node.line, f"{path}.name", "the name is empty; write a name")
        return None
    return name


def http_url(ctx: Ctx, scope: Scope, node: YNode, path: str) -> Template | None:
    """An http(s) URL or a path under ``config.target``; ``None`` after an issue."""
    url = tracked(ctx, scope, node, path)
    if url is not None and check_url(ctx, url, node.line, path) is None:
        return None
    return url


def read_url(
    ctx: Ctx,
    scope: Scope,
    fields: YMap,
    path: str,
    misspelled: Collection[str],
    *,
    example: str,
    read: Callable[[Ctx, Scope, YNode, str], Template | None] = http_url,
) -> Template | None:
    """The required ``url`` read with ``read``; a missing one is an issue showing ``example``
    (unless the key is there but misspelled, which ``check_keys`` already reported)."""
    if (node := fields.get("url")) is not None:
        return read(ctx, scope, node, f"{path}.url")
    if "url" not in misspelled:
        ctx.error(fields.line, path, f"missing 'url'; add e.g. url: {example}")
    return None


def read_headers_query(
    ctx: Ctx, scope: Scope, fields: YMap, path: str
) -> tuple[_Pairs | None, _Pairs | None]:
    """``headers`` and ``query`` (``None`` each when absent or invalid)."""
    headers = query = None
    if (node := fields.get("headers")) is not None:
        headers = pairs(ctx, scope, node, f"{path}.headers", headers=True)
    if (node := fields.get("query")) is not None:
        query = pairs(ctx, scope, node, f"{path}.query")
    return headers, query


def read_tail(
    ctx: Ctx,
    scope: Scope,
    fields: YMap,
    path: str,
    limits: Timeouts,
    *,
    captures: bool = True,
) -> tuple[tuple[Capture, ...] | None, Timeouts | None, ThinkTime | None]:
    """``capture`` (when the step takes captures), ``timeout`` over ``limits`` and ``think``."""
    found = request_timeouts = think = None
    if captures and (node := fields.get("capture")) is not None:
        found = read_captures(ctx, scope, node, f"{path}.capture")
    if (node := fields.get("timeout")) is not None:
        request_timeouts = timeouts(ctx, node, f"{path}.timeout", limits)
    if (node := fields.get("think")) is not None:
        think = think_time(ctx, node, f"{path}.think")
    return found, request_timeouts, think
