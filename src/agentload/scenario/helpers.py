"""Template helpers: ``${uuid()}``, ``${randint(1, 10)}``, ``${timestamp()}`` and friends.

A helper is called every time the template holding it is rendered (each
request), never when the file is loaded. :data:`HELPERS` maps each name to
its implementation and the arguments it takes, which the template reader
(:mod:`agentload.scenario._templates`) checks when the file is loaded, so a
helper never fails at run time except for a variable argument that is unset
or of the wrong kind (counted as a ``script_error``).

Random helpers draw from Python's ``random`` module (they are not tied to a
VU's seeded generator, so values differ between runs); ``uuid()`` is a
version 4 UUID from the OS's generator. The format is in
docs/scenario-format.md ("Template helpers").
"""

from __future__ import annotations

import random
import string
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["HELPERS", "Helper", "HelperError", "check_int_args"]

_ALNUM = string.ascii_letters + string.digits
_MAX_STRING = 1_000_000


class HelperError(KeyError):
    """A helper got a run-time value it cannot use (e.g. ``pick`` of a non-list).

    A ``KeyError`` so the engine's "missing variable" path counts it as a
    ``script_error`` like any other template failure.
    """


@dataclass(frozen=True, slots=True)
class Helper:
    """A helper: what it does, how many arguments, and which must be whole numbers."""

    fn: Callable[[Sequence[object]], object]
    min_args: int
    max_args: int | None
    ints: bool
    """True when every argument must be a whole number written in the file."""
    usage: str


def _uuid(_args: Sequence[object]) -> object:
    return str(uuid.uuid4())


def _randint(args: Sequence[object]) -> object:
    low, high = args
    assert isinstance(low, int) and isinstance(high, int)  # checked by the reader
    return random.randint(low, high)


def _random_string(args: Sequence[object]) -> object:
    (n,) = args
    assert isinstance(n, int)
    return "".join(random.choices(_ALNUM, k=n))


def _timestamp(_args: Sequence[object]) -> object:
    return int(time.time())


def _timestamp_ms(_args: Sequence[object]) -> object:
    return time.time_ns() // 1_000_000


def _pick(args: Sequence[object]) -> object:
    if len(args) == 1:
        (only,) = args
        if isinstance(only, list | tuple):
            if not only:
                raise HelperError("pick(): the list is empty")
            return random.choice(only)
        if isinstance(only, Mapping):
            raise HelperError("pick(): expected a list, found an object")
    return random.choice(list(args))


HELPERS: Mapping[str, Helper] = MappingProxyType(
    {
        "uuid": Helper(_uuid, 0, 0, False, "uuid()"),
        "randint": Helper(_randint, 2, 2, True, "randint(min, max)"),
        "random_string": Helper(_random_string, 1, 1, True, "random_string(length)"),
        "timestamp": Helper(_timestamp, 0, 0, False, "timestamp()"),
        "timestamp_ms": Helper(_timestamp_ms, 0, 0, False, "timestamp_ms()"),
        "pick": Helper(_pick, 1, None, False, "pick(list_variable) or pick('a', 'b', …)"),
    }
)
"""Every helper by name."""


def check_int_args(name: str, args: Sequence[object]) -> str | None:
    """Why whole-number ``args`` are out of range for helper ``name``, or ``None``."""
    if name == "randint":
        low, high = args
        assert isinstance(low, int) and isinstance(high, int)
        if low > high:
            return f"randint({low}, {high}): the minimum is larger than the maximum; swap them"
    if name == "random_string":
        (n,) = args
        assert isinstance(n, int)
        if not 0 < n <= _MAX_STRING:
            return f"random_string({n}): the length must be from 1 to {_MAX_STRING:,}"
    return None
