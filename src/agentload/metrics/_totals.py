"""Counter and rate series: the totals the request step updates in place.

A module of their own so that mypyc compiles them (docs/decisions.md D23):
then ``total.value += 1`` in the compiled request step reads and writes a
struct field instead of going through a generic attribute lookup.
:mod:`agentload.metrics.series` re-exports both.
"""

from __future__ import annotations

from agentload.metrics.keys import SeriesKey

__all__ = ["CounterSeries", "RateSeries"]


class CounterSeries:
    """A growing total (requests, bytes). ``add(n)`` ~32 ns; ``value`` is cumulative.

    ``add(n)`` is exactly ``value += n``: the HTTP request step does that in place
    (a third of a method call's cost), so neither may ever do more.
    """

    __slots__ = ("_reported", "key", "value")

    def __init__(self, key: SeriesKey) -> None:
        self.key = key
        # int | float, not float: compiled (D23), a float attribute is a C double,
        # and a count of requests must stay an int in every output.
        self.value: int | float = 0
        """Total since the series was created."""
        self._reported: int | float = 0

    def add(self, n: int | float = 1) -> None:
        """Add ``n`` (default 1). Hot path."""
        self.value += n


class RateSeries:
    """Counts true outcomes among all outcomes. ``add(ok)`` ~35 ns; totals are cumulative.

    ``add(ok)`` is exactly ``total += 1`` and, if ``ok``, ``passes += 1``: the HTTP
    request step does that in place, so ``add`` may never do more.
    """

    __slots__ = ("_reported_passes", "_reported_total", "key", "passes", "total")

    def __init__(self, key: SeriesKey) -> None:
        self.key = key
        self.passes = 0
        self.total = 0
        self._reported_passes = 0
        self._reported_total = 0

    def add(self, ok: bool) -> None:
        """Record one outcome. Hot path."""
        self.total += 1
        if ok:
            self.passes += 1
