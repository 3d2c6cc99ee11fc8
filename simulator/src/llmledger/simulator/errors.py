"""Errors in each provider's own JSON shape, so the SDKs raise their usual exception classes."""

from __future__ import annotations

import enum
import uuid
from typing import Any, Final


class Provider(enum.Enum):
    """Which provider's wire format an endpoint speaks."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"


class ApiError(Exception):
    """A request the simulated provider rejects; rendered per provider by :func:`error_body`."""

    def __init__(self, message: str, *, status: int = 400, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param


_OPENAI_TYPES: Final = {400: "invalid_request_error", 404: "invalid_request_error"}
_ANTHROPIC_TYPES: Final = {
    400: "invalid_request_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
}
_GOOGLE_STATUSES: Final = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 405: "INVALID_ARGUMENT"}


def error_body(provider: Provider, error: ApiError) -> dict[str, Any]:
    """The JSON body ``provider`` sends for ``error``."""
    if provider is Provider.OPENAI:
        return {
            "error": {
                "message": error.message,
                "type": _OPENAI_TYPES.get(error.status, "server_error"),
                "param": error.param,
                "code": None,
            }
        }
    if provider is Provider.ANTHROPIC:
        return {
            "type": "error",
            "error": {
                "type": _ANTHROPIC_TYPES.get(error.status, "api_error"),
                "message": error.message,
            },
            "request_id": f"req_sim{uuid.uuid4().hex[:20]}",
        }
    return {
        "error": {
            "code": error.status,
            "message": error.message,
            "status": _GOOGLE_STATUSES.get(error.status, "INTERNAL"),
        }
    }


def provider_for_path(path: str) -> Provider:
    """Best guess of the provider a path belongs to, for errors on unknown routes."""
    if path.startswith("/v1/messages"):
        return Provider.ANTHROPIC
    if path.startswith("/v1beta/") or ":" in path.rsplit("/", 1)[-1]:
        return Provider.GOOGLE
    return Provider.OPENAI
