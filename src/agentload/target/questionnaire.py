"""The seed-000 questionnaire tools: get_next_question, validate_answer, record_response.

A voice survey agent runs a ten-question questionnaire by calling three tools
(seed 000, "Tool Execution Test": ten question-answer cycles per session).
:class:`Questionnaire` is that tool executor as plain Python — sessions in
memory, no I/O — so the same tools serve every transport of the reference
target: REST (:func:`add_routes`), tool calls inside the simulated LLM stream
(:func:`plan_turn`, used by ``target/llm.py``), Vapi ``tool-calls`` webhooks
(``target/webhooks.py``) and a realtime voice session (``Questionnaire.call``).

REST, each answered after a simulated execution time drawn from
``--tool-latency`` (the fault knobs ``?delay_ms``, ``?fail_rate``, ``?status``
apply as everywhere)::

    POST /api/questionnaire/sessions            {"session_id"?}  -> 201 first question
    GET  /api/questionnaire/sessions/{id}                         -> answers so far
    GET  /api/questionnaire/tools                                 -> OpenAI tool definitions
    POST /api/questionnaire/tools/{tool_name}   arguments object  -> the tool's result

A cycle is ``get_next_question`` → ``validate_answer`` → ``record_response``;
``get_next_question`` is idempotent until the current question is recorded,
then moves on; after the tenth it answers ``{"done": true}``. Errors: 404 for
an unknown tool or session, 400 for bad arguments, 409 for a response to a
question that is not the current one, 422 for recording an invalid answer.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from agentload.target._http import http_error, json_response, read_json_object
from agentload.target.state import STATE

__all__ = [
    "QUESTIONNAIRE",
    "QUESTIONS",
    "TOOL_NAMES",
    "Question",
    "Questionnaire",
    "ToolError",
    "Turn",
    "add_routes",
    "offers_questionnaire",
    "plan_turn",
    "tool_definitions",
]

TOOL_NAMES = ("get_next_question", "validate_answer", "record_response")
"""The questionnaire's tools, in the order of one question-answer cycle."""

_MAX_ID_CHARS = 200
_MAX_TEXT_CHARS = 500
_DEFAULT_MAX_SESSIONS = 100_000


@dataclass(frozen=True, slots=True)
class Question:
    """One question; ``kind`` decides which answers are valid (see :meth:`check`)."""

    id: str
    text: str
    kind: str  # yes_no | scale | choice | text
    options: tuple[str, ...] = ()
    example_answer: str = ""

    def check(self, answer: str) -> tuple[str | None, str | None]:
        """``(normalized answer, None)`` when valid, else ``(None, why not)``."""
        given = answer.strip()
        low = given.lower()
        if self.kind == "yes_no":
            if low in ("yes", "y", "true"):
                return "yes", None
            if low in ("no", "n", "false"):
                return "no", None
            return None, "answer yes or no"
        if self.kind == "scale":
            if given.isdigit() and 1 <= int(given) <= 5:
                return given, None
            return None, "answer with a whole number from 1 to 5"
        if self.kind == "choice":
            for option in self.options:
                if low == option.lower():
                    return option, None
            return None, "answer one of " + ", ".join(self.options)
        if not given:
            return None, "the answer is empty"
        if len(given) > _MAX_TEXT_CHARS:
            return None, f"keep the answer under {_MAX_TEXT_CHARS} characters"
        return given, None

    def view(self) -> dict[str, object]:
        """The question as tools return it."""
        out: dict[str, object] = {"id": self.id, "text": self.text, "type": self.kind}
        if self.options:
            out["options"] = list(self.options)
        out["example_answer"] = self.example_answer
        return out


QUESTIONS: tuple[Question, ...] = (
    Question("q1", "Have you used our service in the last month?", "yes_no", (), "yes"),
    Question("q2", "How satisfied are you overall, from 1 to 5?", "scale", (), "4"),
    Question("q3", "How did you contact us?", "choice", ("phone", "chat", "email"), "phone"),
    Question("q4", "Was your issue resolved on the first contact?", "yes_no", (), "no"),
    Question("q5", "How easy was it to reach an agent, from 1 to 5?", "scale", (), "3"),
    Question("q6", "What could we do better?", "text", (), "Shorter waiting times"),
    Question("q7", "Would you recommend us to a friend?", "yes_no", (), "yes"),
    Question("q8", "How would you rate the agent's knowledge, from 1 to 5?", "scale", (), "5"),
    Question("q9", "Which plan are you on?", "choice", ("basic", "plus", "business"), "plus"),
    Question("q10", "Anything else you would like to tell us?", "text", (), "No, thank you"),
)
"""The ten questions of a session, asked in this order."""


