"""OpenAI responses.create (and the responses.stream() helper) through the real SDK against the
provider simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from llmledger.instrumentation import OpenAIInstrumentor
from llmledger.instrumentation import attributes as attr
from llmledger.simulator import Simulator

MODEL = "gpt-5"
PROMPT = "Classify the ticket: the invoice total looks wrong."
# Neutral terms (input includes cache, output includes reasoning), which OpenAI reports as is.
USAGE = {
    "input_tokens": 2400,
    "cache_read_tokens": 2048,
    "cache_write_tokens": 64,
    "output_tokens": 500,
    "reasoning_tokens": 320,
    "service_tier": "flex",
}
USAGE_ATTRIBUTES = {
    attr.USAGE_INPUT_TOKENS: 2400,
    attr.USAGE_CACHE_READ_INPUT_TOKENS: 2048,
    attr.USAGE_CACHE_WRITE_INPUT_TOKENS: 64,
    attr.USAGE_OUTPUT_TOKENS: 500,
    attr.USAGE_REASONING_OUTPUT_TOKENS: 320,
    attr.OPENAI_RESPONSE_SERVICE_TIER: "flex",
    attr.SERVICE_TIER: "flex",
}
Header = Callable[..., dict[str, str]]


# The oldest supported SDK (1.66) predates today's reasoning output items: it cannot validate a
# stream's closing event and hands the app that event's `response` as a plain dict. (The usage
# is still recorded; its own `responses.stream()` helper fails on such streams, though.)
SDK_PARSES_REASONING_ITEMS = hasattr(openai.types.responses, "ResponseReasoningItem")


def _get(response: Any, name: str) -> Any:
    return response[name] if isinstance(response, dict) else getattr(response, name)


def _expected(*, stream: bool, response: Any) -> dict[str, Any]:
    return {
        attr.PROVIDER_NAME: "openai",
        attr.OPERATION_NAME: "chat",
        attr.REQUEST_MODEL: MODEL,
        attr.REQUEST_STREAM: stream,
        attr.IS_BATCH: False,
        attr.RESPONSE_MODEL: _get(response, "model"),
        attr.RESPONSE_ID: _get(response, "id"),
        **USAGE_ATTRIBUTES,
    }


def _only_span(spans: InMemorySpanExporter) -> ReadableSpan:
    finished = spans.get_finished_spans()
    assert len(finished) == 1, [span.name for span in finished]
    return finished[0]


def _final_response(events: list[Any]) -> Any:
    completed = [event for event in events if event.type == "response.completed"]
    assert len(completed) == 1
    return completed[0].response


@contextmanager
def _instrumented(provider: TracerProvider) -> Iterator[None]:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield
    finally:
        instrumentor.uninstrument()


@pytest.mark.usefixtures("openai_instrumented")
def test_sync_call_records_every_cost_attribute(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    response = client.responses.create(
        model=MODEL,
        input=PROMPT,
        extra_body={"service_tier": "auto"},  # not a named argument in older SDKs
        extra_headers=usage_header(**USAGE),
    )
    span = _only_span(spans)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert response.model != MODEL  # the simulator answers with a dated snapshot
    # The request asked for "auto"; the span carries the tier the response says was served.
    assert dict(span.attributes or {}) == _expected(stream=False, response=response)


@pytest.mark.usefixtures("openai_instrumented")
def test_async_call_records_every_cost_attribute(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    async def call() -> Any:
        async with openai.AsyncOpenAI(base_url=sim.openai_base_url, api_key="x") as client:
            return await client.responses.create(
                model=MODEL, input=PROMPT, extra_headers=usage_header(**USAGE)
            )

    response = asyncio.run(call())
    assert dict(_only_span(spans).attributes or {}) == _expected(stream=False, response=response)


def test_stream_is_passed_through_untouched_and_usage_read_from_completed_event(
    sim: Simulator,
    spans: InMemorySpanExporter,
    tracer_provider: TracerProvider,
    usage_header: Header,
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    request = {
        "model": MODEL,
        "input": PROMPT,
        "stream": True,
        "extra_headers": usage_header(**USAGE),
    }
    uninstrumented = list(client.responses.create(**request))
    with _instrumented(tracer_provider):
        stream = client.responses.create(**request)
        assert isinstance(stream, openai.Stream)
        instrumented = list(stream)

    assert [event.type for event in instrumented] == [event.type for event in uninstrumented]
    assert [event.sequence_number for event in instrumented] == list(range(len(instrumented)))
    final = _final_response(instrumented)
    assert dict(_only_span(spans).attributes or {}) == _expected(stream=True, response=final)


@pytest.mark.usefixtures("openai_instrumented")
def test_async_stream(sim: Simulator, spans: InMemorySpanExporter, usage_header: Header) -> None:
    async def call() -> list[Any]:
        async with openai.AsyncOpenAI(base_url=sim.openai_base_url, api_key="x") as client:
            stream = await client.responses.create(
                model=MODEL, input=PROMPT, stream=True, extra_headers=usage_header(**USAGE)
            )
            return [event async for event in stream]

    final = _final_response(asyncio.run(call()))
    assert dict(_only_span(spans).attributes or {}) == _expected(stream=True, response=final)


@pytest.mark.usefixtures("openai_instrumented")
def test_parse_is_traced_like_create(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    # `parse` posts the request itself instead of going through `create`.
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    response = client.responses.parse(
        model=MODEL, input=PROMPT, extra_headers=usage_header(**USAGE)
    )
    assert dict(_only_span(spans).attributes or {}) == _expected(stream=False, response=response)


@pytest.mark.skipif(
    not SDK_PARSES_REASONING_ITEMS, reason="this SDK's own stream helper fails on reasoning items"
)
@pytest.mark.usefixtures("openai_instrumented")
def test_stream_helper_goes_through_create(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    with client.responses.stream(
        model=MODEL, input=PROMPT, extra_headers=usage_header(**USAGE)
    ) as stream:
        final = stream.get_final_response()
    assert final.usage is not None and final.usage.input_tokens == 2400
    assert dict(_only_span(spans).attributes or {}) == _expected(stream=True, response=final)


@pytest.mark.usefixtures("openai_instrumented")
def test_stream_closed_before_completion_is_marked_usage_missing(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    stream = client.responses.create(
        model=MODEL, input=PROMPT, stream=True, extra_headers=usage_header(**USAGE)
    )
    created = next(stream)
    assert created.type == "response.created"
    assert spans.get_finished_spans() == ()
    stream.close()
    attributes = dict(_only_span(spans).attributes or {})
    assert attributes[attr.USAGE_MISSING] is True
    assert attributes[attr.RESPONSE_ID] == created.response.id
    assert attr.USAGE_INPUT_TOKENS not in attributes


@pytest.mark.usefixtures("openai_instrumented")
def test_sdk_error_is_recorded_and_reraised_unchanged(
    sim: Simulator, spans: InMemorySpanExporter
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model=MODEL, input=PROMPT, extra_body={"service_tier": "no-such-tier"}
        )
    span = _only_span(spans)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[attr.ERROR_TYPE] == "BadRequestError"
    assert attr.USAGE_MISSING not in (span.attributes or {})


def test_uninstrument_restores_every_patched_method(tracer_provider: TracerProvider) -> None:
    owners = (
        openai.resources.chat.completions.Completions,
        openai.resources.chat.completions.AsyncCompletions,
        openai.resources.responses.Responses,
        openai.resources.responses.AsyncResponses,
        openai.resources.embeddings.Embeddings,
        openai.resources.embeddings.AsyncEmbeddings,
    )
    originals = {
        (owner, name): owner.__dict__[name]
        for owner in owners
        for name in ("create", "parse")
        if name in owner.__dict__  # embeddings have no `parse`; old SDKs no chat `parse`
    }
    assert len(originals) >= 8
    with _instrumented(tracer_provider):
        for (owner, name), original in originals.items():
            assert owner.__dict__[name] is not original
    for (owner, name), original in originals.items():
        assert owner.__dict__[name] is original
