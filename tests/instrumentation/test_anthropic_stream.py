"""Anthropic's messages.stream() helper through the real SDK against the provider simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anthropic
import pytest
from anthropic.lib.streaming import AsyncMessageStream, MessageStream
from anthropic.resources.beta.messages import AsyncMessages as AsyncBetaMessages
from anthropic.resources.beta.messages import Messages as BetaMessages
from anthropic.resources.messages import AsyncMessages, Messages
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from llmledger.instrumentation import AnthropicInstrumentor
from llmledger.instrumentation import attributes as attr
from llmledger.simulator import Simulator

MODEL = "claude-sonnet-4-5"
MESSAGES: Any = [{"role": "user", "content": "Write a two-line status update."}]
# Neutral terms: 3000 input tokens in all, 2000 read from cache, 600 written (200 with the
# 1-hour TTL); Anthropic reports only the 400 uncached ones as `input_tokens`.
USAGE = {
    "input_tokens": 3000,
    "cache_read_tokens": 2000,
    "cache_write_tokens": 600,
    "cache_write_1h_tokens": 200,
    "output_tokens": 250,
    "service_tier": "priority",
}
USAGE_ATTRIBUTES = {
    attr.USAGE_INPUT_TOKENS: 3000,
    attr.USAGE_CACHE_READ_INPUT_TOKENS: 2000,
    attr.USAGE_CACHE_WRITE_INPUT_TOKENS: 600,
    attr.USAGE_CACHE_WRITE_1H_INPUT_TOKENS: 200,
    attr.USAGE_OUTPUT_TOKENS: 250,
    attr.SERVICE_TIER: "priority",
}
Header = Callable[..., dict[str, str]]


def _expected(message: Any) -> dict[str, Any]:
    return {
        attr.PROVIDER_NAME: "anthropic",
        attr.OPERATION_NAME: "chat",
        attr.REQUEST_MODEL: MODEL,
        attr.REQUEST_STREAM: True,
        attr.IS_BATCH: False,
        attr.RESPONSE_MODEL: message.model,
        attr.RESPONSE_ID: message.id,
        **USAGE_ATTRIBUTES,
    }


def _only_span(spans: InMemorySpanExporter) -> ReadableSpan:
    finished = spans.get_finished_spans()
    assert len(finished) == 1, [span.name for span in finished]
    return finished[0]


def _request(usage_header: Header) -> dict[str, Any]:
    return {
        "model": MODEL,
        "max_tokens": 512,
        "messages": MESSAGES,
        "extra_headers": usage_header(**USAGE),
    }


@contextmanager
def _instrumented(provider: TracerProvider) -> Iterator[None]:
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield
    finally:
        instrumentor.uninstrument()


def test_final_message_and_events_are_what_the_app_gets_uninstrumented(
    sim: Simulator,
    spans: InMemorySpanExporter,
    tracer_provider: TracerProvider,
    usage_header: Header,
) -> None:
    client = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x")
    with client.messages.stream(**_request(usage_header)) as stream:
        uninstrumented = [event.type for event in stream]
        plain_final = stream.get_final_message()
    with (
        _instrumented(tracer_provider),
        client.messages.stream(**_request(usage_header)) as stream,
    ):
        assert type(stream) is MessageStream  # the app's object, not a proxy
        assert spans.get_finished_spans() == ()
        instrumented = [event.type for event in stream]
        final = stream.get_final_message()

    assert instrumented == uninstrumented
    assert final.usage.to_dict() == plain_final.usage.to_dict()
    span = _only_span(spans)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == _expected(final)


@pytest.mark.usefixtures("anthropic_instrumented")
def test_get_final_message_without_iterating(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x")
    with client.messages.stream(**_request(usage_header)) as stream:
        final = stream.get_final_message()
    # The SDK reports Anthropic's own split: 400 uncached of the 3000 input tokens.
    assert final.usage.input_tokens == 400
    assert dict(_only_span(spans).attributes or {}) == _expected(final)


@pytest.mark.usefixtures("anthropic_instrumented")
def test_async_text_stream(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    async def call() -> tuple[str, Any]:
        client = anthropic.AsyncAnthropic(base_url=sim.anthropic_base_url, api_key="x")
        async with client.messages.stream(**_request(usage_header)) as stream:
            assert type(stream) is AsyncMessageStream
            text = "".join([piece async for piece in stream.text_stream])
            return text, await stream.get_final_message()

    text, final = asyncio.run(call())
    assert text
    assert dict(_only_span(spans).attributes or {}) == _expected(final)


@pytest.mark.usefixtures("anthropic_instrumented")
def test_leaving_the_helper_early_is_marked_usage_missing(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x")
    with client.messages.stream(**_request(usage_header)) as stream:
        first = next(iter(stream))
    assert first.type == "message_start"
    attributes = dict(_only_span(spans).attributes or {})
    # message_start has the input side but not the final output count: never half a bill.
    assert attributes[attr.RESPONSE_ID] == first.message.id
    assert attributes[attr.USAGE_MISSING] is True
    assert attr.USAGE_OUTPUT_TOKENS not in attributes


@pytest.mark.usefixtures("anthropic_instrumented")
def test_sdk_error_is_recorded_and_reraised_unchanged(
    sim: Simulator, spans: InMemorySpanExporter
) -> None:
    client = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x")
    with (
        pytest.raises(anthropic.BadRequestError),
        client.messages.stream(model=MODEL, max_tokens=16, messages=[]),
    ):
        pass
    span = _only_span(spans)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[attr.ERROR_TYPE] == "BadRequestError"


@pytest.mark.usefixtures("anthropic_instrumented")
def test_beta_messages_create_and_stream(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x")
    created = client.beta.messages.create(**_request(usage_header))
    with client.beta.messages.stream(**_request(usage_header)) as stream:
        streamed = stream.get_final_message()
    first, second = spans.get_finished_spans()
    assert dict(first.attributes or {}) == {**_expected(created), attr.REQUEST_STREAM: False}
    assert dict(second.attributes or {}) == _expected(streamed)


def test_uninstrument_restores_every_patched_method(tracer_provider: TracerProvider) -> None:
    owners = (Messages, AsyncMessages, BetaMessages, AsyncBetaMessages)
    originals = {
        (owner, name): owner.__dict__[name] for owner in owners for name in ("create", "stream")
    }
    with _instrumented(tracer_provider):
        for (owner, name), original in originals.items():
            assert owner.__dict__[name] is not original
    for (owner, name), original in originals.items():
        assert owner.__dict__[name] is original