class ToolError(Exception):
    """A tool call that cannot be executed; ``status`` is its HTTP status over REST."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class _Session:
    id: str
    position: int = 0  # index of the current (unrecorded) question
    answers: dict[str, str] = field(default_factory=dict)


def _text_arg(args: Mapping[str, object], name: str, *, required: bool) -> str | None:
    value = args.get(name)
    if value is None:
        if required:
            raise ToolError(400, f"'{name}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ToolError(400, f"'{name}' must be a string")
    text = str(value)
    if name != "answer" and not 0 < len(text) <= _MAX_ID_CHARS:
        raise ToolError(400, f"'{name}' must be 1 to {_MAX_ID_CHARS} characters")
    return text


class Questionnaire:
    """The tool executor: per-session state, ten questions each.

    Sessions live in memory, oldest evicted past ``max_sessions`` (a long soak
    must not grow the target without bound). Not thread-safe: one event loop
    owns it, as the target's handlers do.
    """

    __slots__ = ("_max", "_questions", "_rng", "_sessions")

    def __init__(
        self,
        rng: random.Random | None = None,
        *,
        questions: Sequence[Question] = QUESTIONS,
        max_sessions: int = _DEFAULT_MAX_SESSIONS,
    ) -> None:
        if not questions:
            raise ValueError("a questionnaire needs at least one question")
        self._rng = rng or random.Random()
        self._questions = tuple(questions)
        self._max = max_sessions
        self._sessions: OrderedDict[str, _Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    # -- sessions ------------------------------------------------------------

    def start(self, session_id: str | None = None) -> dict[str, object]:
        """Open a session (a fresh id unless given) and return its first question."""
        if session_id is None:
            session_id = f"qs_{self._rng.getrandbits(64):016x}"
        elif session_id in self._sessions:
            raise ToolError(409, f"session {session_id!r} already exists")
        self._open(session_id)
        return self.get_next_question(session_id)

    def _open(self, session_id: str) -> _Session:
        session = self._sessions[session_id] = _Session(session_id)
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)
        return session

    def _session(self, session_id: str) -> _Session:
        session = self._sessions.get(session_id)
        if session is None:
            raise ToolError(404, f"unknown session {session_id!r}; start one first")
        return session

    def session_view(self, session_id: str) -> dict[str, object]:
        """A session's progress and answers."""
        session = self._session(session_id)
        return {
            "session_id": session.id,
            "answered": len(session.answers),
            "total": len(self._questions),
            "done": session.position >= len(self._questions),
            "answers": dict(session.answers),
        }

    # -- tools ---------------------------------------------------------------

    def call(self, tool: str, args: Mapping[str, object]) -> dict[str, object]:
        """Run tool ``tool`` with ``args`` (a decoded JSON object); raises :class:`ToolError`."""
        session_id = _text_arg(args, "session_id", required=True)
        assert session_id is not None
        if tool == "get_next_question":
            return self.get_next_question(session_id)
        if tool in ("validate_answer", "record_response"):
            question_id = _text_arg(args, "question_id", required=False)
            answer = _text_arg(args, "answer", required=True)
            assert answer is not None
            if tool == "validate_answer":
                return self.validate_answer(session_id, answer, question_id)
            return self.record_response(session_id, answer, question_id)
        raise ToolError(404, f"unknown tool {tool!r}; the tools are " + ", ".join(TOOL_NAMES))

    def get_next_question(self, session_id: str) -> dict[str, object]:
        """The current question (an unknown session is started); ``done`` after the last."""
        session = self._sessions.get(session_id) or self._open(session_id)
        total = len(self._questions)
        out: dict[str, object] = {
            "session_id": session.id,
            "answered": len(session.answers),
            "remaining": total - session.position,
        }
        if session.position >= total:
            return {**out, "done": True, "question_id": None, "question": None}
        question = self._questions[session.position]
        return {**out, "done": False, "question_id": question.id, "question": question.view()}

    def _current(self, session: _Session, question_id: str | None) -> Question:
        if session.position >= len(self._questions):
            raise ToolError(409, "the questionnaire is complete; no question is open")
        question = self._questions[session.position]
        if question_id is not None and question_id != question.id:
            raise ToolError(
                409, f"question {question_id!r} is not the current one ({question.id!r})"
            )
        return question

    def validate_answer(
        self, session_id: str, answer: str, question_id: str | None = None
    ) -> dict[str, object]:
        """Whether ``answer`` fits the current question (``question_id`` defaults to it)."""
        session = self._session(session_id)
        question = self._current(session, question_id)
        normalized, reason = question.check(answer)
        return {
            "session_id": session.id,
            "question_id": question.id,
            "valid": normalized is not None,
            "normalized_answer": normalized,
            "reason": reason,
        }

    def record_response(
        self, session_id: str, answer: str, question_id: str | None = None
    ) -> dict[str, object]:
        """Store a valid answer to the current question and move to the next one."""
        session = self._session(session_id)
        question = self._current(session, question_id)
        normalized, reason = question.check(answer)
        if normalized is None:
            raise ToolError(422, f"invalid answer to {question.id}: {reason}")
        session.answers[question.id] = normalized
        session.position += 1
        total = len(self._questions)
        return {
            "session_id": session.id,
            "question_id": question.id,
            "recorded": True,
            "answered": len(session.answers),
            "remaining": total - session.position,
        }


