"""What endpoint functions receive and return, SSE framing, and request-field validation.

Endpoint functions are pure: ``SimRequest -> Reply``. They never touch sockets, so the HTTP layer
alone decides framing (Content-Length for JSON, chunked transfer for SSE).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmledger.simulator.errors import ApiError
from llmledger.simulator.usage import NeutralUsage


@dataclass(frozen=True)
class SimRequest:
    """A parsed request: JSON body, usage override, and values taken from the URL."""

    body: dict[str, Any]
    usage_override: NeutralUsage | None = None
    path_params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JsonReply:
    """A complete JSON response."""

    body: Any
    status: int = 200


@dataclass(frozen=True)
class StreamReply:
    """A server-sent-events response: already framed events, written one by one."""

    frames: list[bytes]


Reply = JsonReply | StreamReply


def to_json(value: Any) -> bytes:
    """Compact UTF-8 JSON, as the providers send it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sse_data(payload: Any, *, terminator: bytes = b"\n\n") -> bytes:
    """One unnamed SSE event (OpenAI chat, Gemini)."""
    return b"data: " + to_json(payload) + terminator


def sse_event(name: str, payload: Any) -> bytes:
    """One named SSE event (Anthropic, OpenAI Responses)."""
    return b"event: " + name.encode("ascii") + b"\ndata: " + to_json(payload) + b"\n\n"


def new_id(prefix: str) -> str:
    """A unique response id: ids must differ between calls even when usage is identical."""
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def require_string(body: Mapping[str, Any], key: str, message: str) -> str:
    """``body[key]`` as a non-empty string, else a 400 with ``message``."""
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ApiError(message, param=key)
    return value


def require_list(body: Mapping[str, Any], key: str, message: str) -> list[Any]:
    """``body[key]`` as a non-empty list, else a 400 with ``message``."""
    value = body.get(key)
    if not isinstance(value, list) or not value:
        raise ApiError(message, param=key)
    return value


def optional_bool(body: Mapping[str, Any], key: str) -> bool:
    """``body[key]`` as a boolean (absent or null means false)."""
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApiError(f"Invalid type for '{key}': expected a boolean, got {value!r}.", param=key)
    return value


def optional_positive_int(body: Mapping[str, Any], key: str) -> int | None:
    """``body[key]`` as an integer >= 1, or ``None`` when absent."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(f"Invalid '{key}': expected an integer >= 1, got {value!r}.", param=key)
    return int(value)


def optional_object(body: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``body[key]`` as a JSON object (absent or null means empty)."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(f"Invalid type for '{key}': expected an object.", param=key)
    return value
