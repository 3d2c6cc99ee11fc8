"""Streams the app drops unfinished, neither exhausted nor closed, still end their span.

The span ends when the stream is garbage-collected, keeps what was seen (model, id, any usage)
and is marked abandoned, and usage-missing when no usage arrived; the instrumentation must not
keep the stream alive for that.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.instrumentation import attributes as attr
from llmledger.simulator import Simulator

Header = Callable[..., dict[str, str]]
OPENAI_USAGE = {"input_tokens": 1200, "output_tokens": 300, "cache_read_tokens": 1000}
ANTHROPIC_USAGE = {"input_tokens": 3000, "output_tokens": 250, "cache_read_tokens": 2000}


def _abandon(
    create_stream: Callable[[], Any], read_until: Callable[[Any], bool] = lambda item: True
) -> Any:
    """Read a new stream up to the first item satisfying `read_until`, then drop it unfinished;
    returns that item once the stream is gone."""
    stream = create_stream()
    item = next(stream)
    while not read_until(item):
        item = next(stream)
    alive = weakref.ref(stream)
    del stream
    gc.collect()
    assert alive() is None, "something kept the dropped stream alive"
    return item


def _abandoned_span_attributes(spans: InMemorySpanExporter) -> dict[str, Any]:
    [span] = spans.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert attributes[attr.STREAM_ABANDONED] is True
    return attributes


@pytest.mark.usefixtures("openai_instrumented")
@pytest.mark.parametrize("app_asks_for_usage", [False, True])
def test_openai_stream_dropped_unfinished_ends_its_span(
    sim: Simulator,
    spans: InMemorySpanExporter,
    usage_header: Header,
    app_asks_for_usage: bool,
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    options = {"stream_options": {"include_usage": True}} if app_asks_for_usage else {}
    first = _abandon(
        lambda: client.chat.completions.create(
            model="gpt-5",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_headers=usage_header(**OPENAI_USAGE),
            **options,  # type: ignore[arg-type]
        )
    )
    attributes = _abandoned_span_attributes(spans)
    assert attributes[attr.RESPONSE_ID] == first.id
    assert attributes[attr.USAGE_MISSING] is True
    assert attr.USAGE_INPUT_TOKENS not in attributes


@pytest.mark.usefixtures("openai_instrumented")
def test_openai_stream_dropped_after_its_usage_keeps_the_usage(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    usage_chunk = _abandon(
        lambda: client.chat.completions.create(
            model="gpt-5",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=usage_header(**OPENAI_USAGE),
        ),
        read_until=lambda chunk: chunk.usage is not None,
    )
    attributes = _abandoned_span_attributes(spans)
    assert attributes[attr.RESPONSE_ID] == usage_chunk.id
    assert attributes[attr.USAGE_INPUT_TOKENS] == 1200
    assert attr.USAGE_MISSING not in attributes


@pytest.mark.usefixtures("openai_instrumented")
def test_openai_stream_left_after_a_break_is_still_resumable(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    stream = client.chat.completions.create(
        model="gpt-5",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        extra_headers=usage_header(**OPENAI_USAGE),
    )
    for _ in stream:
        break
    gc.collect()
    assert spans.get_finished_spans() == ()  # the app still holds the stream
    rest = list(stream)
    assert rest
    [span] = spans.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert attributes[attr.USAGE_INPUT_TOKENS] == 1200
    assert attr.STREAM_ABANDONED not in attributes


@pytest.mark.usefixtures("anthropic_instrumented")
def test_anthropic_stream_dropped_unfinished_ends_its_span(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x")
    message_start = _abandon(
        lambda: client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=256,
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_headers=usage_header(**ANTHROPIC_USAGE),
        )
    )
    attributes = _abandoned_span_attributes(spans)
    assert attributes[attr.RESPONSE_ID] == message_start.message.id
    # message_start's counts are provisional; without a message_delta nothing is recorded.
    assert attributes[attr.USAGE_MISSING] is True
    assert attr.USAGE_INPUT_TOKENS not in attributes
