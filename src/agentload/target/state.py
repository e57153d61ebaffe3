"""Per-app runtime state of the target, reachable from handlers via :data:`STATE`."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from aiohttp import web

from agentload.target.calls import CallQueue
from agentload.target.config import TargetConfig
from agentload.target.imports import ImportQueue
from agentload.target.metrics import TargetMetrics
from agentload.target.store import Store

__all__ = ["STATE", "TargetState"]


class TargetState:
    """What one app instance owns: its config, database, queues, cache and metrics.

    Not a dataclass: this is the mutable heart of a running server. The one
    field that changes at run time, :attr:`config`, is only ever *replaced* by a
    new immutable :class:`TargetConfig` — a single attribute store, so a handler
    always sees one whole configuration, old or new.
    """

    __slots__ = (
        "_imports",
        "_store",
        "calls",
        "config",
        "kpi_cache",
        "metrics",
        "rng",
        "start_config",
    )

    def __init__(self, config: TargetConfig) -> None:
        self.start_config = config
        self.config = config
        self.rng = random.Random(config.seed)
        self.metrics = TargetMetrics()
        self.calls = CallQueue()
        self.metrics.bind_queue_depth(self.calls.__len__)
        self.kpi_cache: dict[str | None, tuple[float, dict[str, object]]] = {}
        self._store: Store | None = None
        self._imports: ImportQueue | None = None

    @property
    def store(self) -> Store:
        """The open database; only while the app runs."""
        if self._store is None:
            raise RuntimeError("the target's database is not open: is the app running?")
        return self._store

    @property
    def imports(self) -> ImportQueue:
        """The contact-import queue; only while the app runs."""
        if self._imports is None:
            raise RuntimeError("the target's import queue is not running: is the app running?")
        return self._imports

    def open(self) -> None:
        """Open the database and the import queue (called at app start-up)."""
        store = Store.open(self.config.db_path)
        self._store = store
        self._imports = ImportQueue(
            store, self.metrics, lambda: self.config.import_row_cost_ms / 1000.0
        )

    def close(self) -> None:
        """Close the database (called at app clean-up, after the workers stopped)."""
        if self._store is not None:
            self._store.close()
        self._store = None
        self._imports = None

    def record_completed_calls(self, call_ids: Sequence[str]) -> None:
        """Mark drained calls done in the database and count them."""
        self.store.complete_calls(call_ids, time.time())
        self.metrics.calls_completed.inc(len(call_ids))


STATE: web.AppKey[TargetState] = web.AppKey("agentload_target_state", TargetState)
"""The key of the app's :class:`TargetState`."""
