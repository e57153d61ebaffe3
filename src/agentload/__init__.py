"""agentload: load testing for AI voice and chat agents.

HTTP, WebSocket chat, LLM streaming and real-time voice, with latencies
measured from the intended start (no coordinated omission), mergeable HDR
histograms, thresholds that gate CI, and a bundled reference target.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("agentload")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
