"""OpenAI `chat.completions.create`: request, response and stream reading.

OpenAI's chat usage already follows the conventions' totals: `prompt_tokens` includes
`cached_tokens` (and `cache_write_tokens` where reported), `completion_tokens` includes
`reasoning_tokens`. Streamed chat reports usage only in a final chunk with empty `choices`, and only
if the request set `stream_options.include_usage`; when the app did not, we set it and hide that
extra chunk so the app sees exactly the stream it asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._call_flow import Surface
from llmledger.instrumentation._llm_span import LLMSpan, TokenUsage, token_count

# The SDKs' `with_raw_response` / `with_streaming_response` set this header; such calls hand the
# app the raw HTTP body, where a hidden usage chunk could not be filtered out.
_RAW_RESPONSE_HEADER = "x-stainless-raw-response"


def chat_usage(usage: Any) -> TokenUsage:
    """Token counts of an OpenAI `CompletionUsage`."""
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return TokenUsage(
        input_tokens=token_count(usage.prompt_tokens),
        output_tokens=token_count(usage.completion_tokens),
        cache_read_tokens=token_count(getattr(prompt_details, "cached_tokens", None)),
        cache_write_tokens=token_count(getattr(prompt_details, "cache_write_tokens", None)),
        reasoning_tokens=token_count(getattr(completion_details, "reasoning_tokens", None)),
    )


def _record_facts(llm_span: LLMSpan, model: Any, response_id: Any, service_tier: Any) -> None:
    llm_span.set_response(
        model=model if isinstance(model, str) else None,
        response_id=response_id if isinstance(response_id, str) else None,
        service_tier=service_tier if isinstance(service_tier, str) else None,
        provider_service_tier_attribute=attr.OPENAI_RESPONSE_SERVICE_TIER,
    )


def _forget_injected_usage_key(chunk: Any) -> None:
    # With include_usage every chunk carries `"usage": null`; without it the key is absent. The
    # SDK's `to_dict()`/`to_json()` drop unset fields, so forgetting that the key was set makes
    # each chunk serialize exactly as it would have without our injection.
    fields_set = getattr(chunk, "model_fields_set", None)
    if isinstance(fields_set, set):
        fields_set.discard("usage")


class _ChatStreamObserver:
    def __init__(self, llm_span: LLMSpan, hide_usage_chunk: bool) -> None:
        self._llm_span = llm_span
        self._hide_usage_chunk = hide_usage_chunk
        self._model: Any = None
        self._response_id: Any = None
        self._service_tier: Any = None
        self._usage: Any = None

    def observe(self, chunk: Any) -> bool:
        self._model = getattr(chunk, "model", None) or self._model
        self._response_id = getattr(chunk, "id", None) or self._response_id
        self._service_tier = getattr(chunk, "service_tier", None) or self._service_tier
        usage = getattr(chunk, "usage", None)
        if usage is None:
            if self._hide_usage_chunk:
                _forget_injected_usage_key(chunk)
            return True
        self._usage = usage
        return not (self._hide_usage_chunk and not getattr(chunk, "choices", None))

    def finish(self, error: BaseException | None) -> None:
        try:
            _record_facts(self._llm_span, self._model, self._response_id, self._service_tier)
            if self._usage is not None:
                self._llm_span.set_usage(chat_usage(self._usage))
        finally:
            self._llm_span.end(error)


@dataclass(slots=True)
class ChatCall:
    """One `chat.completions.create` call (see `_call_flow.PreparedCall`)."""

    request_model: str | None
    stream: bool
    kwargs: dict[str, Any]
    hide_usage_chunk: bool

    def record_response(self, llm_span: LLMSpan, response: Any) -> None:
        _record_facts(
            llm_span,
            getattr(response, "model", None),
            getattr(response, "id", None),
            getattr(response, "service_tier", None),
        )
        usage = getattr(response, "usage", None)
        if usage is not None:
            llm_span.set_usage(chat_usage(usage))

    def stream_observer(self, llm_span: LLMSpan) -> _ChatStreamObserver:
        return _ChatStreamObserver(llm_span, self.hide_usage_chunk)


def _asks_for_usage(stream_options: Any) -> bool:
    return isinstance(stream_options, dict) and stream_options.get("include_usage") is True


def _is_raw_response(extra_headers: Any) -> bool:
    return isinstance(extra_headers, dict) and any(
        isinstance(name, str) and name.lower() == _RAW_RESPONSE_HEADER for name in extra_headers
    )


def prepare_chat_call(kwargs: dict[str, Any]) -> ChatCall:
    model = kwargs.get("model")
    stream = kwargs.get("stream") is True
    stream_options = kwargs.get("stream_options")
    inject_usage = (
        stream
        and not _asks_for_usage(stream_options)
        and not _is_raw_response(kwargs.get("extra_headers"))
    )
    sent = kwargs
    if inject_usage:
        options = dict(stream_options) if isinstance(stream_options, dict) else {}
        sent = {**kwargs, "stream_options": {**options, "include_usage": True}}
    return ChatCall(
        request_model=model if isinstance(model, str) else None,
        stream=stream,
        kwargs=sent,
        hide_usage_chunk=inject_usage,
    )


CHAT_COMPLETIONS = Surface(provider="openai", operation="chat", prepare=prepare_chat_call)
