"""The ``webhook`` step: one signed webhook delivery (docs/scenario-format.md, "Webhooks").

The body is a shipped platform template (``event``: Vapi's assistant-request,
tool-calls, end-of-call-report; Retell's call_started, call_ended,
call_analyzed) with ``payload`` laid over it as an RFC 7386 merge patch, or
``payload`` alone. It is signed per delivery (:mod:`agentload.protocols.webhooks`).
"""

from __future__ import annotations

from dataclasses import dataclass

from agentload.protocols.http.timeouts import Timeouts
from agentload.protocols.webhooks import Signing
from agentload.scenario.parts import Capture, Check, JsonObject, JsonValue, Template, ThinkTime

__all__ = ["WebhookStep", "WebhookToolCall"]


@dataclass(frozen=True, slots=True)
class WebhookToolCall:
    """One entry of a Vapi ``tool-calls`` message; ``id`` defaults to a fresh ``call_…``."""

    name: Template
    arguments: JsonValue
    id: Template | None = None


@dataclass(frozen=True, slots=True)
class WebhookStep:
    """A signed ``POST`` of a webhook event.

    ``signing`` carries the secret, resolved from the environment at load time
    and never printed (``Signing.secret`` is left out of ``repr``). ``call_id``
    fills the template's call id (default: a fresh id per delivery). ``name``
    tags the ``http_*`` metrics, as a request step's does.
    """

    name: str
    url: Template
    signing: Signing
    event: str | None = None
    call_id: Template | None = None
    tool_calls: tuple[WebhookToolCall, ...] = ()
    payload: JsonObject | None = None
    headers: tuple[tuple[str, Template], ...] = ()
    query: tuple[tuple[str, Template], ...] = ()
    checks: tuple[Check, ...] = ()
    captures: tuple[Capture, ...] = ()
    timeouts: Timeouts | None = None
    think: ThinkTime | None = None
    line: int = 0
