"""agentload's own HTTP/1.1 client.

Two layers, as in h11: a sans-I/O core (:func:`encode_request`, the body
encoders, :class:`ResponseParser`: bytes in, parsed responses out, no sockets)
and a thin asyncio driver (:class:`HttpClient` on ``asyncio.Protocol``, for
uvloop and the default loop). :meth:`HttpClient.send` is the hot path: it takes
pre-encoded request bytes and costs a few microseconds of CPU per request.
:meth:`HttpClient.stream` delivers a response piece by piece, with arrival
times, to a :class:`StreamReceiver` (server-sent events, LLM token streams).
"""

from agentload.protocols.http._connection import Connection, Pool, Waiter
from agentload.protocols.http._deadlines import Deadlines
from agentload.protocols.http._encode import (
    FilePart,
    QueryParams,
    QueryValue,
    build_target,
    default_user_agent,
    encode_form,
    encode_json,
    encode_multipart,
    encode_request,
)
from agentload.protocols.http._errors import HttpError
from agentload.protocols.http._parse import BodySink, ResponseParser
from agentload.protocols.http._response import Response
from agentload.protocols.http._stream import StreamReceiver
from agentload.protocols.http._url import Origin, parse_url
from agentload.protocols.http.client import HttpClient, limits_ns, may_retry
from agentload.protocols.http.timeouts import Timeouts

__all__ = [
    "BodySink",
    "Connection",
    "Deadlines",
    "FilePart",
    "HttpClient",
    "HttpError",
    "Origin",
    "Pool",
    "QueryParams",
    "QueryValue",
    "Response",
    "ResponseParser",
    "StreamReceiver",
    "Timeouts",
    "Waiter",
    "build_target",
    "default_user_agent",
    "encode_form",
    "encode_json",
    "encode_multipart",
    "encode_request",
    "limits_ns",
    "may_retry",
    "parse_url",
]
