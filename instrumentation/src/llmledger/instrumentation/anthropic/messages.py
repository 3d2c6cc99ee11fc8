"""Anthropic `messages.create`: request, response and stream reading.

Anthropic's `input_tokens` EXCLUDES cache tokens, so the span's `gen_ai.usage.input_tokens` is
input + cache_creation + cache_read (the conventions' total). Streams carry usage in
`message_start` and then CUMULATIVE counts in each `message_delta`: the last value of each count
wins, nothing is ever summed across events. A stream that ends before any `message_delta` has
no final output count and is marked usage-missing instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from llmledger.instrumentation._call_flow import Surface
from llmledger.instrumentation._llm_span import LLMSpan, TokenUsage, token_count

# Counts a `message_delta` may update; anything else (TTL split, service tier) comes from
# `message_start` only.
_DELTA_USAGE_FIELDS = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
    "output_tokens_details",
)
_START_USAGE_FIELDS = (*_DELTA_USAGE_FIELDS, "cache_creation", "service_tier")


def message_usage(usage: Any) -> TokenUsage:
    """Token counts of an Anthropic `Usage`, converted to the conventions' totals."""
    uncached_input = token_count(usage.input_tokens)
    cache_write = token_count(getattr(usage, "cache_creation_input_tokens", None))
    cache_read = token_count(getattr(usage, "cache_read_input_tokens", None))
    total_input = None
    if uncached_input is not None:
        total_input = uncached_input + (cache_write or 0) + (cache_read or 0)
    ttl_split = getattr(usage, "cache_creation", None)
    output_details = getattr(usage, "output_tokens_details", None)
    return TokenUsage(
        input_tokens=total_input,
        output_tokens=token_count(usage.output_tokens),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=token_count(getattr(ttl_split, "ephemeral_1h_input_tokens", None)),
        reasoning_tokens=token_count(getattr(output_details, "thinking_tokens", None)),
    )


def _record_message(llm_span: LLMSpan, model: Any, message_id: Any, usage: Any) -> None:
    service_tier = getattr(usage, "service_tier", None)
    llm_span.set_response(model, message_id, service_tier)
    if usage is not None:
        llm_span.set_usage(message_usage(usage))


class _MessageStreamObserver:
    def __init__(self, llm_span: LLMSpan) -> None:
        self._llm_span = llm_span
        self._model: Any = None
        self._message_id: Any = None
        self._usage: dict[str, Any] = dict.fromkeys(_START_USAGE_FIELDS)
        # Only a `message_delta` has the final output count: a stream closed before one would
        # otherwise report message_start's placeholder output and under-count silently.
        self._usage_seen = False

    def observe(self, event: Any) -> bool:
        event_type = getattr(event, "type", None)
        if event_type == "message_start":
            message = event.message
            self._model = message.model
            self._message_id = message.id
            for name in _START_USAGE_FIELDS:
                self._usage[name] = getattr(message.usage, name, None)
        elif event_type == "message_delta" and getattr(event, "usage", None) is not None:
            for name in _DELTA_USAGE_FIELDS:
                value = getattr(event.usage, name, None)
                if value is not None:
                    self._usage[name] = value
            self._usage_seen = True
        return True

    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        try:
            usage = SimpleNamespace(**self._usage) if self._usage_seen else None
            _record_message(self._llm_span, self._model, self._message_id, usage)
        finally:
            self._llm_span.end(error, abandoned=abandoned)


@dataclass(slots=True)
class MessagesCall:
    """One `messages.create` call (see `_call_flow.PreparedCall`)."""

    request_model: str | None
    stream: bool
    kwargs: dict[str, Any]

    def record_response(self, llm_span: LLMSpan, response: Any) -> None:
        _record_message(
            llm_span,
            getattr(response, "model", None),
            getattr(response, "id", None),
            getattr(response, "usage", None),
        )

    def stream_observer(self, llm_span: LLMSpan, stream: Any) -> _MessageStreamObserver:
        return _MessageStreamObserver(llm_span)


def prepare_messages_call(kwargs: dict[str, Any]) -> MessagesCall:
    model = kwargs.get("model")
    return MessagesCall(
        request_model=model if isinstance(model, str) else None,
        stream=kwargs.get("stream") is True,
        kwargs=kwargs,
    )


MESSAGES = Surface(provider="anthropic", operation="chat", prepare=prepare_messages_call)
