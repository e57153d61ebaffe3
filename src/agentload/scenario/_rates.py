"""Arrival rates as users write them: ``50``, ``50/s``, ``600/m``, ``3600/h``.

Shared by the ``load`` section, the presets' rate parameters and ``--rate``.
"""

from __future__ import annotations

import re

from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YNode

__all__ = ["RATE_HELP", "parse_rate", "read_rate"]

RATE_HELP = "a rate in iterations per second such as 50, or 50/s, 600/m, 3600/h"
"""What a rate looks like, for messages."""

_RATE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*")
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_rate(value: object) -> float | None:
    """Iterations per second from ``50``, ``"50/s"``, ``"600/m"``; ``None`` if not a rate."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _RATE.fullmatch(value)
        if match:
            return float(match.group(1)) / _PER[match.group(2)]
        try:
            return float(value)
        except ValueError:
            return None
    return None


def read_rate(ctx: Ctx, node: YNode, path: str, *, positive: bool) -> float | None:
    """The rate at ``node``, finite and ≥ 0 (> 0 with ``positive``); else ``None`` with an issue."""
    scalar = ctx.scalar(node, path, RATE_HELP)
    if scalar is None:
        return None
    rate = parse_rate(scalar.value)
    if rate is None:
        ctx.wrong_type(node, path, RATE_HELP)
        return None
    return ctx.check_range(rate, node.line, path, positive=positive)
