"""Speech boundaries: the agent's speech onset, the caller utterance's voiced span.

Agent onset (protocols.md §8 and §6.1, Pipecat's ``detect_speech_onset``):
mean-removed RMS over 10 ms windows hopped every 1 ms, gate −40 dBFS (RMS ≥
0.01 of full scale); the onset is the start of the first window of a run of
consecutive above-gate windows whose starts span at least 50 ms (50 windows).
:class:`OnsetTracker` does this incrementally on streamed audio.

Caller boundaries (:func:`voiced_bounds`): the first and last sample whose
magnitude reaches the same −40 dBFS level (328 of 32768). Shipped utterances
carry these in ``utterances.json``; a user's WAV file gets them computed when
loaded. The reference target uses the same amplitude rule to decide where the
caller stopped, so their difference is known (docs/metrics.md, "Voice").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["GATE_AMPLITUDE", "OnsetTracker", "speech_onset", "voiced_bounds"]

GATE_DBFS = -40.0
GATE_AMPLITUDE = 328
"""−40 dBFS as a 16-bit sample magnitude (32768 · 10^(−40/20) ≈ 327.7)."""
_GATE_RMS = 10 ** (GATE_DBFS / 20)
_WINDOW_S = 0.010
_HOP_S = 0.001
_SUSTAIN_WINDOWS = 50  # window starts 1 ms apart: ≥ 50 ms of sustained speech


def voiced_bounds(samples: npt.NDArray[np.int16]) -> tuple[int, int] | None:
    """``(first, last)`` index of samples with magnitude ≥ −40 dBFS, or ``None`` if none."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= GATE_AMPLITUDE)
    if len(loud) == 0:
        return None
    return int(loud[0]), int(loud[-1])


class OnsetTracker:
    """Incremental speech-onset detector (module docstring); feed samples in order."""

    __slots__ = ("_base", "_buf", "_hop", "_next", "_run_start", "_window", "onset")

    def __init__(self, rate: int) -> None:
        self._window = max(1, round(rate * _WINDOW_S))
        self._hop = max(1, round(rate * _HOP_S))
        self._buf = np.zeros(0, dtype=np.float64)
        self._base = 0  # absolute index of _buf[0]
        self._next = 0  # absolute index of the next window start
        self._run_start = -1  # absolute start of the current above-gate run
        self.onset: int | None = None
        """Sample index (from the first sample fed) of the onset, once found."""

    def feed(self, samples: npt.NDArray[np.int16]) -> int | None:
        """Add samples; return the onset index once found (then further input is ignored)."""
        if self.onset is not None:
            return self.onset
        x = samples.astype(np.float64) / 32768.0
        buf = np.concatenate((self._buf, x)) if len(self._buf) else x
        w, hop = self._window, self._hop
        first = self._next - self._base
        count = (len(buf) - w - first) // hop + 1 if len(buf) - first >= w else 0
        if count > 0:
            s1 = np.concatenate(([0.0], np.cumsum(buf)))
            s2 = np.concatenate(([0.0], np.cumsum(buf * buf)))
            starts = first + hop * np.arange(count)
            mean = (s1[starts + w] - s1[starts]) / w
            var = (s2[starts + w] - s2[starts]) / w - mean * mean
            above = var >= _GATE_RMS * _GATE_RMS
            # Length of the above-gate run ending at each window, counting a run
            # carried over from earlier input.
            index = np.arange(count)
            last_below = np.maximum.accumulate(np.where(above, -1, index))
            carried = (self._next - self._run_start) // hop if self._run_start >= 0 else 0
            run = np.where(last_below < 0, carried + index + 1, index - last_below)
            run[~above] = 0
            hits = np.flatnonzero(run >= _SUSTAIN_WINDOWS)
            if len(hits):
                i = int(hits[0])
                self.onset = self._base + int(starts[i]) - (int(run[i]) - 1) * hop
                return self.onset
            tail = int(run[-1])
            self._run_start = self._base + int(starts[-1]) - (tail - 1) * hop if tail > 0 else -1
            self._next += hop * count
        # Keep what later windows (and the current run) still need.
        keep_from = self._next - self._base
        self._buf = buf[keep_from:]
        self._base += keep_from
        return None


def speech_onset(samples: npt.NDArray[np.int16], rate: int) -> int | None:
    """Index of the sustained speech onset in ``samples`` (module docstring), or ``None``."""
    return OnsetTracker(rate).feed(samples)
