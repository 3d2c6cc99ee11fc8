"""Reading a streamed chat completion from its raw events: usage, response facts, its end.

Streamed chat reports usage only in a final event with empty `choices`, and only if the request
set `stream_options.include_usage`; when the app did not, we set it (`chat.py`), and here, with
`_sse_filter`, hide what that adds before the SDK parses anything, so the app iterates the SDK's
own stream object, exactly as it would have been: the usage event is read as plain JSON and
dropped, each chunk's ``"usage":null`` is cut. The span ends from the events too: at ``[DONE]``,
at an event the SDK raises on, or as `_sse_filter` describes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from llmledger.instrumentation._llm_span import LLMSpan
from llmledger.instrumentation._safety import report_internal_error
from llmledger.instrumentation._spans_open_at_exit import OPEN
from llmledger.instrumentation.openai._chat_facts import end_stream_span
from llmledger.instrumentation.openai._fields import field
from llmledger.instrumentation.openai._sse_filter import undo_usage_request, with_data

_parse_fast: Callable[[str | bytes], Any]
try:  # the JSON parser of pydantic 2, which every openai SDK but those on pydantic 1 has
    from pydantic_core import from_json as _parse_fast
except ImportError:
    _parse_fast = json.loads


def _parse(data: str | bytes) -> Any:
    """JSON `data` as the SDK reads it, with `json.loads`, which decides what is invalid and how
    that fails; parsed in half the time where pydantic-core is there."""
    try:
        return _parse_fast(data)
    except ValueError:
        return json.loads(data)


def _chunk_json(data: str | None) -> Any:
    try:
        return None if data is None else _parse(data)
    except ValueError:
        return None


def _sdk_stream_error(error: Any, response: Any) -> BaseException:
    """What the SDK raises on an event carrying `error` (openai 1.66 to 3.x alike)."""
    message = error.get("message") if isinstance(error, dict) else None
    if not message or not isinstance(message, str):
        message = "An error occurred during streaming"
    try:
        from openai import APIError  # imported only once the SDK is in use

        return APIError(message=message, request=response.request, body=error)
    except Exception as failure:  # an SDK unlike the supported ones: the span still ends
        report_internal_error("describing a streamed chat error", failure)
        return Exception(message)


class ChatEventReader:
    """Usage and response facts of a chat stream we asked usage for, from its events; ends the
    call's span (see `_sse_filter.EventReader`)."""

    # Slots: the event filter writes `last_chunk_data` once per event.
    __slots__ = (
        "_finished",
        "_hidden",
        "_llm_span",
        "_response",
        "_usage",
        "first_chunk_data",
        "last_chunk_data",
    )

    def __init__(self, llm_span: LLMSpan, response: Any) -> None:
        self._llm_span = llm_span
        self._response = response  # not the stream: nothing of ours may keep the stream alive
        self._finished = False
        self.first_chunk_data: str | None = None
        self.last_chunk_data: str | None = None
        self._hidden: dict[str, Any] | None = None  # the usage event's JSON
        self._usage: Any = None

    def on_event(self, event: Any) -> Any:
        try:
            data = event.data
            if data.startswith("[DONE]"):  # where the SDK stops reading
                self.finish(None)
                return event
            try:
                chunk = _parse(data)
            except ValueError as error:  # the SDK fails on it alike, ending the stream
                self.finish(error)
                return event
            if not isinstance(chunk, dict):
                return event
            error_body = chunk.get("error")
            if error_body:  # the SDK raises on it, ending the stream
                self.finish(_sdk_stream_error(error_body, self._response))
                return event
            usage = chunk.get("usage")
            if usage is None:
                if "usage" in chunk:  # a null usage spaced unlike OpenAI's: cut all the same
                    del chunk["usage"]
                    data = json.dumps(chunk)
                    event = with_data(event, data)
                self.first_chunk_data = self.first_chunk_data or data
                self.last_chunk_data = data
                return event
            self._usage = usage
            if chunk.get("choices"):
                # Usage on a chunk with content cannot be hidden: the app gets it as sent.
                self.first_chunk_data = self.first_chunk_data or data
                self.last_chunk_data = data
                return event
            self._hidden = chunk
            return None
        except Exception as error:
            report_internal_error("reading a streamed chat event", error)
            return event

    def _facts(self) -> tuple[Any, Any, Any]:
        """(model, id, served tier), each from the newest event that has it."""
        hidden = self._hidden
        if hidden is not None:  # the usual end of a stream we asked usage for: it has them all
            model, chunk_id, tier = (
                hidden.get("model"),
                hidden.get("id"),
                hidden.get("service_tier"),
            )
            if model and chunk_id and tier:
                return model, chunk_id, tier
        else:
            model = chunk_id = tier = None
        for data in (self.last_chunk_data, self.first_chunk_data):
            source = _chunk_json(data)  # parsed only if needed
            model = model or field(source, "model")
            chunk_id = chunk_id or field(source, "id")
            tier = tier or field(source, "service_tier")
            if model and chunk_id and tier:
                break
        return model, chunk_id, tier

    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        if self._finished:
            return
        self._finished = True
        OPEN.discard(self)
        try:
            end_stream_span(self._llm_span, self._facts(), self._usage, error, abandoned)
        except Exception as internal_error:
            report_internal_error("ending a streamed call's span", internal_error)


def read_events(llm_span: LLMSpan, stream: Any) -> bool:
    """Hide our usage request from `stream` (not iterated yet) and let its events end the span;
    False if this SDK's stream does not let us."""
    reader = ChatEventReader(llm_span, getattr(stream, "response", None))
    if not undo_usage_request(stream, reader):
        return False
    OPEN.add(reader)  # its span ends before the process exits, should the app keep the stream
    return True