def tool_definitions() -> list[dict[str, object]]:
    """The three tools as OpenAI function definitions (chat ``tools``, realtime ``tools``)."""
    session = {"type": "string", "description": "The questionnaire session id."}
    question = {"type": "string", "description": "The current question's id (optional)."}
    answer = {"type": "string", "description": "The caller's answer, as said."}

    def tool(
        name: str, text: str, props: dict[str, object], required: list[str]
    ) -> dict[str, object]:
        params = {"type": "object", "properties": props, "required": required}
        return {
            "type": "function",
            "function": {"name": name, "description": text, "parameters": params},
        }

    return [
        tool("get_next_question", "Get the question to ask next.", {"session_id": session},
             ["session_id"]),
        tool("validate_answer", "Check an answer against the current question.",
             {"session_id": session, "question_id": question, "answer": answer},
             ["session_id", "answer"]),
        tool("record_response", "Record a valid answer and move on.",
             {"session_id": session, "question_id": question, "answer": answer},
             ["session_id", "answer"]),
    ]  # fmt: skip


# -- the simulated model's side of a tool cycle ------------------------------------


@dataclass(frozen=True, slots=True)
class Turn:
    """What the simulated model answers: a tool call (``tool`` and ``arguments``) or ``text``."""

    tool: str | None = None
    arguments: Mapping[str, object] | None = None
    text: str | None = None


_ID_RE = re.compile(r"""\b(session_id|question_id)["']?\s*[:=]\s*["']?([\w.-]+)""")


def offers_questionnaire(tools: object) -> bool:
    """True when a request's ``tools`` include a questionnaire tool (by function name)."""
    if not isinstance(tools, list):
        return False
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and function.get("name") in TOOL_NAMES:
            return True
    return False


def _texts(message: Mapping[str, object]) -> list[str]:
    out = []
    content = message.get("content")
    if isinstance(content, str):
        out.append(content)
    elif content is not None:
        out.append(json.dumps(content))
    calls = message.get("tool_calls")
    for call in calls if isinstance(calls, list) else ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            arguments = function.get("arguments")
            out.append(arguments if isinstance(arguments, str) else json.dumps(arguments))
    return out


def _ids(messages: Sequence[Mapping[str, object]]) -> dict[str, str]:
    """The last ``session_id`` and ``question_id`` written anywhere in the conversation."""
    found: dict[str, str] = {}
    for message in messages:
        for text in _texts(message):
            for key, value in _ID_RE.findall(text):
                if value not in ("null", "None"):
                    found[key] = value
    return found


def _called_tool(
    messages: Sequence[Mapping[str, object]], tool_message: Mapping[str, object]
) -> str:
    """The name of the tool a ``role: tool`` message answers (by ``tool_call_id``)."""
    wanted = tool_message.get("tool_call_id")
    for message in reversed(messages):
        calls = message.get("tool_calls")
        for call in calls if isinstance(calls, list) else ():
            if isinstance(call, dict) and call.get("id") == wanted:
                function = call.get("function")
                if isinstance(function, dict) and isinstance(function.get("name"), str):
                    return str(function["name"])
    name = tool_message.get("name")
    return name if isinstance(name, str) else ""


def _result(content: object) -> dict[str, object]:
    if isinstance(content, dict):
        return content
    if isinstance(content, str):
        try:
            parsed = json.loads(content)
        except ValueError:
            return {"error": content}
        if isinstance(parsed, dict):
            return parsed
    return {"error": "the tool result is not a JSON object"}


