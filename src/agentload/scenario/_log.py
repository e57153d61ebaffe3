"""The ``log`` step reader: ``- log: {message: "text ${var}"}``.

Registered in scenario/_flow.py as a one-mapping step; Artillery's text form
(``- log: "text"``) is turned into this one by scenario/artillery.py.
"""

from __future__ import annotations

from agentload.protocols.http.timeouts import Timeouts
from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap
from agentload.scenario._values import Scope, tracked
from agentload.scenario.model_log import LogStep

__all__ = ["read_log_step"]


def read_log_step(
    ctx: Ctx, scope: Scope, fields: YMap, path: str, *, line: int, limits: Timeouts
) -> LogStep | None:
    """Read the mapping of a ``log:`` step; ``None`` after recording its issues."""
    del limits  # a log line sends nothing
    ctx.check_keys(fields, path, ("message",))
    node = fields.get("message")
    if node is None:
        ctx.error(fields.line, path, "missing 'message'; write e.g. log: {message: \"got ${id}\"}")
        return None
    message = tracked(ctx, scope, node, f"{path}.message")
    return None if message is None else LogStep(message, line)
