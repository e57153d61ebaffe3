"""The coordinator ↔ worker protocol: frozen messages and their byte codec.

Sans-I/O: this module turns messages into bytes and back, nothing more. The
local executor frames them on pipes (``Connection.send_bytes``); a remote
executor could frame them on TCP the same way, because the encoding is JSON
(orjson), not pickle — a worker never unpickles what it is sent.

A run, seen from one worker::

    coordinator                         worker
        Setup ─────────────────────────▶   load the scenario, build the runner
              ◀───────────────────────── Ready
        Go(start_at_ns) ───────────────▶   sleep until start_at, run the segment
              ◀───────────────────────── Interval × n   (one per snapshot interval)
        Stop(force) ───────────────────▶   (any time: graceful, then forced)
              ◀───────────────────────── Done            (after the last Interval)
              ◀───────────────────────── Failed          (instead, on an error)

Every message carries :data:`PROTOCOL_VERSION`; :func:`decode` refuses another
version (a worker from another install must not be merged silently).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

import orjson

__all__ = [
    "PROTOCOL_VERSION",
    "Done",
    "Failed",
    "Go",
    "Interval",
    "Message",
    "MessageError",
    "Ready",
    "Setup",
    "Stop",
    "ToCoordinator",
    "ToWorker",
    "decode",
    "encode",
]

PROTOCOL_VERSION = 1


class MessageError(ValueError):
    """Bytes that are not a valid message of this protocol version."""


@dataclass(frozen=True, slots=True)
class Setup:
    """Everything a worker needs to prepare its share of the run.

    The scenario travels as its YAML text, loaded again by the worker with the
    same environment and overrides: the loaded model does not pickle (it holds
    read-only mappings) and is not JSON, while text is portable to any
    transport. ``fingerprint`` (see :func:`agentload.distributed.scenario_fingerprint`)
    proves both loads produced the same model; ``plan`` is the worker's segment,
    exactly as the coordinator split it.
    """

    TYPE: ClassVar[str] = "setup"
    worker: int
    workers: int
    scenario_text: str
    scenario_filename: str
    base_dir: str
    env: Mapping[str, str]
    overrides: Mapping[str, str]
    fingerprint: str
    plan: Mapping[str, Any]
    interval: float
    failure_samples: int = 5
    """Failure samples each worker keeps per error kind (``--failure-samples``)."""
    bundle: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Remote workers only: the files beside the scenario, ``relative path → base64``.

    A worker on another machine writes them to a fresh folder and uses it as
    ``base_dir``; local workers share the file system and get none.
    """
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Go:
    """Start the load at ``start_at_ns`` on ``time.monotonic_ns()``.

    CLOCK_MONOTONIC is one clock for the whole machine on Linux (and macOS),
    so every local worker starts at the same instant. It is meaningless across
    machines: there ``start_at_unix_ns`` (``time.time_ns()``, NTP-synchronised
    clocks) is the start, converted by the worker to its own monotonic clock.
    """

    TYPE: ClassVar[str] = "go"
    start_at_ns: int
    start_at_unix_ns: int = 0
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop gracefully, or at once with ``force``; ``reason`` is a StopReason value."""

    TYPE: ClassVar[str] = "stop"
    force: bool
    reason: str
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Ready:
    """The worker loaded everything and waits for :class:`Go`."""

    TYPE: ClassVar[str] = "ready"
    worker: int
    pid: int
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Interval:
    """One snapshot interval of one worker: ``Snapshot.to_dict()``.

    ``index`` is the interval's number from the common start (``start /
    interval``, rounded): the coordinator merges equal indices of all workers.
    """

    TYPE: ClassVar[str] = "interval"
    worker: int
    index: int
    snapshot: Mapping[str, Any]
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Done:
    """The worker's segment ended; every Interval it will send was sent before this."""

    TYPE: ClassVar[str] = "done"
    worker: int
    stop_reason: str
    duration: float
    intervals: int
    start_skew_s: float = 0.0
    """How late the worker started after ``start_at`` (seconds)."""
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Failed:
    """The worker hit an error it cannot go on from; it exits after sending this."""

    TYPE: ClassVar[str] = "failed"
    worker: int
    error: str
    version: int = PROTOCOL_VERSION


ToWorker: TypeAlias = Setup | Go | Stop
ToCoordinator: TypeAlias = Ready | Interval | Done | Failed
Message: TypeAlias = ToWorker | ToCoordinator

_TYPES: dict[str, type[Any]] = {
    cls.TYPE: cls for cls in (Setup, Go, Stop, Ready, Interval, Done, Failed)
}


def encode(message: Message) -> bytes:
    """``message`` as UTF-8 JSON: its fields plus ``"type"``."""
    out: dict[str, Any] = {"type": message.TYPE}
    for f in dataclasses.fields(message):
        value = getattr(message, f.name)
        # Mappings may be read-only proxies; orjson wants plain dicts.
        out[f.name] = dict(value) if isinstance(value, Mapping) else value
    return orjson.dumps(out)


def _check(name: str, annotation: str, value: object) -> object:
    """``value`` checked against the (string) annotation of field ``name``."""
    if annotation == "bool":
        ok = isinstance(value, bool)
    elif annotation == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif annotation == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value  # type: ignore[arg-type]
    elif annotation == "str":
        ok = isinstance(value, str)
    elif annotation == "Mapping[str, str]":
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
    else:  # Mapping[str, Any]: its own decoder (Plan.from_dict, Snapshot.from_dict) checks it
        ok = isinstance(value, dict)
    if not ok:
        raise MessageError(f"field {name!r} should be {annotation}, got {value!r:.80}")
    return value


def decode(data: bytes) -> Message:
    """The message :func:`encode` produced.

    Raises:
        MessageError: not JSON, not an object, unknown type, another protocol
            version, missing or extra fields, or a field of the wrong type.
    """
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MessageError(f"not a message (bad JSON: {exc})") from None
    if not isinstance(raw, dict):
        raise MessageError(f"not a message (a JSON {type(raw).__name__})")
    version = raw.get("version")
    if version != PROTOCOL_VERSION:
        raise MessageError(
            f"protocol version {version!r}, expected {PROTOCOL_VERSION}: "
            "the coordinator and the workers must run the same agentload"
        )
    cls = _TYPES.get(raw.pop("type", None))
    if cls is None:
        raise MessageError(f"unknown message type in {data[:80]!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if missing := [n for n, f in fields.items() if n not in raw and _required(f)]:
        raise MessageError(f"{cls.TYPE}: missing {', '.join(missing)}")
    if extra := sorted(set(raw) - set(fields)):
        raise MessageError(f"{cls.TYPE}: unknown field(s) {', '.join(extra)}")
    kwargs = {name: _check(name, str(fields[name].type), value) for name, value in raw.items()}
    message: Message = cls(**kwargs)
    return message


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
