"""Undoing our usage request on a chat stream's raw events, for events the simulator never sends.

The simulator writes its JSON as OpenAI does; these feed the SDK's own `ServerSentEvent`s through
the event filter directly: JSON spaced differently, usage on a chunk with content, a stream that
ends before its usage event, and an SDK whose events do not keep their data in `_data`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from openai._streaming import ServerSentEvent
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._llm_span import LLMSpan, llm_tracer
from llmledger.instrumentation.openai.chat_stream_events import read_events

USAGE = {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37}
FACTS = {"id": "chatcmpl-1", "model": "gpt-5-2025-08-07", "service_tier": "default"}


def _chunk(content: str, **extra: Any) -> dict[str, Any]:
    return {**FACTS, "choices": [{"index": 0, "delta": {"content": content}}], **extra}


class _Decoder:
    def __init__(self, events: list[Any]) -> None:
        self.events = events

    def iter_bytes(self, iterator: Iterator[bytes]) -> Iterator[Any]:
        yield from self.events

    async def aiter_bytes(self, iterator: Any) -> Any:
        for event in self.events:
            yield event


class _Stream:
    def __init__(self, events: list[Any]) -> None:
        self._decoder = _Decoder(events)


async def _read_async(stream: _Stream) -> list[str]:
    return [event.data async for event in stream._decoder.aiter_bytes(None)]


def _through_filter(events: list[Any], *, is_async: bool = False) -> tuple[list[str], ReadableSpan]:
    """The event data the SDK gets, and the span, for a stream we asked usage for."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    llm_span = LLMSpan(
        llm_tracer(provider), provider="openai", operation="chat", request_model=None, stream=True
    )
    llm_span.returned()
    stream = _Stream(events)
    assert read_events(llm_span, stream)
    if is_async:
        passed = asyncio.run(_read_async(stream))
    else:
        passed = [event.data for event in stream._decoder.iter_bytes(iter(()))]
    [span] = memory.get_finished_spans()
    return passed, span


def _event(data: str) -> ServerSentEvent:
    return ServerSentEvent(data=data)


def _compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))  # as OpenAI writes its events


def test_spaced_null_usage_is_cut_and_usage_on_content_is_read() -> None:
    spaced = json.dumps(_chunk("a", usage=None), separators=(", ", ": "))
    with_usage = _compact(_chunk("b", usage=USAGE))
    passed, span = _through_filter([_event(spaced), _event(with_usage), _event("[DONE]")])
    assert [json.loads(data) for data in passed[:2]] == [_chunk("a"), _chunk("b", usage=USAGE)]
    assert passed[2] == "[DONE]"
    attributes = dict(span.attributes or {})
    assert attributes[attr.USAGE_INPUT_TOKENS] == 30
    assert attributes[attr.RESPONSE_MODEL] == FACTS["model"]
    assert attr.USAGE_MISSING not in attributes


def test_stream_ending_before_its_usage_event_takes_facts_from_its_last_chunk() -> None:
    first = _compact({**_chunk("a", usage=None), "model": ""})
    last = _compact({**_chunk("b", usage=None), "id": "chatcmpl-2"})
    passed, span = _through_filter([_event(first), _event(last)])
    assert [json.loads(data) for data in passed] == [
        {**_chunk("a"), "model": ""},
        {**_chunk("b"), "id": "chatcmpl-2"},
    ]
    attributes = dict(span.attributes or {})
    assert attributes[attr.RESPONSE_MODEL] == FACTS["model"]  # the last chunk's
    assert attributes[attr.RESPONSE_ID] == "chatcmpl-2"
    assert attributes[attr.USAGE_MISSING] is True


class _SlottedEvent:
    """An event keeping its data somewhere other than `_data` (a hypothetical SDK)."""

    __slots__ = ("_payload", "event", "id", "retry")

    def __init__(
        self, *, event: str | None = None, data: str = "", id: str | None = None, retry: Any = None
    ) -> None:
        self._payload, self.event, self.id, self.retry = data, event, id, retry

    @property
    def data(self) -> str:
        return self._payload


@pytest.mark.parametrize("is_async", [False, True])
@pytest.mark.parametrize("make_event", [ServerSentEvent, _SlottedEvent])
def test_usage_event_is_hidden_and_chunks_are_cut(make_event: Any, is_async: bool) -> None:
    chunk = _compact(_chunk("a", usage=None))
    usage_event = _compact({**FACTS, "choices": [], "usage": USAGE})
    events = [make_event(data=chunk), make_event(data=chunk), make_event(data=usage_event)]
    passed, span = _through_filter(events, is_async=is_async)
    assert [json.loads(data) for data in passed] == [_chunk("a"), _chunk("a")]
    assert dict(span.attributes or {})[attr.USAGE_OUTPUT_TOKENS] == 7


@pytest.mark.parametrize("bad_count", ["30", 30.0, True, [30]])
def test_usage_event_with_a_count_that_is_no_int_records_no_usage(bad_count: Any) -> None:
    chunk = _compact(_chunk("a", usage=None))
    usage_event = _compact({**FACTS, "choices": [], "usage": {**USAGE, "prompt_tokens": bad_count}})
    passed, span = _through_filter([_event(chunk), _event(usage_event), _event("[DONE]")])
    assert [json.loads(data) for data in passed[:1]] == [_chunk("a")]
    attributes = dict(span.attributes or {})
    assert attributes[attr.RESPONSE_ID] == FACTS["id"]
    assert attributes[attr.USAGE_MISSING] is True
    assert attr.USAGE_INPUT_TOKENS not in attributes
    assert attr.USAGE_OUTPUT_TOKENS not in attributes
