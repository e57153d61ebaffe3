"""The ``voice:`` step's YAML (docs/scenario-format.md, "Voice").

Every problem is one ``file:line`` issue, like the other steps; caller audio
files are opened when the scenario is loaded, so a missing or non-PCM WAV is
bad input (exit 2), not a failure in the middle of a run.
"""

from __future__ import annotations

from agentload.protocols.http.timeouts import Timeouts
from agentload.protocols.voice import AudioError, Dialect, read_wav, shipped_utterances
from agentload.protocols.voice.tools import QUESTIONNAIRE_TOOLS
from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._nodes import YMap, YNode, YScalar, YSeq
from agentload.scenario._step_fields import step_name
from agentload.scenario._values import Scope, check_url, json_value, pairs, think_time, tracked
from agentload.scenario._ws import _url as ws_url_template
from agentload.scenario.model_voice import VoiceAudio, VoiceStep
from agentload.scenario.parts import JsonObject, JsonValue, Template

__all__ = ["read_voice_step"]

_KEYS = (
    "name",
    "dialect",
    "url",
    "headers",
    "audio",
    "turns",
    "pause",
    "greeting",
    "barge_in",
    "barge_in_audio",
    "timeout",
    "reply_quiet",
    "chunk_ms",
    "sample_rate",
    "agent_rate",
    "turn_detection",
    "tools",
    "parameters",
    "twiml",
)
_TIMEOUT_KEYS = ("turn", "connect")
_DIALECTS = tuple(d.value for d in Dialect)
_MAX_TURNS = 10_000


def _audio(ctx: Ctx, node: YNode, path: str) -> VoiceAudio | None:
    source = ctx.text(node, path, expected="an utterance name such as hello, or a WAV file")
    if source is None:
        return None
    names = shipped_utterances()
    if source in names:
        return VoiceAudio(source)
    file = ctx.base_dir / source
    if not file.is_file():
        guess = did_you_mean(source, names)
        hint = (
            f"did you mean '{guess}'?"
            if guess
            else (
                "give a WAV file (relative to the scenario) or one of " + ", ".join(sorted(names))
            )
        )
        ctx.error(node.line, path, f"'{source}' is neither a shipped utterance nor a file; {hint}")
        return None
    try:
        read_wav(file)
    except AudioError as exc:
        ctx.error(node.line, path, f"{exc}; give a PCM WAV file (8/16/24/32-bit, any rate)")
        return None
    return VoiceAudio(source, str(file.resolve()))


def _audios(ctx: Ctx, node: YNode, path: str) -> tuple[VoiceAudio, ...] | None:
    items = node.items if isinstance(node, YSeq) else (node,)
    if not items:
        ctx.error(node.line, path, "the list is empty; name an utterance such as hello")
        return None
    found = [_audio(ctx, item, f"{path}[{i}]" if isinstance(node, YSeq) else path)
             for i, item in enumerate(items)]  # fmt: skip
    if any(a is None for a in found):
        return None
    return tuple(a for a in found if a is not None)


def _tools(ctx: Ctx, scope: Scope, node: YNode, path: str) -> tuple[bool, JsonValue]:
    if isinstance(node, YScalar):
        text = ctx.text(node, path, expected="questionnaire, or a list of tool definitions")
        if text == "questionnaire":
            return True, _as_json(list(QUESTIONNAIRE_TOOLS))
        if text is not None:
            ctx.error(node.line, path, f"unknown tool set '{text}'; use questionnaire or a list")
        return False, None
    if not isinstance(node, YSeq):
        ctx.wrong_type(node, path, "a list of tool definitions ({type: function, name, …})")
        return False, None
    return json_value(ctx, scope, node, path)


