"""Server-sent events (``text/event-stream``), sans-I/O.

:class:`SSEParser` turns the bytes of an event stream, split anywhere, into
:class:`SSEEvent` values, exactly as the WHATWG HTML Living Standard, §9.2
"Server-sent events" (§9.2.5 "Parsing an event stream", §9.2.6 "Interpreting an
event stream") says a browser's ``EventSource`` does. It never touches a
socket or a clock: drivers feed it and timestamp what comes out.
"""

from agentload.protocols.sse._parser import DEFAULT_MAX_EVENT_BYTES, SSEError, SSEEvent, SSEParser

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEError", "SSEEvent", "SSEParser"]
