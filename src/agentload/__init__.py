"""agentload: load testing for AI voice and chat agents.

HTTP, WebSocket chat, LLM streaming and real-time voice, with latencies
measured from the intended start (no coordinated omission), mergeable HDR
histograms, thresholds that gate CI, and a bundled reference target.
"""

from __future__ import annotations

# The single source of the version; pyproject.toml reads it (setuptools `attr:`).
# A literal rather than importlib.metadata, which costs ~50 ms at import.
__version__ = "0.1.0"

__all__ = ["__version__"]
