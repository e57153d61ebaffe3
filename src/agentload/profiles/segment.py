"""Execution segments: how a plan is shared among worker processes.

Like k6's execution segments, a segment is derived by each worker on its own:
the coordinator ships ``(plan, segment)`` and nothing is dispatched at run time.
Unlike k6's fractional segments, ours are *stripes*: global VU ``k`` and global
iteration ``i`` belong to segment ``k % count`` and ``i % count``. Stripes need
no rational arithmetic, every share is an exact integer count, and the shares
of any prefix ``0 … n-1`` differ by at most one between segments.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Segment"]


@dataclass(frozen=True, slots=True)
class Segment:
    """Worker ``index`` (0-based) of ``count`` workers.

    The default, ``Segment()``, is the whole plan.
    """

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"a segment count must be an integer ≥ 1, got {self.count!r}")
        if (
            isinstance(self.index, bool)
            or not isinstance(self.index, int)
            or not 0 <= self.index < self.count
        ):
            raise ValueError(
                f"a segment index must be an integer in 0…{self.count - 1}, got {self.index!r}"
            )

    @property
    def whole(self) -> bool:
        """True for the unsplit plan (a single segment)."""
        return self.count == 1

    def share(self, total: int) -> int:
        """How many of the global indices ``0 … total-1`` belong to this segment.

        The shares of all segments of a count sum to ``total`` exactly.
        """
        if total <= 0:
            return 0
        # Indices index, index+count, … below total; never negative because index < count.
        return (total - self.index + self.count - 1) // self.count

    def owns(self, global_index: int) -> bool:
        """True when VU or iteration ``global_index`` belongs to this segment."""
        return global_index % self.count == self.index

    def global_index(self, local: int) -> int:
        """The global index of this segment's ``local``-th VU or iteration."""
        if local < 0:
            raise ValueError(f"a local index cannot be negative, got {local}")
        return self.index + local * self.count

    def __str__(self) -> str:
        # 1-based for humans, as in "worker 2 of 4".
        return f"{self.index + 1}/{self.count}"
