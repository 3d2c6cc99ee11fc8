"""OpenAI `chat.completions.create`: request, response and stream reading.

OpenAI's chat usage already follows the conventions' totals: `prompt_tokens` includes
`cached_tokens` (and `cache_write_tokens` where reported), `completion_tokens` includes
`reasoning_tokens`. Streamed chat reports usage only in a final chunk with empty `choices`, and only
if the request set `stream_options.include_usage`; when the app did not, we set it and hide that
extra chunk so the app sees exactly the stream it asked for.

Both happen before the SDK parses the stream's events where the SDK allows (`_sse_filter`): the
usage event is read as plain JSON and dropped, and each chunk's ``"usage":null`` is cut, so the SDK
never spends time on bytes the app did not ask for; otherwise the built chunks are tidied and the
built usage chunk is dropped (`_ChatStreamObserver.observe`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._call_flow import Surface
from llmledger.instrumentation._llm_span import LLMSpan, TokenUsage, token_count
from llmledger.instrumentation._safety import report_internal_error
from llmledger.instrumentation.openai._fields import field
from llmledger.instrumentation.openai._sse_filter import undo_usage_request, with_data

# The SDKs' `with_raw_response` / `with_streaming_response` set this header; such calls hand the
# app the raw HTTP body, where a hidden usage chunk could not be filtered out.
_RAW_RESPONSE_HEADER = "x-stainless-raw-response"


def chat_usage(usage: Any) -> TokenUsage:
    """Token counts of an OpenAI `CompletionUsage` (or its JSON as a dict)."""
    prompt_details = field(usage, "prompt_tokens_details")
    completion_details = field(usage, "completion_tokens_details")
    return TokenUsage(
        input_tokens=token_count(field(usage, "prompt_tokens")),
        output_tokens=token_count(field(usage, "completion_tokens")),
        cache_read_tokens=token_count(field(prompt_details, "cached_tokens")),
        cache_write_tokens=token_count(field(prompt_details, "cache_write_tokens")),
        reasoning_tokens=token_count(field(completion_details, "reasoning_tokens")),
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


def _chunk_json(data: str | None) -> Any:
    try:
        return None if data is None else json.loads(data)
    except ValueError:
        return None


class _ChatStreamObserver:
    """Usage and response facts of a chat stream, from its events where the SDK lets us see
    them (`_sse_filter`), else from the chunks the SDK built."""

    def __init__(self, llm_span: LLMSpan, stream: Any, hide_usage_chunk: bool) -> None:
        self._llm_span = llm_span
        self._hide_usage_chunk = hide_usage_chunk
        # Response facts (model, id, served tier) are read once, at the end, from the newest
        # chunk carrying them: the hidden usage chunk, else the last chunk, else the first.
        self._first: Any = None
        self._last: Any = None
        self.first_chunk_data: str | None = None
        self.last_chunk_data: str | None = None
        self._hidden: dict[str, Any] | None = None
        self._usage: Any = None
        # Seen through its events, a stream's chunks need no look: iterating it costs the app
        # nothing per chunk beyond the SDK's own work.
        self.watches_items = not (hide_usage_chunk and undo_usage_request(stream, self))

    def on_usage(self, event: Any) -> Any:
        """The event the SDK gets for `event`, one mentioning usage in a stream we asked usage
        for (None: hidden); never raises."""
        try:
            chunk = _chunk_json(event.data)
            if not isinstance(chunk, dict):
                return event  # not ours to report: the SDK raises its own error on it
            usage = chunk.get("usage")
            if usage is None:
                if "usage" not in chunk:
                    return event
                # A null usage spaced unlike OpenAI's: cut like the others, at a higher cost.
                del chunk["usage"]
                data = json.dumps(chunk)
                self.first_chunk_data = self.first_chunk_data or data
                self.last_chunk_data = data
                return with_data(event, data)
            self._usage = usage
            if chunk.get("choices"):
                # Usage on a chunk with content cannot be hidden: the app gets it as sent.
                self.first_chunk_data = self.first_chunk_data or event.data
                self.last_chunk_data = event.data
                return event
            self._hidden = chunk
            return None
        except Exception as error:
            report_internal_error("reading a streamed chat event", error)
            return event

    def observe(self, chunk: Any) -> bool:
        if not self.watches_items:
            return True
        if self._first is None:
            self._first = chunk
        self._last = chunk
        usage = getattr(chunk, "usage", None)
        if usage is None:
            if self._hide_usage_chunk:
                _forget_injected_usage_key(chunk)
            return True
        self._usage = usage
        return not (self._hide_usage_chunk and not getattr(chunk, "choices", None))

    def _sources(self) -> Iterator[Any]:
        """The chunks response facts are read from, newest first."""
        if self._hidden is not None:
            yield self._hidden
        if self.watches_items:
            yield self._last
            yield self._first
        else:  # parsed only if needed: most streams end with the usage event, which has it all
            yield _chunk_json(self.last_chunk_data)
            yield _chunk_json(self.first_chunk_data)

    def _facts(self) -> tuple[Any, Any, Any]:
        """(model, id, served tier), each from the newest chunk that has it."""
        model = chunk_id = tier = None
        for source in self._sources():
            model = model or field(source, "model")
            chunk_id = chunk_id or field(source, "id")
            tier = tier or field(source, "service_tier")
            if model and chunk_id and tier:
                break
        return model, chunk_id, tier

    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        try:
            _record_facts(self._llm_span, *self._facts())
            if self._usage is not None:
                self._llm_span.set_usage(chat_usage(self._usage))
        finally:
            self._llm_span.end(error, abandoned=abandoned)


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

    def stream_observer(self, llm_span: LLMSpan, stream: Any) -> _ChatStreamObserver:
        return _ChatStreamObserver(llm_span, stream, self.hide_usage_chunk)


def _is_raw_response(extra_headers: Any) -> bool:
    return isinstance(extra_headers, dict) and any(
        isinstance(name, str) and name.lower() == _RAW_RESPONSE_HEADER for name in extra_headers
    )


def _with_usage_requested(kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The kwargs of a streamed call that also ask for usage, or None if they already do (or if
    we cannot add it)."""
    extra_body = kwargs.get("extra_body")
    if extra_body is not None and not isinstance(extra_body, dict):
        return None
    # The SDK merges `extra_body` over the request it built, so its `stream_options` win.
    if extra_body is not None and "stream_options" in extra_body:
        stream_options = extra_body["stream_options"]
    else:
        stream_options = kwargs.get("stream_options")
    options = dict(stream_options) if isinstance(stream_options, dict) else {}
    if options.get("include_usage") is True or _is_raw_response(kwargs.get("extra_headers")):
        return None
    options["include_usage"] = True
    # Through `extra_body`, sent as is: the `stream_options` argument would first go through
    # the SDK's request transformation, a measurable cost on every streamed call.
    return {**kwargs, "extra_body": {**(extra_body or {}), "stream_options": options}}


def prepare_chat_call(kwargs: dict[str, Any]) -> ChatCall:
    model = kwargs.get("model")
    model = model if isinstance(model, str) else None
    if kwargs.get("stream") is not True:
        return ChatCall(request_model=model, stream=False, kwargs=kwargs, hide_usage_chunk=False)
    with_usage = _with_usage_requested(kwargs)
    return ChatCall(
        request_model=model,
        stream=True,
        kwargs=kwargs if with_usage is None else with_usage,
        hide_usage_chunk=with_usage is not None,
    )


CHAT_COMPLETIONS = Surface(provider="openai", operation="chat", prepare=prepare_chat_call)
