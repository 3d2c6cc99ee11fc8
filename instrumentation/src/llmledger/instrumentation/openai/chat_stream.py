"""Reading a streamed chat completion: its usage and response facts, and hiding what we added.

Streamed chat reports usage only in a final chunk with empty `choices`, and only if the request
set `stream_options.include_usage`; when the app did not, we set it (`chat.py`) and hide that
extra chunk so the app sees exactly the stream it asked for. Both happen before the SDK parses
the stream's events where the SDK allows (`_sse_filter`): the usage event is read as plain JSON
and dropped, and each chunk's ``"usage":null`` is cut, so the SDK never spends time on bytes the
app did not ask for; otherwise the built chunks are tidied and the built usage chunk is dropped
(`ChatStreamObserver.observe`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from llmledger.instrumentation._llm_span import LLMSpan
from llmledger.instrumentation._safety import report_internal_error
from llmledger.instrumentation.openai._chat_facts import chat_usage, record_facts
from llmledger.instrumentation.openai._fields import field
from llmledger.instrumentation.openai._sse_filter import undo_usage_request, with_data


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


class ChatStreamObserver:
    """Usage and response facts of a chat stream, from its events where the SDK lets us see
    them (`_sse_filter`), else from the chunks the SDK built."""

    # Slots: the event filter writes `last_chunk_data` once per event.
    __slots__ = (
        "_first",
        "_hidden",
        "_hide_usage_chunk",
        "_last",
        "_llm_span",
        "_usage",
        "first_chunk_data",
        "last_chunk_data",
        "watches_items",
    )

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
        hidden = self._hidden
        if hidden is not None:  # the usual end of a stream we asked usage for: it has them all
            model, chunk_id, tier = (
                hidden.get("model"),
                hidden.get("id"),
                hidden.get("service_tier"),
            )
            if model and chunk_id and tier:
                return model, chunk_id, tier
        model = chunk_id = tier = None
        for source in self._sources():
            model = model or field(source, "model")
            chunk_id = chunk_id or field(source, "id")
            tier = tier or field(source, "service_tier")
            if model and chunk_id and tier:
                break
        return model, chunk_id, tier

    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        llm_span = self._llm_span
        try:
            record_facts(llm_span, *self._facts())
            if self._usage is not None:
                llm_span.set_usage(chat_usage(self._usage))
        finally:
            llm_span.end(error, abandoned=abandoned)
