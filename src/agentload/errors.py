"""The error tree and the process exit codes.

Every error agentload raises on purpose derives from :class:`AgentloadError`::

    AgentloadError
    ├── InputError                 bad input from the user           → exit 2
    │   ├── ScenarioError          a scenario file has problems (carries every Issue)
    │   ├── ThresholdSyntaxError   a threshold expression does not parse
    │   └── UsageError             a CLI flag or value is wrong
    ├── RunError                   the run could not complete          → exit 3
    │   └── TargetUnavailable      the target is down before any load
    └── ProtocolError              the target spoke bytes we cannot parse
                                    (counted as an error of a kind; never ends a run)

Faults of the target (refused, reset, timeout, malformed, 5xx) are *results*, not
exceptions that escape: the engine counts them by :class:`ErrorKind` and goes on.
Messages say what happened and what to do (compare httpx's ``StreamConsumed``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "AgentloadError",
    "ErrorKind",
    "ExitCode",
    "InputError",
    "Issue",
    "ProtocolError",
    "RunError",
    "ScenarioError",
    "TargetUnavailable",
    "ThresholdSyntaxError",
    "UsageError",
]


class ExitCode(enum.IntEnum):
    """Process exit codes, documented in README.md and docs/results.md."""

    OK = 0
    """The run completed and every threshold passed."""
    THRESHOLD_FAILED = 1
    """The run completed (or was aborted by a threshold) and at least one threshold failed."""
    BAD_INPUT = 2
    """Bad input or usage: nothing was sent to the target."""
    RUN_FAILED = 3
    """The run could not complete (target down at start, internal failure)."""


class ErrorKind(enum.StrEnum):
    """Kinds of failed requests, as they appear in summaries (``errors by kind``)."""

    CONNECT_REFUSED = "connect_refused"
    CONNECT_TIMEOUT = "connect_timeout"
    DNS = "dns"
    TLS = "tls"
    RESET = "connection_reset"
    CLOSED = "connection_closed"
    READ_TIMEOUT = "read_timeout"
    TOTAL_TIMEOUT = "total_timeout"
    MALFORMED = "malformed_response"
    STREAM_CUT = "stream_cut"
    """A streamed response ended before it was complete (docs/metrics.md, "LLM streaming")."""
    LLM_ERROR = "llm_error"
    """An LLM endpoint reported an error inside its answer (an ``error`` event or object)."""
    HTTP_4XX = "http_4xx"
    HTTP_5XX = "http_5xx"
    WS_HANDSHAKE = "ws_handshake"
    """The WebSocket upgrade was refused (a status other than 101) or its answer was invalid."""
    WS_ABNORMAL_CLOSE = "ws_abnormal_close"
    """A WebSocket connection ended without a close frame (close code 1006, RFC 6455 §7.1.5)."""
    WS_CLOSE_ERROR = "ws_close_error"
    """The peer closed a WebSocket with a code other than 1000, 1001 or 1005 (RFC 6455 §7.4)."""
    WS_TIMEOUT = "ws_timeout"
    """No WebSocket message (matching the expectation) arrived before its timeout."""
    VOICE_NO_REPLY = "voice_no_reply"
    """A voice turn got no agent audio within its timeout (docs/metrics.md, "Voice")."""
    VOICE_AGENT_ERROR = "voice_agent_error"
    """A voice agent reported an error in-band (a Realtime ``error`` event)."""
    CHECK_FAILED = "check_failed"
    CAPTURE_FAILED = "capture_failed"
    POLL_TIMEOUT = "poll_timeout"
    """A ``poll`` step's condition did not hold before its timeout (docs/metrics.md)."""
    POLL_FAILED = "poll_failed"
    """A ``poll`` step's ``fail_if`` matched (the polled job reported a failure)."""
    SCRIPT = "script_error"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in an input file, with where it is and what to do.

    ``str(issue)`` is the one line shown to the user: ``file:line: message``.
    """

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line > 0:
            return f"{self.file}:{self.line}: {self.message}"
        return f"{self.file}: {self.message}"


class AgentloadError(Exception):
    """Base of every error agentload raises on purpose."""

    exit_code: ExitCode = ExitCode.RUN_FAILED


class InputError(AgentloadError):
    """The user's input is wrong; nothing was sent to the target."""

    exit_code = ExitCode.BAD_INPUT


class ScenarioError(InputError):
    """A scenario file has one or more problems; all of them are in :attr:`issues`."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))

    @classmethod
    def collect(cls, issues: Iterable[Issue]) -> ScenarioError | None:
        """Return an error holding ``issues``, or ``None`` when there are none."""
        found = tuple(issues)
        return cls(found) if found else None


class ThresholdSyntaxError(InputError):
    """A threshold expression does not parse; :attr:`column` points at the problem."""

    def __init__(self, message: str, *, expression: str, column: int) -> None:
        self.expression = expression
        self.column = column
        super().__init__(message)


class UsageError(InputError):
    """A command-line flag or its value is wrong."""


class RunError(AgentloadError):
    """The run could not complete."""

    exit_code = ExitCode.RUN_FAILED


class TargetUnavailable(RunError):
    """The target did not answer before the load started; no load was sent."""


class ProtocolError(AgentloadError):
    """The peer sent bytes that violate the protocol (counted, never fatal to a run)."""