def plan_turn(messages: Sequence[Mapping[str, object]]) -> Turn:
    """The simulated survey agent's next move, from the conversation alone (stateless).

    After the caller speaks: ``validate_answer`` of what they said (against the
    session's current question unless a ``question_id`` is known); after a
    valid answer: ``record_response``; after a recorded one:
    ``get_next_question``; after a question: ask it (text); after the last: a
    closing text. Ids are the last ``session_id`` / ``question_id``
    written anywhere in the conversation (JSON or ``key: value``).
    """
    if not messages:
        return Turn(text="Hello! Shall we start the survey?")
    ids = _ids(messages)
    session = ids.get("session_id")
    if session is None:
        return Turn(text="I need a session_id to start the questionnaire.")
    last = messages[-1]
    if last.get("role") != "tool":
        content = last.get("content")
        answer = content if isinstance(content, str) else ""
        args = {"session_id": session, "answer": answer}
        if "question_id" in ids:
            args["question_id"] = ids["question_id"]
        return Turn("validate_answer", args)
    tool, result = _called_tool(messages, last), _result(last.get("content"))
    if "error" in result:
        return Turn(text=f"Sorry, that did not work: {result['error']}")
    if tool == "validate_answer":
        if result.get("valid") is not True:
            return Turn(text=f"Sorry, I did not get that: {result.get('reason')}.")
        args = {
            "session_id": session,
            "question_id": str(result.get("question_id") or ids.get("question_id", "")),
            "answer": str(result.get("normalized_answer")),
        }
        return Turn("record_response", args)
    if tool == "record_response":
        return Turn("get_next_question", {"session_id": session})
    if tool == "get_next_question":
        question = result.get("question")
        if result.get("done") is True or not isinstance(question, dict):
            return Turn(text="Thank you, that completes the questionnaire.")
        return Turn(text=str(question.get("text", "")))
    return Turn(text="Done.")


# -- REST ----------------------------------------------------------------------------

QUESTIONNAIRE: web.AppKey[Questionnaire] = web.AppKey("agentload_questionnaire", Questionnaire)
"""The app's :class:`Questionnaire` (one per app, like the rest of its state)."""


def _raise(exc: ToolError) -> web.HTTPException:
    classes: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
        422: web.HTTPUnprocessableEntity,
    }
    return http_error(classes.get(exc.status, web.HTTPBadRequest), exc.message)


async def _execution_time(request: web.Request) -> None:
    state = request.app[STATE]
    delay = state.config.tool_latency.sample(state.rng)
    if delay > 0:
        await asyncio.sleep(delay)


async def start_session(request: web.Request) -> web.Response:
    """``POST /api/questionnaire/sessions``: a new session and its first question."""
    body = await read_json_object(request) if request.can_read_body else {}
    given = body.get("session_id")
    if given is not None and (not isinstance(given, str) or not 0 < len(given) <= _MAX_ID_CHARS):
        raise http_error(web.HTTPBadRequest, "'session_id' must be a short non-empty string")
    await _execution_time(request)
    try:
        return json_response(request.app[QUESTIONNAIRE].start(given), status=201)
    except ToolError as exc:
        raise _raise(exc) from None


async def get_session(request: web.Request) -> web.Response:
    """``GET /api/questionnaire/sessions/{session_id}``: progress and answers."""
    try:
        return json_response(
            request.app[QUESTIONNAIRE].session_view(request.match_info["session_id"])
        )
    except ToolError as exc:
        raise _raise(exc) from None


async def list_tools(request: web.Request) -> web.Response:
    """``GET /api/questionnaire/tools``: the tools as OpenAI function definitions."""
    return json_response({"tools": tool_definitions()})


async def call_tool(request: web.Request) -> web.Response:
    """``POST /api/questionnaire/tools/{tool}``: execute one tool with the body as arguments."""
    tool = request.match_info["tool"]
    if tool not in TOOL_NAMES:
        raise _raise(
            ToolError(404, f"unknown tool {tool!r}; the tools are " + ", ".join(TOOL_NAMES))
        )
    args = await read_json_object(request)
    await _execution_time(request)
    try:
        return json_response(request.app[QUESTIONNAIRE].call(tool, args))
    except ToolError as exc:
        raise _raise(exc) from None


def add_routes(app: web.Application) -> None:
    """Install the questionnaire's state and routes on ``app``."""
    app[QUESTIONNAIRE] = Questionnaire(random.Random(app[STATE].config.seed))
    app.router.add_post("/api/questionnaire/sessions", start_session)
    app.router.add_get("/api/questionnaire/sessions/{session_id}", get_session)
    app.router.add_get("/api/questionnaire/tools", list_tools)
    app.router.add_post("/api/questionnaire/tools/{tool}", call_tool)
