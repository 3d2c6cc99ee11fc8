"""OpenAI chat.completions.create through the real SDK against the provider simulator."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import openai
import pytest
from openai.resources.chat.completions import AsyncCompletions, Completions
from openai.types.chat import ChatCompletionMessageParam
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from llmledger.instrumentation import OpenAIInstrumentor, _safety
from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._llm_span import TokenUsage
from llmledger.instrumentation.openai import chat, chat_stream_events
from llmledger.simulator import Simulator

MODEL = "gpt-5"
MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "Summarise the ticket in one line."}
]
# Neutral terms (input includes cache, output includes reasoning), which OpenAI reports as is.
USAGE = {
    "input_tokens": 1200,
    "cache_read_tokens": 1000,
    "cache_write_tokens": 50,
    "cache_write_1h_tokens": 0,
    "output_tokens": 300,
    "reasoning_tokens": 120,
    "service_tier": "priority",
}
USAGE_ATTRIBUTES = {
    attr.USAGE_INPUT_TOKENS: 1200,
    attr.USAGE_CACHE_READ_INPUT_TOKENS: 1000,
    attr.USAGE_CACHE_WRITE_INPUT_TOKENS: 50,
    attr.USAGE_OUTPUT_TOKENS: 300,
    attr.USAGE_REASONING_OUTPUT_TOKENS: 120,
    attr.OPENAI_RESPONSE_SERVICE_TIER: "priority",
    attr.SERVICE_TIER: "priority",
}
Header = Callable[..., dict[str, str]]


def _expected(*, stream: bool, response_model: str, response_id: str) -> dict[str, Any]:
    return {
        attr.PROVIDER_NAME: "openai",
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


def _app_view(chunks: list[Any]) -> list[dict[str, Any]]:
    """Chunks as the app would serialize them, minus the per-call id and timestamp."""
    views = []
    for chunk in chunks:
        view = chunk.to_dict()
        del view["id"], view["created"]
        views.append(view)
    return views


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
    response = client.chat.completions.create(
        model=MODEL, messages=MESSAGES, extra_headers=usage_header(**USAGE)
    )
    span = _only_span(spans)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert response.model != MODEL  # the simulator answers with a dated snapshot
    assert dict(span.attributes or {}) == _expected(
        stream=False, response_model=response.model, response_id=response.id
    )


@pytest.mark.usefixtures("openai_instrumented")
def test_async_call_records_every_cost_attribute(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    async def call() -> Any:
        async with openai.AsyncOpenAI(base_url=sim.openai_base_url, api_key="x") as client:
            return await client.chat.completions.create(
                model=MODEL, messages=MESSAGES, extra_headers=usage_header(**USAGE)
            )

    response = asyncio.run(call())
    assert dict(_only_span(spans).attributes or {}) == _expected(
        stream=False, response_model=response.model, response_id=response.id
    )


# Hidden before the SDK builds it where the SDK's stream lets us see its events, else after.
@pytest.mark.parametrize("events_filterable", [True, False])
def test_stream_hides_the_injected_usage_chunk(
    sim: Simulator,
    spans: InMemorySpanExporter,
    tracer_provider: TracerProvider,
    usage_header: Header,
    monkeypatch: pytest.MonkeyPatch,
    events_filterable: bool,
) -> None:
    if not events_filterable:
        monkeypatch.setattr(chat_stream_events, "undo_usage_request", lambda stream, reader: False)
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    headers = usage_header(**USAGE)
    uninstrumented = list(
        client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, extra_headers=headers
        )
    )
    with _instrumented(tracer_provider):
        stream = client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, extra_headers=headers
        )
        assert isinstance(stream, openai.Stream)
        assert stream.response.status_code == 200  # SDK attributes still reachable
        instrumented = list(stream)

    assert all(chunk.usage is None for chunk in uninstrumented)
    assert _app_view(instrumented) == _app_view(uninstrumented)
    assert dict(_only_span(spans).attributes or {}) == _expected(
        stream=True, response_model=instrumented[0].model, response_id=instrumented[0].id
    )


@pytest.mark.usefixtures("openai_instrumented")
def test_stream_keeps_the_usage_chunk_the_app_asked_for(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    with client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=usage_header(**USAGE),
    ) as stream:
        chunks = list(stream)
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 1200
    assert dict(_only_span(spans).attributes or {}) == _expected(
        stream=True, response_model=chunks[0].model, response_id=chunks[0].id
    )


@pytest.mark.usefixtures("openai_instrumented")
def test_stream_keeps_the_usage_chunk_asked_for_through_extra_body(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    # `extra_body` overrides the request's own `stream_options`: it is where the app asked.
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            stream=True,
            extra_body={"stream_options": {"include_usage": True}},
            extra_headers=usage_header(**USAGE),
        )
    )
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 1200
    assert dict(_only_span(spans).attributes or {}) == _expected(
        stream=True, response_model=chunks[0].model, response_id=chunks[0].id
    )


@pytest.mark.usefixtures("openai_instrumented")
def test_async_stream_as_context_manager(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    async def call() -> list[Any]:
        async with openai.AsyncOpenAI(base_url=sim.openai_base_url, api_key="x") as client:
            stream = await client.chat.completions.create(
                model=MODEL, messages=MESSAGES, stream=True, extra_headers=usage_header(**USAGE)
            )
            async with stream as entered:
                assert entered is stream
                return [chunk async for chunk in entered]

    chunks = asyncio.run(call())
    assert all(chunk.usage is None and chunk.choices for chunk in chunks)
    assert dict(_only_span(spans).attributes or {}) == _expected(
        stream=True, response_model=chunks[0].model, response_id=chunks[0].id
    )


@pytest.mark.usefixtures("openai_instrumented")
def test_stream_closed_early_is_marked_usage_missing(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    stream = client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, extra_headers=usage_header(**USAGE)
    )
    first = next(stream)
    assert spans.get_finished_spans() == ()  # the span lives as long as the stream
    stream.close()
    attributes = dict(_only_span(spans).attributes or {})
    assert attributes[attr.USAGE_MISSING] is True
    assert attributes[attr.RESPONSE_ID] == first.id
    assert attr.USAGE_INPUT_TOKENS not in attributes


@pytest.mark.usefixtures("openai_instrumented")
def test_raw_stream_is_left_alone(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    # A raw response hands the app the HTTP body: an injected usage chunk could not be hidden.
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL, messages=MESSAGES, stream=True, extra_headers=usage_header(**USAGE)
    )
    chunks = list(raw.parse())
    assert chunks and all(chunk.usage is None for chunk in chunks)
    attributes = dict(_only_span(spans).attributes or {})
    assert attributes[attr.REQUEST_STREAM] is True
    assert attributes[attr.USAGE_MISSING] is True


@pytest.mark.usefixtures("openai_instrumented")
def test_sdk_error_is_recorded_and_reraised_unchanged(
    sim: Simulator, spans: InMemorySpanExporter
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x", max_retries=0)
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=MODEL, messages=[])
    assert raised.value.status_code == 400
    span = _only_span(spans)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[attr.ERROR_TYPE] == "BadRequestError"
    assert attr.USAGE_MISSING not in (span.attributes or {})
    [event] = span.events
    assert event.name == "exception"
    assert (event.attributes or {})["exception.message"] == str(raised.value)


def test_uninstrument_restores_the_original_methods(tracer_provider: TracerProvider) -> None:
    # `close` too: a stream whose events we read ends its span there.
    methods: list[tuple[type[Any], str]] = [
        (Completions, "create"),
        (AsyncCompletions, "create"),
        (openai.Stream, "close"),
        (openai.AsyncStream, "close"),
    ]
    originals = {method: vars(method[0])[method[1]] for method in methods}
    with _instrumented(tracer_provider):
        for (owner, name), original in originals.items():
            assert vars(owner)[name] is not original
    for (owner, name), original in originals.items():
        assert vars(owner)[name] is original


def test_uninstrumented_calls_make_no_spans(
    sim: Simulator, spans: InMemorySpanExporter, tracer_provider: TracerProvider
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    with _instrumented(tracer_provider):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert len(spans.get_finished_spans()) == 1


@pytest.mark.usefixtures("openai_instrumented")
def test_our_own_failure_never_reaches_the_app(
    sim: Simulator,
    spans: InMemorySpanExporter,
    usage_header: Header,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_reader(usage: object) -> TokenUsage:
        raise RuntimeError("unexpected usage shape")

    monkeypatch.setattr(chat, "chat_usage", broken_reader)
    monkeypatch.setattr(_safety, "_reported_places", set())
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    with caplog.at_level(logging.DEBUG, logger="llmledger"):
        responses = [
            client.chat.completions.create(
                model=MODEL, messages=MESSAGES, extra_headers=usage_header(**USAGE)
            )
            for _ in range(2)
        ]
    assert [r.usage.prompt_tokens for r in responses if r.usage] == [1200, 1200]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "unexpected usage shape" in str(warnings[0].exc_info)
    finished = spans.get_finished_spans()
    assert len(finished) == 2
    assert all((span.attributes or {})[attr.USAGE_MISSING] is True for span in finished)


@pytest.mark.usefixtures("openai_instrumented")
def test_parse_is_traced_like_create(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    # `parse` posts the request itself; up to openai 1.91 it lived under `beta`.
    completions: Any = getattr(client.chat.completions, "parse", None) and client.chat.completions
    parse = (completions or client.beta.chat.completions).parse
    response = parse(model=MODEL, messages=MESSAGES, extra_headers=usage_header(**USAGE))
    assert dict(_only_span(spans).attributes or {}) == _expected(
        stream=False, response_model=response.model, response_id=response.id
    )
