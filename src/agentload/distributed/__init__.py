"""Multi-process runs: split the plan, run a segment per worker, merge the intervals.

One worker process per core runs its stripe of the plan (docs/decisions.md
D4) on its own uvloop event loop; the coordinator (the CLI process) merges
the workers' per-second snapshots into the same sinks, aggregate and
thresholds a one-process run feeds. Layout:

- :mod:`~agentload.distributed.protocol` — messages and their byte codec (sans I/O)
- :mod:`~agentload.distributed.merge` — merging snapshots by interval (pure)
- :mod:`~agentload.distributed.coordinator` — worker states, failures, aborts (sans I/O)
- :mod:`~agentload.distributed.executor` — the interface to worker processes
- :mod:`~agentload.distributed.local` — the local executor (forkserver/spawn, pipes)
- :mod:`~agentload.distributed.cluster` — the Dask executor (``--cluster``; optional dependency)
- :mod:`~agentload.distributed.remote` — a cluster task's worker process, dialling back over TCP
- :mod:`~agentload.distributed.worker` — the worker process
- :mod:`~agentload.distributed.driver` — the blocking loop tying them together
"""

from agentload.distributed.cluster import ClusterAddress, DaskExecutor, parse_cluster
from agentload.distributed.coordinator import (
    Coordinator,
    FailurePolicy,
    Kill,
    Send,
    WorkerStatus,
)
from agentload.distributed.driver import (
    DistributedResult,
    WorkerJob,
    run_workers,
    single_process_section,
)
from agentload.distributed.executor import Executor, Exited, Lost, Received, WorkerEvent
from agentload.distributed.local import LocalProcessExecutor, default_start_method
from agentload.distributed.merge import IntervalMerger
from agentload.distributed.source import ScenarioSource, scenario_fingerprint

__all__ = [
    "ClusterAddress",
    "Coordinator",
    "DaskExecutor",
    "DistributedResult",
    "Executor",
    "Exited",
    "FailurePolicy",
    "IntervalMerger",
    "Kill",
    "LocalProcessExecutor",
    "Lost",
    "Received",
    "ScenarioSource",
    "Send",
    "WorkerEvent",
    "WorkerJob",
    "WorkerStatus",
    "default_start_method",
    "parse_cluster",
    "run_workers",
    "scenario_fingerprint",
    "single_process_section",
]
