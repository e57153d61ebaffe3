"""The seed-000 questionnaire tools as the caller side of a voice session sees them.

A Realtime agent may call ``get_next_question``, ``validate_answer`` and
``record_response`` (seed 000's tools) inside the session; agentload offers
them in ``session.update`` (``tools: questionnaire``) and answers each call
with :func:`questionnaire_result`, so the agent's tool round trip is exercised
without a tool server.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["QUESTIONNAIRE_TOOLS", "questionnaire_result"]

_ID = {"type": "string", "description": "the questionnaire session id"}

QUESTIONNAIRE_TOOLS: tuple[dict[str, Any], ...] = (
    {
        "type": "function",
        "name": "get_next_question",
        "description": "The next question of the questionnaire.",
        "parameters": {"type": "object", "properties": {"session_id": _ID},
                       "required": ["session_id"]},
    },
    {
        "type": "function",
        "name": "validate_answer",
        "description": "Check an answer to a question.",
        "parameters": {"type": "object", "properties": {
            "session_id": _ID, "question_id": {"type": "string"}, "answer": {"type": "string"}},
            "required": ["session_id", "question_id", "answer"]},
    },
    {
        "type": "function",
        "name": "record_response",
        "description": "Record a validated answer.",
        "parameters": {"type": "object", "properties": {
            "session_id": _ID, "question_id": {"type": "string"}, "answer": {"type": "string"}},
            "required": ["session_id", "question_id", "answer"]},
    },
)  # fmt: skip
"""Realtime ``session.tools`` definitions of the questionnaire tools."""


def questionnaire_result(name: str, arguments: str) -> str:
    """A well-formed result for a questionnaire tool call (JSON text)."""
    try:
        args = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        args = {}
    if not isinstance(args, dict):
        args = {}
    question = str(args.get("question_id", "q1"))
    if name == "get_next_question":
        result: dict[str, Any] = {"question_id": question, "text": "How satisfied are you?"}
    elif name == "validate_answer":
        result = {"question_id": question, "valid": True}
    elif name == "record_response":
        result = {"question_id": question, "recorded": True}
    else:
        result = {"error": f"unknown tool {name!r}"}
    return orjson.dumps(result).decode()