def _as_json(value: object) -> JsonValue:
    if isinstance(value, dict):
        return JsonObject(tuple((str(k), _as_json(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_as_json(v) for v in value)
    if isinstance(value, str):
        return Template.literal(value)
    return value  # type: ignore[return-value]  # numbers, booleans, None


def _timeouts(ctx: Ctx, node: YNode, path: str) -> tuple[float, float] | None:
    if isinstance(node, YScalar):
        turn = ctx.duration(node, path, positive=True)
        return None if turn is None else (turn, 10.0)
    mapping = ctx.mapping(node, path, "a duration (per turn) or {turn: 5s, connect: 10s}")
    if mapping is None:
        return None
    ctx.check_keys(mapping, path, _TIMEOUT_KEYS)
    values = {"turn": 5.0, "connect": 10.0}
    ok = True
    for key in _TIMEOUT_KEYS:
        item = mapping.get(key)
        if item is not None:
            value = ctx.duration(item, f"{path}.{key}", positive=True)
            ok = ok and value is not None
            if value is not None:
                values[key] = value
    return (values["turn"], values["connect"]) if ok else None


def read_voice_step(
    ctx: Ctx, scope: Scope, fields: YMap, path: str, *, line: int, limits: Timeouts
) -> VoiceStep | None:
    """Read the mapping of a ``voice:`` step; ``None`` after recording its issues."""
    before = len(ctx.issues)
    misspelled = ctx.check_keys(fields, path, _KEYS)
    dialect = url = audio = None
    if (node := fields.get("dialect")) is not None:
        text = ctx.choice(node, f"{path}.dialect", _DIALECTS)
        dialect = None if text is None else Dialect(text)
    elif "dialect" not in misspelled:
        ctx.error(fields.line, path, "missing 'dialect'; add one of " + ", ".join(_DIALECTS))
    if (node := fields.get("url")) is not None:
        url = ws_url_template(ctx, scope, node, f"{path}.url")
    elif "url" not in misspelled and fields.get("twiml") is None:
        ctx.error(fields.line, path, "missing 'url'; add e.g. url: /voice/twilio")
    if (node := fields.get("audio")) is not None:
        audio = _audios(ctx, node, f"{path}.audio")
    elif "audio" not in misspelled:
        ctx.error(fields.line, path, "missing 'audio'; add e.g. audio: hello (or a WAV file)")
    name = step_name(ctx, fields, path)
    headers = parameters = pause = barge = barge_audio = None
    turns: int | None = 1
    greeting: bool | None = False
    manual = False
    chunk = rate = agent_rate = None
    turn_timeout, connect_timeout = 5.0, 10.0
    reply_quiet: float | None = 0.5
    tools_ok, tools = True, None
    if (node := fields.get("headers")) is not None:
        headers = pairs(ctx, scope, node, f"{path}.headers", headers=True)
    if (node := fields.get("parameters")) is not None:
        parameters = pairs(ctx, scope, node, f"{path}.parameters")
    if (node := fields.get("turns")) is not None:
        turns = ctx.integer(node, f"{path}.turns", minimum=1, maximum=_MAX_TURNS)
    if (node := fields.get("pause")) is not None:
        pause = think_time(ctx, node, f"{path}.pause")
    if (node := fields.get("greeting")) is not None:
        greeting = ctx.boolean(node, f"{path}.greeting")
    if (node := fields.get("barge_in")) is not None:
        barge = ctx.duration(node, f"{path}.barge_in")
    if (node := fields.get("barge_in_audio")) is not None:
        barge_audio = _audio(ctx, node, f"{path}.barge_in_audio")
    if (node := fields.get("timeout")) is not None:
        found = _timeouts(ctx, node, f"{path}.timeout")
        if found is not None:
            turn_timeout, connect_timeout = found
    if (node := fields.get("reply_quiet")) is not None:
        reply_quiet = ctx.duration(node, f"{path}.reply_quiet", positive=True)
    if (node := fields.get("chunk_ms")) is not None:
        chunk = ctx.integer(node, f"{path}.chunk_ms", minimum=5, maximum=1000)
    if (node := fields.get("sample_rate")) is not None:
        rate = ctx.integer(node, f"{path}.sample_rate", minimum=8000, maximum=48000)
    if (node := fields.get("agent_rate")) is not None:
        agent_rate = ctx.integer(node, f"{path}.agent_rate", minimum=8000, maximum=48000)
    if (node := fields.get("turn_detection")) is not None:
        mode = ctx.choice(node, f"{path}.turn_detection", ("server_vad", "manual"))
        manual = mode == "manual"
    if (node := fields.get("tools")) is not None:
        tools_ok, tools = _tools(ctx, scope, node, f"{path}.tools")
    twiml = None
    if (node := fields.get("twiml")) is not None:
        twiml = tracked(ctx, scope, node, f"{path}.twiml")
        if twiml is not None and check_url(ctx, twiml, node.line, f"{path}.twiml") is None:
            twiml = None
    if url is None and twiml is not None:
        url = twiml  # not used: the TwiML answer names the stream
    if dialect is not None:
        _dialect_only(ctx, fields, path, dialect)
    if (
        len(ctx.issues) != before
        or dialect is None
        or url is None
        or audio is None
        or turns is None
        or greeting is None
        or reply_quiet is None
        or not tools_ok
    ):
        return None
    return VoiceStep(
        name=name or f"voice {dialect.value}",
        dialect=dialect,
        url=url,
        audio=audio,
        headers=headers or (),
        turns=turns,
        pause=pause,
        greeting=greeting,
        barge_in=barge,
        barge_in_audio=barge_audio,
        turn_timeout=turn_timeout,
        connect_timeout=connect_timeout,
        reply_quiet=reply_quiet,
        chunk_ms=chunk,
        sample_rate=rate,
        agent_rate=agent_rate,
        manual_turns=manual,
        tools=tools,
        parameters=parameters or (),
        twiml=twiml,
        line=line,
    )


# Keys that only mean something in some dialects.
_ONLY: dict[str, tuple[Dialect, ...]] = {
    "chunk_ms": (Dialect.PCM, Dialect.PCM_JSON, Dialect.REALTIME),
    "sample_rate": (Dialect.PCM, Dialect.PCM_JSON),
    "agent_rate": (Dialect.PCM, Dialect.PCM_JSON),
    "turn_detection": (Dialect.REALTIME,),
    "tools": (Dialect.REALTIME,),
    "parameters": (Dialect.TWILIO,),
    "twiml": (Dialect.TWILIO,),
}


def _dialect_only(ctx: Ctx, fields: YMap, path: str, dialect: Dialect) -> None:
    for key, dialects in _ONLY.items():
        node = fields.key(key)
        if node is not None and dialect not in dialects:
            where = ", ".join(d.value for d in dialects)
            ctx.error(
                node.line,
                f"{path}.{key}",
                f"'{key}' does not apply to dialect {dialect.value} (only {where}); remove it",
            )
