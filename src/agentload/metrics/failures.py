"""Failure samples: the first few failing request/response pairs per error kind.

What a person needs to debug a 500 storm is one of the 500s, not only their
count. The engine builds a :class:`FailureSample` (already redacted and
truncated, see :mod:`agentload.engine._failures`) on its failure paths only,
and hands it to the recorder's :class:`FailureLog`, which keeps at most
``limit`` per kind *for the whole run* in this process, so the side channel is
bounded: a worker ships at most ``limit`` samples per kind, inside the
interval :class:`~agentload.metrics.Snapshot` in which they happened
(``Snapshot.failures``). The results writer keeps the earliest ``limit`` per
kind over all workers (``failures.jsonl``; docs/results.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_FAILURE_SAMPLES", "FailureLog", "FailureSample", "earliest_per_kind"]

DEFAULT_FAILURE_SAMPLES = 5
"""Samples kept per error kind (per process, and in the merged results)."""


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in value or ())


@dataclass(frozen=True, slots=True)
class FailureSample:
    """One failed request and what came back (redacted, bodies truncated).

    ``status`` is 0 when no response arrived; ``time`` is wall-clock epoch seconds.
    """

    time: float
    kind: str
    scenario: str
    name: str
    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: str
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: one line of ``failures.jsonl``; also the wire form."""
        return {
            "time": self.time,
            "kind": self.kind,
            "scenario": self.scenario,
            "name": self.name,
            "method": self.method,
            "url": self.url,
            "request_headers": [list(p) for p in self.request_headers],
            "request_body": self.request_body,
            "status": self.status,
            "response_headers": [list(p) for p in self.response_headers],
            "response_body": self.response_body,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FailureSample:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on a malformed entry."""
        try:
            return cls(
                time=float(d["time"]),
                kind=str(d["kind"]),
                scenario=str(d.get("scenario", "")),
                name=str(d.get("name", "")),
                method=str(d.get("method", "")),
                url=str(d.get("url", "")),
                request_headers=_pairs(d.get("request_headers")),
                request_body=str(d.get("request_body", "")),
                status=int(d.get("status", 0)),
                response_headers=_pairs(d.get("response_headers")),
                response_body=str(d.get("response_body", "")),
                error=str(d.get("error", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a failure sample: {exc!r}") from None


class FailureLog:
    """Keeps the first ``limit`` samples per kind; drained into each snapshot.

    Not on any hot path: the engine calls :meth:`wants` only after a request
    failed, and builds a sample only when it returns True.
    """

    __slots__ = ("_pending", "_seen", "limit")

    def __init__(self, limit: int = DEFAULT_FAILURE_SAMPLES) -> None:
        self.limit = limit
        self._seen: dict[str, int] = {}
        self._pending: list[FailureSample] = []

    def wants(self, kind: str) -> bool:
        """True while fewer than ``limit`` samples of ``kind`` were taken."""
        return self._seen.get(kind, 0) < self.limit

    def add(self, sample: FailureSample) -> None:
        """Keep ``sample`` unless its kind is full."""
        seen = self._seen.get(sample.kind, 0)
        if seen < self.limit:
            self._seen[sample.kind] = seen + 1
            self._pending.append(sample)

    def drain(self) -> tuple[FailureSample, ...]:
        """The samples taken since the last drain."""
        if not self._pending:
            return ()
        out, self._pending = tuple(self._pending), []
        return out


def earliest_per_kind(
    samples: list[FailureSample], limit: int = DEFAULT_FAILURE_SAMPLES
) -> list[FailureSample]:
    """The earliest ``limit`` samples of each kind, in time order."""
    seen: dict[str, int] = {}
    out = []
    for s in sorted(samples, key=lambda s: s.time):
        n = seen.get(s.kind, 0)
        if n < limit:
            seen[s.kind] = n + 1
            out.append(s)
    return out
