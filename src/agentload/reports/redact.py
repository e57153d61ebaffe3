"""Redaction of secrets in outputs; the rules live in :mod:`agentload._redact`.

They sit in a leaf module so that the scenario loader can mask the request
names it derives from URLs before any metric is tagged with them.
"""

from agentload._redact import MASK, redact

__all__ = ["MASK", "redact"]
