"""The assembled reply of a chat completion: values, and the document checks read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentload.errors import ErrorKind
from agentload.protocols.llm.timing import TokenTiming

__all__ = ["ChatReply", "ToolCall"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call, reassembled from its streamed fragments (``delta.tool_calls``)."""

    index: int
    id: str = ""
    type: str = "function"
    name: str = ""
    arguments: str = ""
    """The arguments as the model wrote them: JSON text, not parsed (it may be invalid)."""


@dataclass(frozen=True, slots=True)
class ChatReply:
    """What one chat-completions request produced (choice 0), streamed or not.

    Attributes:
        status: the HTTP status (0 when no response arrived).
        streamed: the body was an event stream (``text/event-stream``).
        content: the assembled ``content`` deltas (``None`` when there were none).
        reasoning: the assembled ``reasoning_content`` / ``reasoning`` deltas.
        tool_calls: the assembled tool calls, by index.
        finish_reason: the last non-null ``finish_reason`` (``stop``, ``length``,
            ``tool_calls``, ``content_filter`` …).
        usage: the ``usage`` object of the last chunk that carried one.
        error_kind: why the reply failed at the LLM level (``llm_error``,
            ``stream_cut``, ``malformed_response``), ``None`` when it did not.
            HTTP statuses are judged by the caller.
        error: a one-line message about the failure (or the body of a non-2xx answer).
        timing: when its tokens arrived.
        chunks: JSON chunks received (streamed replies).
    """

    status: int
    timing: TokenTiming
    streamed: bool = True
    content: str | None = None
    reasoning: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Mapping[str, Any] | None = None
    id: str | None = None
    model: str | None = None
    error_kind: ErrorKind | None = None
    error: str | None = None
    chunks: int = 0

    @property
    def ok(self) -> bool:
        """A 2xx answer that completed without an LLM-level error."""
        return 200 <= self.status < 300 and self.error_kind is None

    def document(self) -> dict[str, Any]:
        """The reply as one JSON object, for ``json`` checks and captures.

        Shaped like a non-streamed ``choices[0].message`` plus the completion's
        fields: ``{"id", "model", "role", "content", "reasoning", "tool_calls":
        [{"id", "type", "function": {"name", "arguments"}}], "finish_reason",
        "usage"}``. ``content`` is ``null`` when no content came (as in a
        tool-call reply).
        """
        return {
            "id": self.id,
            "model": self.model,
            "role": "assistant",
            "content": self.content,
            "reasoning": self.reasoning,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": call.type,
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ],
            "finish_reason": self.finish_reason,
            "usage": dict(self.usage) if self.usage is not None else None,
        }
