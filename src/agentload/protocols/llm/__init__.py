"""OpenAI-compatible chat completions, streamed over server-sent events: sans-I/O.

:class:`ChatResponse` receives a response (as an
:class:`~agentload.protocols.http.StreamReceiver`, with arrival times) and
assembles a :class:`ChatReply`: the text, reasoning and tool calls of choice 0,
the finish reason and usage, and the :class:`TokenTiming` of its tokens.
:func:`token_metrics` turns that timing into the per-request metrics of
docs/metrics.md ("LLM streaming"), and :class:`LlmSlo` decides goodput.
"""

from agentload.protocols.llm._chat import MAX_BODY_BYTES, ChatResponse, error_message
from agentload.protocols.llm._reply import ChatReply, ToolCall
from agentload.protocols.llm._request import chat_request_body
from agentload.protocols.llm.timing import LlmSlo, TokenMetrics, TokenTiming, token_metrics

__all__ = [
    "MAX_BODY_BYTES",
    "ChatReply",
    "ChatResponse",
    "LlmSlo",
    "TokenMetrics",
    "TokenTiming",
    "ToolCall",
    "chat_request_body",
    "error_message",
    "token_metrics",
]
