"""record_usage(): calls made outside the instrumented SDKs, with the same span shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from llmledger.instrumentation import attribute, record_usage
from llmledger.instrumentation import attributes as attr

BEGAN = datetime(2026, 3, 4, 5, 6, 7, 250_000, tzinfo=UTC)
ENDED = BEGAN + timedelta(seconds=2, microseconds=500)


def _epoch_ns(moment: datetime) -> int:
    whole_seconds = int(moment.replace(microsecond=0).timestamp())
    return whole_seconds * 1_000_000_000 + moment.microsecond * 1_000


def test_self_hosted_call_has_the_span_shape_of_an_instrumented_one(
    tracer_provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    with attribute(team="search", feature="ambient-feature"):
        record_usage(
            provider="vllm",
            model="llama-3.1-8b-instruct",
            input_tokens=812,
            output_tokens=95,
            cache_read_tokens=512,
            reasoning_tokens=40,
            feature="query-rewrite",
            user_id="u-17",
            session_id="s-3",
            start_time=BEGAN,
            end_time=ENDED,
            tracer_provider=tracer_provider,
        )
    [span] = spans.get_finished_spans()
    assert span.name == "chat llama-3.1-8b-instruct"
    assert span.kind is SpanKind.CLIENT
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == attr.INSTRUMENTATION_SCOPE
    assert (span.start_time, span.end_time) == (_epoch_ns(BEGAN), _epoch_ns(ENDED))
    assert dict(span.attributes or {}) == {
        attr.PROVIDER_NAME: "vllm",
        attr.OPERATION_NAME: "chat",
        attr.REQUEST_MODEL: "llama-3.1-8b-instruct",
        attr.RESPONSE_MODEL: "llama-3.1-8b-instruct",
        attr.REQUEST_STREAM: False,
        attr.IS_BATCH: False,
        attr.USAGE_INPUT_TOKENS: 812,
        attr.USAGE_OUTPUT_TOKENS: 95,
        attr.USAGE_CACHE_READ_INPUT_TOKENS: 512,
        attr.USAGE_REASONING_OUTPUT_TOKENS: 40,
        # An explicit argument wins over the ambient attribution; what it leaves out comes
        # from baggage, as for an SDK call.
        attr.FEATURE: "query-rewrite",
        attr.TEAM: "search",
        attr.USER_ID: "u-17",
        attr.CONVERSATION_ID: "s-3",
    }


def test_batch_job_result(tracer_provider: TracerProvider, spans: InMemorySpanExporter) -> None:
    record_usage(
        provider="anthropic",
        model="claude-sonnet-4-5",
        response_model="claude-sonnet-4-5-20250929",
        response_id="msg_01",
        input_tokens=3000,
        cache_read_tokens=2000,
        cache_write_tokens=600,
        cache_write_1h_tokens=200,
        output_tokens=250,
        service_tier="batch",
        start_time=BEGAN,
        tracer_provider=tracer_provider,
    )
    [span] = spans.get_finished_spans()
    assert span.end_time == span.start_time == _epoch_ns(BEGAN)
    attributes = dict(span.attributes or {})
    # The served tier "batch" alone marks the call as batch.
    assert attributes[attr.IS_BATCH] is True
    assert attributes[attr.SERVICE_TIER] == "batch"
    assert attributes[attr.RESPONSE_MODEL] == "claude-sonnet-4-5-20250929"
    assert attributes[attr.RESPONSE_ID] == "msg_01"
    assert attributes[attr.USAGE_CACHE_WRITE_1H_INPUT_TOKENS] == 200


def test_embeddings_with_explicit_batch_flag(
    tracer_provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    record_usage(
        provider="openai",
        model="text-embedding-3-small",
        operation="embeddings",
        input_tokens=10_000,
        batch=True,
        tracer_provider=tracer_provider,
    )
    [span] = spans.get_finished_spans()
    assert span.name == "embeddings text-embedding-3-small"
    attributes = dict(span.attributes or {})
    assert attributes[attr.IS_BATCH] is True
    assert attr.USAGE_OUTPUT_TOKENS not in attributes
    assert attr.USAGE_MISSING not in attributes


VALID: dict[str, Any] = {"provider": "vllm", "model": "m", "input_tokens": 10, "output_tokens": 5}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"provider": ""}, "provider must be a non-empty str"),
        ({"model": None}, "model must be a non-empty str"),
        ({"input_tokens": -1}, "input_tokens must be an int >= 0"),
        ({"output_tokens": 2.5}, "output_tokens must be an int >= 0"),
        ({"input_tokens": True}, "input_tokens must be an int >= 0"),
        ({"cache_read_tokens": 8, "cache_write_tokens": 3}, "must not exceed input_tokens"),
        ({"cache_write_tokens": 2, "cache_write_1h_tokens": 3}, "must not exceed cache_write"),
        ({"reasoning_tokens": 6}, "reasoning_tokens must not exceed output_tokens"),
        ({"operation": "invoke_agent"}, "operation must be one of"),
        ({"batch": "yes"}, "batch must be a bool"),
        ({"start_time": datetime(2026, 1, 1)}, "timezone-aware datetime"),
        ({"start_time": ENDED, "end_time": BEGAN}, "end_time must not be before start_time"),
        ({"user_id": 42}, "user_id must be a non-empty str"),
        ({"service_tier": ""}, "service_tier must be a non-empty str"),
    ],
)
def test_bad_input_gets_a_clear_error_and_records_nothing(
    tracer_provider: TracerProvider,
    spans: InMemorySpanExporter,
    changes: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        record_usage(**{**VALID, **changes}, tracer_provider=tracer_provider)
    assert spans.get_finished_spans() == ()
