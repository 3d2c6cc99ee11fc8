"""OpenAI `responses.create` (and `responses.stream()`, which calls it): requests and usage.

Responses usage follows the conventions' totals like chat does, under other names:
`input_tokens` includes `input_tokens_details.cached_tokens` (and `cache_write_tokens` where
reported), `output_tokens` includes `output_tokens_details.reasoning_tokens`. A streamed
response carries its usage only in the closing event (`response.completed`, or
`response.incomplete` / `response.failed`); every stream has one, so nothing is injected and the
app's events pass through untouched. A stream closed before that event is marked usage-missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._call_flow import Surface
from llmledger.instrumentation._llm_span import LLMSpan, TokenUsage, token_count
from llmledger.instrumentation.openai._fields import field


def responses_usage(usage: Any) -> TokenUsage:
    """Token counts of an OpenAI `ResponseUsage` (or its JSON as a dict)."""
    input_details = field(usage, "input_tokens_details")
    output_details = field(usage, "output_tokens_details")
    return TokenUsage(
        input_tokens=token_count(field(usage, "input_tokens")),
        output_tokens=token_count(field(usage, "output_tokens")),
        cache_read_tokens=token_count(field(input_details, "cached_tokens")),
        cache_write_tokens=token_count(field(input_details, "cache_write_tokens")),
        reasoning_tokens=token_count(field(output_details, "reasoning_tokens")),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def record_response_object(llm_span: LLMSpan, response: Any) -> None:
    """Record an OpenAI `Response`: its model, id, served tier and, once present, its usage."""
    llm_span.set_response(
        model=field(response, "model"),
        response_id=field(response, "id"),
        service_tier=field(response, "service_tier"),
        provider_service_tier_attribute=attr.OPENAI_RESPONSE_SERVICE_TIER,
    )
    usage = field(response, "usage")
    if usage is not None:
        llm_span.set_usage(responses_usage(usage))


class _ResponsesStreamObserver:
    def __init__(self, llm_span: LLMSpan) -> None:
        self._llm_span = llm_span
        self._latest: Any = None  # the newest `Response` snapshot an event carried

    def observe(self, event: Any) -> bool:
        # Lifecycle events (created, in_progress, completed, ...) carry the whole `Response`;
        # only the closing ones have usage, and the last snapshot seen is the most complete.
        response = field(event, "response")
        if response is not None:
            self._latest = response
        return True

    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        try:
            if self._latest is not None:
                record_response_object(self._llm_span, self._latest)
        finally:
            self._llm_span.end(error, abandoned=abandoned)


@dataclass(slots=True)
class ResponsesCall:
    """One `responses.create` call (see `_call_flow.PreparedCall`)."""

    request_model: str | None
    stream: bool
    kwargs: dict[str, Any]

    def record_response(self, llm_span: LLMSpan, response: Any) -> None:
        record_response_object(llm_span, response)

    def stream_observer(self, llm_span: LLMSpan, stream: Any) -> _ResponsesStreamObserver:
        return _ResponsesStreamObserver(llm_span)


def prepare_responses_call(kwargs: dict[str, Any]) -> ResponsesCall:
    return ResponsesCall(
        request_model=_text(kwargs.get("model")),
        stream=kwargs.get("stream") is True,
        kwargs=kwargs,
    )


RESPONSES = Surface(provider="openai", operation="chat", prepare=prepare_responses_call)
