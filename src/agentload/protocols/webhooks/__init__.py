"""Signed webhook deliveries, sans-I/O: signature headers and platform payload templates.

:func:`sign` turns (body bytes, secret, scheme, timestamp) into the headers a
platform would send (Vapi ``x-vapi-secret``, Retell ``X-Retell-Signature``,
generic HMAC); :func:`payload` builds the bodies of the events Vapi and Retell
deliver (``protocols.md`` §5.3-5.4); :func:`merge_patch` lays a user's
overrides over a template (RFC 7386).
"""

from agentload.protocols.webhooks.payloads import (
    EVENTS,
    RETELL_EVENTS,
    VAPI_EVENTS,
    ToolCallSpec,
    merge_patch,
    payload,
)
from agentload.protocols.webhooks.signing import (
    ALGORITHMS,
    ENCODINGS,
    SCHEMES,
    Signing,
    hmac_digest,
    retell_signature,
    sign,
)

__all__ = [
    "ALGORITHMS",
    "ENCODINGS",
    "EVENTS",
    "RETELL_EVENTS",
    "SCHEMES",
    "VAPI_EVENTS",
    "Signing",
    "ToolCallSpec",
    "hmac_digest",
    "merge_patch",
    "payload",
    "retell_signature",
    "sign",
]
