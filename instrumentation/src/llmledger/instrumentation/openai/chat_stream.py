"""Reading a streamed chat completion from the chunks the SDK built: usage and response facts.

This is the way for streams whose events we leave alone: the app asked for usage itself (or
through a raw response we could not filter), or the SDK's stream does not let us read its events
(`chat_stream_events` is the usual way when we asked for usage on the app's behalf). When we
asked, the usage-only chunk is hidden here and the other chunks tidied, so the app sees the
stream it asked for.
"""

from __future__ import annotations

from typing import Any

from llmledger.instrumentation._llm_span import LLMSpan
from llmledger.instrumentation.openai._chat_facts import end_stream_span
from llmledger.instrumentation.openai._fields import field


def _forget_injected_usage_key(chunk: Any) -> None:
    # With include_usage every chunk carries `"usage": null`; without it the key is absent. The
    # SDK's `to_dict()`/`to_json()` drop unset fields, so forgetting that the key was set makes
    # each chunk serialize exactly as it would have without our injection.
    fields_set = getattr(chunk, "model_fields_set", None)
    if isinstance(fields_set, set):
        fields_set.discard("usage")


class ChatStreamObserver:
    """Usage and response facts of a chat stream, from the chunks the SDK built."""

    __slots__ = ("_first", "_hide_usage_chunk", "_last", "_llm_span", "_usage")

    def __init__(self, llm_span: LLMSpan, hide_usage_chunk: bool) -> None:
        self._llm_span = llm_span
        self._hide_usage_chunk = hide_usage_chunk
        # Response facts (model, id, served tier) are read once, at the end, from the newest
        # chunk carrying them: the last chunk (the usage chunk, hidden or not), else the first.
        self._first: Any = None
        self._last: Any = None
        self._usage: Any = None

    def observe(self, chunk: Any) -> bool:
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

    def _facts(self) -> tuple[Any, Any, Any]:
        """(model, id, served tier), each from the newest chunk that has it."""
        model = chunk_id = tier = None
        for source in (self._last, self._first):
            model = model or field(source, "model")
            chunk_id = chunk_id or field(source, "id")
            tier = tier or field(source, "service_tier")
        return model, chunk_id, tier

    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        end_stream_span(self._llm_span, self._facts(), self._usage, error, abandoned)
