"""OpenAI `chat.completions.create`: the request (asking usage of a stream on the app's behalf)
and the response; a stream is read from its events (`chat_stream_events`) where we asked usage
and the SDK lets us, else from its chunks (`chat_stream.ChatStreamObserver`).

Streamed chat reports usage only if the request set `stream_options.include_usage`; when the app
did not, we set it, and the stream's reader hides what that adds so the app sees the stream it
asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._call_flow import Surface
from llmledger.instrumentation._llm_span import LLMSpan
from llmledger.instrumentation.openai._chat_facts import chat_usage
from llmledger.instrumentation.openai.chat_stream import ChatStreamObserver
from llmledger.instrumentation.openai.chat_stream_events import read_events

# The SDKs' `with_raw_response` / `with_streaming_response` set this header; such calls hand the
# app the raw HTTP body, where a hidden usage chunk could not be filtered out.
_RAW_RESPONSE_HEADER = "x-stainless-raw-response"


@dataclass(slots=True)
class ChatCall:
    """One `chat.completions.create` call (see `_call_flow.PreparedCall`)."""

    request_model: str | None
    stream: bool
    kwargs: dict[str, Any]
    hide_usage_chunk: bool

    def record_response(self, llm_span: LLMSpan, response: Any) -> None:
        llm_span.set_response(
            getattr(response, "model", None),
            getattr(response, "id", None),
            getattr(response, "service_tier", None),
            attr.OPENAI_RESPONSE_SERVICE_TIER,
        )
        usage = getattr(response, "usage", None)
        if usage is not None:
            llm_span.set_usage(chat_usage(usage))

    def stream_observer(self, llm_span: LLMSpan, stream: Any) -> ChatStreamObserver | None:
        if self.hide_usage_chunk and read_events(llm_span, stream):
            return None  # the stream's events end the span: the app gets the SDK's own stream
        return ChatStreamObserver(llm_span, self.hide_usage_chunk)


def _is_raw_response(extra_headers: Any) -> bool:
    return isinstance(extra_headers, dict) and any(
        isinstance(name, str) and name.lower() == _RAW_RESPONSE_HEADER for name in extra_headers
    )


def _with_usage_requested(kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The kwargs of a streamed call that also ask for usage, or None if they already do (or if
    we cannot add it)."""
    if not ("extra_body" in kwargs or "stream_options" in kwargs or "extra_headers" in kwargs):
        # The usual streamed call, nothing to merge with (the rest of this, spelled short).
        return {**kwargs, "extra_body": {"stream_options": {"include_usage": True}}}
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
