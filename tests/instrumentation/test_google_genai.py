"""Google GenAI generate_content / generate_content_stream (sync and async) through the real SDK
against the provider simulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from google import genai
from google.genai import errors, types
from google.genai.models import AsyncModels, Models
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from llmledger.instrumentation import GoogleGenAIInstrumentor
from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation.google_genai.generate_content import gemini_usage
from llmledger.simulator import USAGE_HEADER, Simulator

MODEL = "gemini-2.5-pro"
PROMPT = "Summarise this support thread in three bullet points."
# Neutral terms: 5000 input tokens of which 4000 from the cache; 900 output of which 600 thoughts.
# Gemini reports prompt_token_count=5000 (cache included) but candidates_token_count=300
# (thoughts excluded), so the span's output total must add the 600 thoughts back.
USAGE = {
    "input_tokens": 5000,
    "cache_read_tokens": 4000,
    "output_tokens": 900,
    "reasoning_tokens": 600,
    "service_tier": "priority",
}
# Whether this SDK version keeps the served tier Gemini reports (older ones drop the field).
SDK_KEEPS_SERVICE_TIER = "service_tier" in types.GenerateContentResponseUsageMetadata.model_fields


def _expected(*, stream: bool, response: Any) -> dict[str, Any]:
    expected = {
        attr.PROVIDER_NAME: "gcp.gen_ai",
        attr.OPERATION_NAME: "generate_content",
        attr.REQUEST_MODEL: MODEL,
        attr.REQUEST_STREAM: stream,
        attr.IS_BATCH: False,
        attr.RESPONSE_MODEL: response.model_version,
        attr.RESPONSE_ID: getattr(response, "response_id", None),
        attr.USAGE_INPUT_TOKENS: 5000,
        attr.USAGE_CACHE_READ_INPUT_TOKENS: 4000,
        attr.USAGE_OUTPUT_TOKENS: 900,
        attr.USAGE_REASONING_OUTPUT_TOKENS: 600,
    }
    if expected[attr.RESPONSE_ID] is None:  # older SDKs drop the response id
        del expected[attr.RESPONSE_ID]
    if SDK_KEEPS_SERVICE_TIER:
        expected[attr.SERVICE_TIER] = "priority"
    return expected


def _client(sim: Simulator) -> genai.Client:
    return genai.Client(api_key="x", http_options=types.HttpOptions(base_url=sim.google_base_url))


def _config() -> types.GenerateContentConfig:
    headers = {USAGE_HEADER: json.dumps(USAGE)}
    return types.GenerateContentConfig(http_options=types.HttpOptions(headers=headers))


def _only_span(spans: InMemorySpanExporter) -> ReadableSpan:
    finished = spans.get_finished_spans()
    assert len(finished) == 1, [span.name for span in finished]
    return finished[0]


@contextmanager
def _instrumented(provider: TracerProvider) -> Iterator[None]:
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield
    finally:
        instrumentor.uninstrument()


@pytest.mark.usefixtures("google_instrumented")
def test_sync_call_adds_thoughts_to_the_output_total(
    sim: Simulator, spans: InMemorySpanExporter
) -> None:
    client = _client(sim)
    response = client.models.generate_content(model=MODEL, contents=PROMPT, config=_config())
    usage = response.usage_metadata
    assert usage is not None and usage.candidates_token_count == 300
    span = _only_span(spans)
    assert span.name == f"generate_content {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == _expected(stream=False, response=response)


@pytest.mark.usefixtures("google_instrumented")
def test_async_call(sim: Simulator, spans: InMemorySpanExporter) -> None:
    client = _client(sim)

    async def call() -> Any:
        return await client.aio.models.generate_content(
            model=f"models/{MODEL}", contents=PROMPT, config=_config()
        )

    response = asyncio.run(call())
    assert dict(_only_span(spans).attributes or {}) == _expected(stream=False, response=response)


def test_stream_chunks_are_untouched_and_final_usage_recorded(
    sim: Simulator, spans: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    client = _client(sim)
    uninstrumented = list(
        client.models.generate_content_stream(model=MODEL, contents=PROMPT, config=_config())
    )
    with _instrumented(tracer_provider):
        chunks = list(
            client.models.generate_content_stream(model=MODEL, contents=PROMPT, config=_config())
        )
    assert [chunk.text for chunk in chunks] == [chunk.text for chunk in uninstrumented]
    assert len(chunks) > 1
    assert dict(_only_span(spans).attributes or {}) == _expected(stream=True, response=chunks[-1])


@pytest.mark.usefixtures("google_instrumented")
def test_async_stream(sim: Simulator, spans: InMemorySpanExporter) -> None:
    client = _client(sim)

    async def call() -> list[Any]:
        stream = await client.aio.models.generate_content_stream(
            model=MODEL, contents=PROMPT, config=_config()
        )
        return [chunk async for chunk in stream]

    chunks = asyncio.run(call())
    assert dict(_only_span(spans).attributes or {}) == _expected(stream=True, response=chunks[-1])


@pytest.mark.usefixtures("google_instrumented")
def test_stream_abandoned_before_the_final_chunk_is_marked_usage_missing(
    sim: Simulator, spans: InMemorySpanExporter
) -> None:
    client = _client(sim)
    stream = client.models.generate_content_stream(model=MODEL, contents=PROMPT, config=_config())
    first = next(iter(stream))  # the app stops reading and drops the stream, never closing it
    del stream
    attributes = dict(_only_span(spans).attributes or {})
    assert attributes.get(attr.RESPONSE_ID) == getattr(first, "response_id", None)
    assert attributes[attr.USAGE_MISSING] is True
    assert attr.USAGE_OUTPUT_TOKENS not in attributes


@pytest.mark.usefixtures("google_instrumented")
def test_sdk_error_is_recorded_and_reraised_unchanged(
    sim: Simulator, spans: InMemorySpanExporter
) -> None:
    client = _client(sim)
    # The simulator answers an invalid usage override with a 400 in Gemini's error shape.
    rejected = types.GenerateContentConfig(
        http_options=types.HttpOptions(headers={USAGE_HEADER: "not json"})
    )
    with pytest.raises(errors.ClientError) as raised:
        client.models.generate_content(model=MODEL, contents=PROMPT, config=rejected)
    assert raised.value.code == 400
    span = _only_span(spans)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[attr.ERROR_TYPE] == "ClientError"


def test_tool_use_prompt_tokens_count_as_input() -> None:
    # Results of tools the model ran are fed back as input and billed as such, but Gemini
    # reports them outside prompt_token_count. (The simulator does not produce them.)
    usage = types.GenerateContentResponseUsageMetadata(
        prompt_token_count=700,
        cached_content_token_count=200,
        tool_use_prompt_token_count=150,
        candidates_token_count=80,
        thoughts_token_count=40,
        total_token_count=970,
    )
    counts = gemini_usage(usage)
    assert (counts.input_tokens, counts.cache_read_tokens) == (850, 200)
    assert (counts.output_tokens, counts.reasoning_tokens) == (120, 40)
    assert counts.input_tokens + counts.output_tokens == usage.total_token_count


def test_uninstrument_restores_every_patched_method(tracer_provider: TracerProvider) -> None:
    names = ("_generate_content", "_generate_content_stream")
    originals = {
        (owner, name): owner.__dict__[name] for owner in (Models, AsyncModels) for name in names
    }
    with _instrumented(tracer_provider):
        for (owner, name), original in originals.items():
            assert owner.__dict__[name] is not original
    for (owner, name), original in originals.items():
        assert owner.__dict__[name] is original
