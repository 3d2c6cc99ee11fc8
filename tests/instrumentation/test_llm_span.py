"""The span every surface shares: which response facts and token counts reach it, and how."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._llm_span import LLMSpan, TokenUsage, llm_tracer


def _ended_attributes(record: Any) -> dict[str, Any]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    llm_span = LLMSpan(
        llm_tracer(provider), provider="openai", operation="chat", request_model="m", stream=False
    )
    llm_span.returned()
    record(llm_span)
    llm_span.end()
    [span] = memory.get_finished_spans()
    return dict(span.attributes or {})


@pytest.mark.parametrize("untrusted", [None, "", 42, b"gpt-5", ["gpt-5"]])
def test_only_non_empty_strings_become_response_facts(untrusted: Any) -> None:
    attributes = _ended_attributes(
        lambda span: span.set_response(untrusted, untrusted, untrusted, "openai.x")
    )
    for name in (attr.RESPONSE_MODEL, attr.RESPONSE_ID, attr.SERVICE_TIER, "openai.x"):
        assert name not in attributes


def test_response_facts_and_a_batch_tier() -> None:
    attributes = _ended_attributes(
        lambda span: span.set_response("claude-x", "msg_1", "batch", "anthropic.service_tier")
    )
    assert attributes[attr.RESPONSE_MODEL] == "claude-x"
    assert attributes[attr.RESPONSE_ID] == "msg_1"
    assert attributes[attr.SERVICE_TIER] == attributes["anthropic.service_tier"] == "batch"
    assert attributes[attr.IS_BATCH] is True


def test_usage_keeps_zero_counts_and_leaves_unreported_ones_off() -> None:
    usage = TokenUsage(input_tokens=120, output_tokens=0, cache_read_tokens=None)
    attributes = _ended_attributes(lambda span: span.set_usage(usage))
    assert attributes[attr.USAGE_INPUT_TOKENS] == 120
    assert attributes[attr.USAGE_OUTPUT_TOKENS] == 0
    assert attr.USAGE_CACHE_READ_INPUT_TOKENS not in attributes
    assert attr.USAGE_REASONING_OUTPUT_TOKENS not in attributes
    assert attr.USAGE_MISSING not in attributes
