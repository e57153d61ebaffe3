"""The body of a chat-completions request (``protocols.md`` §4.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["chat_request_body"]


def chat_request_body(
    model: object, messages: object, *, stream: bool, params: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``{"model", "messages", "stream", …params}`` for ``POST /v1/chat/completions``.

    A streamed request asks for the usage chunk (``stream_options.include_usage``):
    without it ``N_out`` must be guessed from the chunks, and OpenAI sends no
    token counts at all (§4.1; GuideLLM does the same, §4.3). ``params`` are
    copied last, so they may replace any of these (``stream_options`` included,
    for a server that rejects it).
    """
    body: dict[str, Any] = {"model": model, "messages": messages, "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    if params:
        body.update(params)
    return body
