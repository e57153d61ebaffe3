"""Monitoring: the generator's own health and the target's, beside the load.

- :mod:`~agentload.monitoring.generator`: loop lag, CPU and sockets of each
  generator process, recorded in its own snapshots.
- :mod:`~agentload.monitoring.target`: a target process (psutil) and its
  Prometheus endpoint, sampled on a thread.
- :mod:`~agentload.monitoring.feed`: merges the target's samples into the
  run's interval snapshots.
- :mod:`~agentload.monitoring.saturation`: when the generator's numbers stop
  being trustworthy.

May import :mod:`agentload.metrics` only (tests/unit/test_architecture.py).
"""

from agentload.monitoring.feed import MonitoredSinks
from agentload.monitoring.generator import GeneratorProbe, count_sockets
from agentload.monitoring.saturation import IntervalLoad, SaturationTracker, interval_load
from agentload.monitoring.target import TargetMonitor, parse_exposition

__all__ = [
    "GeneratorProbe",
    "IntervalLoad",
    "MonitoredSinks",
    "SaturationTracker",
    "TargetMonitor",
    "count_sockets",
    "interval_load",
    "parse_exposition",
]
