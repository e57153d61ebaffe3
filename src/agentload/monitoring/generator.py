"""Generator self-metrics, measured inside the event loop that sends the load.

A :class:`GeneratorProbe` runs as one task beside the virtual users of a
process (the runner starts it) and records into that process's
:class:`~agentload.metrics.Recorder`, so its series travel with the load's
snapshots and merge across workers like every other metric:

- ``gen_loop_lag`` (trend, µs): every ``period`` (50 ms) the probe sleeps and
  records how late it woke up. A loop busy with callbacks cannot run timers on
  time, and the same delay hits every request the VUs send.
- ``gen_cpu_percent`` (gauge, tag ``worker``): this process's CPU time
  (``time.process_time``: user + system) over the last sample period divided
  by that wall time, in % of one core.
- ``gen_open_sockets`` (gauge, tag ``worker``): sockets this process holds.

Definitions: docs/metrics.md, "Generator and target monitoring".
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from agentload.metrics import Recorder

__all__ = ["GeneratorProbe", "count_sockets"]


def count_sockets(pid: int | None = None) -> int:
    """Sockets held by ``pid`` (default: this process).

    On Linux, the ``/proc/PID/fd`` entries that link to ``socket:[…]`` (one
    readlink per descriptor, ~1 µs each); elsewhere psutil's connection list.
    """
    pid = os.getpid() if pid is None else pid
    if sys.platform.startswith("linux"):
        base = f"/proc/{pid}/fd"
        count = 0
        try:
            entries = os.listdir(base)
        except OSError:
            return 0
        for entry in entries:
            try:
                if os.readlink(f"{base}/{entry}").startswith("socket:"):
                    count += 1
            except OSError:  # closed between listdir and readlink
                continue
        return count
    import psutil  # noqa: PLC0415 - off Linux only; keeps worker start-up light

    try:  # pragma: no cover - not Linux
        return len(psutil.Process(pid).net_connections(kind="all"))
    except (psutil.Error, OSError):  # pragma: no cover
        return 0


class GeneratorProbe:
    """Records loop lag every ``period`` and CPU/sockets every ``sample_every`` seconds.

    Args:
        recorder: the process's recorder (the probe acquires its series once).
        worker: the ``worker`` tag of the per-process gauges.
        period: loop-lag timer period in seconds.
        sample_every: seconds between CPU and socket samples.
    """

    def __init__(
        self,
        recorder: Recorder,
        *,
        worker: str = "0",
        period: float = 0.05,
        sample_every: float = 1.0,
    ) -> None:
        tags = {"worker": worker}
        self._lag = recorder.trend("gen_loop_lag").add
        self._cpu = recorder.gauge("gen_cpu_percent", tags)
        self._sockets = recorder.gauge("gen_open_sockets", tags)
        self.period = period
        self.sample_every = sample_every

    @staticmethod
    def _cpu_seconds() -> float:
        # User + system CPU time of this process (what psutil's cpu_times sums).
        return time.process_time()

    async def run(self) -> None:
        """Measure until cancelled."""
        period_ns = int(self.period * 1e9)
        every_ns = int(self.sample_every * 1e9)
        last_ns = time.monotonic_ns()
        last_cpu = self._cpu_seconds()
        add_lag = self._lag
        while True:
            due = time.monotonic_ns() + period_ns
            await asyncio.sleep(self.period)
            now = time.monotonic_ns()
            add_lag(max(0, (now - due) // 1000))
            if now - last_ns >= every_ns:
                cpu = self._cpu_seconds()
                self._cpu.set(round((cpu - last_cpu) / ((now - last_ns) / 1e9) * 100, 1))
                self._sockets.set(count_sockets())
                last_ns, last_cpu = now, cpu
