"""OpenAI embeddings.create through the real SDK against the provider simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from llmledger.instrumentation import attributes as attr
from llmledger.simulator import Simulator

MODEL = "text-embedding-3-small"
Header = Callable[..., dict[str, str]]


def _expected(input_tokens: int) -> dict[str, Any]:
    # Embeddings are billed on input only: no output count is reported, so none is recorded.
    return {
        attr.PROVIDER_NAME: "openai",
        attr.OPERATION_NAME: "embeddings",
        attr.REQUEST_MODEL: MODEL,
        attr.REQUEST_STREAM: False,
        attr.IS_BATCH: False,
        attr.RESPONSE_MODEL: MODEL,
        attr.USAGE_INPUT_TOKENS: input_tokens,
    }


@pytest.mark.usefixtures("openai_instrumented")
def test_sync_embeddings_record_input_tokens(
    sim: Simulator, spans: InMemorySpanExporter, usage_header: Header
) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    response = client.embeddings.create(
        model=MODEL,
        input=["refund policy", "shipping times"],
        extra_headers=usage_header(input_tokens=731, output_tokens=0),
    )
    assert len(response.data) == 2 and response.usage.prompt_tokens == 731
    [span] = spans.get_finished_spans()
    assert span.name == f"embeddings {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == _expected(731)


@pytest.mark.usefixtures("openai_instrumented")
def test_async_embeddings_record_the_reported_count(
    sim: Simulator, spans: InMemorySpanExporter
) -> None:
    async def call() -> Any:
        async with openai.AsyncOpenAI(base_url=sim.openai_base_url, api_key="x") as client:
            return await client.embeddings.create(model=MODEL, input="a short text")

    response = asyncio.run(call())
    [span] = spans.get_finished_spans()
    assert response.usage.prompt_tokens > 0
    assert dict(span.attributes or {}) == _expected(response.usage.prompt_tokens)
