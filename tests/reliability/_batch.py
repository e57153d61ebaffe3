"""Run the CLI for many independent cases at once, once per module.

The reliability matrices start one ``agentload`` subprocess per case. Most of a
case's wall time is the interpreter starting or a run waiting on its target, so
a few at a time take a fraction of the time one after the other. A module
fixture runs the cases the session selected (``-k`` keeps working), and each
case stays a test of its own that asserts on its outcome.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

__all__ = ["run_batch", "selected"]

T = TypeVar("T")
R = TypeVar("R")


def selected(request: pytest.FixtureRequest, test_name: str, ids: Sequence[str]) -> set[str]:
    """The ids of ``test_name``'s parametrized cases that this session will run."""
    module = request.module.__name__
    wanted: set[str] = set()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if (
            callspec is not None
            and getattr(item, "originalname", None) == test_name
            and getattr(item, "module", None) is not None
            and item.module.__name__ == module  # type: ignore[attr-defined]
        ):
            wanted.add(callspec.id)
    return wanted & set(ids)


def run_batch(fn: Callable[[T], R], cases: Sequence[T], workers: int | None = None) -> list[R]:
    """``fn`` over ``cases``, a few at a time (by default one more than the CPUs, at most 4)."""
    count = workers or min(4, (os.cpu_count() or 2) + 1)
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(fn, cases))
