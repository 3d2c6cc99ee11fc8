"""Anthropic messages.create through the real SDK against the provider simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anthropic
import pytest
from anthropic.resources.messages import AsyncMessages, Messages
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from llmledger.instrumentation import AnthropicInstrumentor
from llmledger.instrumentation import attributes as attr
from llmledger.simulator import Simulator

MODEL = "claude-sonnet-4-5"
MESSAGES = [{"role": "user", "content": "Draft a reply to the customer."}]
# Neutral terms: 1500 input tokens in all, of which 1000 read from cache and 300 written to it
# (100 of those with the 1-hour TTL); Anthropic itself reports only the 200 uncached ones as
# `input_tokens`. 400 output tokens, 150 of them thinking (not broken out in Anthropic's usage,
# so no reasoning attribute is expected).
USAGE = {
    "input_tokens": 1500,
    "cache_read_tokens": 1000,
    "cache_write_tokens": 300,
    "cache_write_1h_tokens": 100,
    "output_tokens": 400,
    "reasoning_tokens": 150,
    "service_tier": "priority",
}
USAGE_ATTRIBUTES = {
    attr.USAGE_INPUT_TOKENS: 1500,
    attr.USAGE_CACHE_READ_INPUT_TOKENS: 1000,
    attr.USAGE_CACHE_WRITE_INPUT_TOKENS: 300,
    attr.USAGE_CACHE_WRITE_1H_INPUT_TOKENS: 100,
    attr.USAGE_OUTPUT_TOKENS: 400,
    attr.SERVICE_TIER: "priority",
}
Header = Callable[..., dict[str, str]]


def _expected(*, stream: bool, response_model: str, response_id: str) -> dict[str, Any]:
    return {
        attr.PROVIDER_NAME: "anthropic",
        attr.OPERATION_NAME: "chat",
        attr.REQUEST_MODEL: MODEL,
        attr.REQUEST_STREAM: stream,
        attr.IS_BATCH: False,
        attr.RESPONSE_MODEL: response_model,
        attr.RESPONSE_ID: response_id,
        **USAGE_ATTRIBUTES,
    }


def _only_span(spans: InMemorySpanExporter) -> ReadableSpan:
    finished = spans.get_finished_spans()
    assert len(finished) == 1, [span.name for span in finished]
    return finished[0]


def _request(usage_header: Header) -> dict[str, Any]:
    return {
        "model": MODEL,
        "max_tokens": 1024,
        "messages": MESSAGES,
        "extra_headers": usage_header(**USAGE),
    }


def _app_view(events: list[Any]) -> list[dict[str, Any]]:
    """Events as the app would serialize them, minus the per-call message id."""
    views = []
    for event in events:
        view = event.to_dict()
        if view["type"] == "message_start":
            del view["message"]["id"]
        views.append(view)
    return views


@contextmanager
def _instrumented(provider: TracerProvider) -> Iterator[None]:
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield
    finally:
        instrumentor.uninstrument()


@pytest.mark.usefixtures("anthropic_instrumented")
def test_sync_call_reports_totals_that_include_cache(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x")
    message = client.messages.create(**_request(usage_header))
    assert message.usage.input_tokens == 200  # Anthropic's own count excludes cache tokens
    span = _only_span(spans)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == _expected(
        stream=False, response_model=message.model, response_id=message.id
    )


@pytest.mark.usefixtures("anthropic_instrumented")
def test_async_call_reports_totals_that_include_cache(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    async def call() -> Any:
        async with anthropic.AsyncAnthropic(base_url=sim.anthropic_base_url, api_key="x") as client:
            return await client.messages.create(**_request(usage_header))

    message = asyncio.run(call())
    assert dict(_only_span(spans).attributes or {}) == _expected(
        stream=False, response_model=message.model, response_id=message.id
    )


def test_stream_takes_the_last_cumulative_usage_and_changes_nothing(
    sim: Simulator,
    spans: InMemorySpanExporter,
    tracer_provider: TracerProvider,
    usage_header: Header,
) -> None:
    client = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x")
    uninstrumented = list(client.messages.create(stream=True, **_request(usage_header)))
    with (
        _instrumented(tracer_provider),
        client.messages.create(stream=True, **_request(usage_header)) as stream,
    ):
        instrumented = list(stream)

    deltas = [event.usage.output_tokens for event in instrumented if event.type == "message_delta"]
    assert len(deltas) >= 2 and deltas[-1] == 400  # cumulative: summing would overcount
    assert _app_view(instrumented) == _app_view(uninstrumented)
    start = instrumented[0]
    assert start.type == "message_start"
    assert dict(_only_span(spans).attributes or {}) == _expected(
        stream=True, response_model=start.message.model, response_id=start.message.id
    )


@pytest.mark.usefixtures("anthropic_instrumented")
def test_async_stream(sim: Simulator, spans: InMemorySpanExporter, usage_header: Header) -> None:
    async def call() -> list[Any]:
        async with anthropic.AsyncAnthropic(base_url=sim.anthropic_base_url, api_key="x") as client:
            stream = await client.messages.create(stream=True, **_request(usage_header))
            return [event async for event in stream]

    events = asyncio.run(call())
    start = events[0]
    assert dict(_only_span(spans).attributes or {}) == _expected(
        stream=True, response_model=start.message.model, response_id=start.message.id
    )


@pytest.mark.usefixtures("anthropic_instrumented")
def test_sdk_error_is_recorded_and_reraised(sim: Simulator, spans: InMemorySpanExporter) -> None:
    client = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x", max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.create(model=MODEL, max_tokens=1024, messages=[])
    span = _only_span(spans)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[attr.ERROR_TYPE] == "BadRequestError"
    assert span.events[0].name == "exception"
    assert (span.events[0].attributes or {})["exception.message"] == str(raised.value)


def test_uninstrument_restores_the_original_methods(tracer_provider: TracerProvider) -> None:
    originals = {owner: owner.__dict__["create"] for owner in (Messages, AsyncMessages)}
    with _instrumented(tracer_provider):
        for owner, original in originals.items():
            assert owner.__dict__["create"] is not original
    for owner, original in originals.items():
        assert owner.__dict__["create"] is original
