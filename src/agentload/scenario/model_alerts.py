"""The ``alerts`` section as written: rules checked every second while a run goes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AlertSpec"]


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """One alert rule: ``{metric: http_req_duration, expr: "p(95)>500", for: 5s}``.

    ``expr`` uses the threshold grammar (:mod:`agentload.thresholds.parser`),
    but states the *alarming* condition: the alert fires when it has been true
    on the last ``window`` seconds for ``for_s`` seconds in a row, and clears
    when it is false. Evaluation: :mod:`agentload.reports.alerts`.
    """

    name: str
    metric: str
    """A selector: ``metric`` or ``metric{tag:value}``."""
    expression: str
    for_s: float = 0.0
    window_s: float = 1.0
    line: int = 0
