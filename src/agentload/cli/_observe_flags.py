"""The flags of live outputs and monitoring, kept apart so ``cli/__init__`` stays small.

Importing this module imports click only; the observers themselves
(cli/_observe.py) load when a run starts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

__all__ = ["FLAG_NAMES", "observe_flags"]

FLAG_NAMES = ("prometheus_port", "monitor_pid", "monitor_prometheus", "monitor_metrics")

_OPTIONS = (
    click.option(
        "--prometheus-port",
        metavar="[HOST:]PORT",
        help="Serve the run's metrics for Prometheus at http://HOST:PORT/metrics while it "
        "goes (HOST defaults to 127.0.0.1; 0.0.0.0 for other machines; PORT 0 = any free).",
    ),
    click.option(
        "--monitor-pid",
        type=int,
        metavar="PID",
        help="Watch the target process: CPU, memory, open files and connections.",
    ),
    click.option(
        "--monitor-prometheus",
        metavar="URL",
        help="Scrape the target's Prometheus endpoint each second and keep its gauges, "
        "e.g. http://127.0.0.1:8080/metrics.",
    ),
    click.option(
        "--monitor-metric",
        "monitor_metrics",
        multiple=True,
        metavar="NAME",
        help="With --monitor-prometheus: keep this metric (any type) instead of all gauges; "
        "repeatable.",
    ),
)


def observe_flags(fn: Callable[..., None]) -> Callable[..., None]:
    """Add the flags; the command receives them packed as ``observe={name: value}``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        observe = {name: kwargs.pop(name) for name in FLAG_NAMES if name in kwargs}
        fn(*args, observe=observe, **kwargs)

    out: Callable[..., None] = wrapper
    for option in reversed(_OPTIONS):
        out = option(out)
    return out
