"""normalize_span against the attribute names each instrumentation really emits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmledger.pipelines.attribute_values import as_count, as_flag
from llmledger.pipelines.lake_schema import LLM_CALLS_SCHEMA
from llmledger.pipelines.normalize import normalize_span

STARTED = datetime(2026, 3, 14, 23, 59, 58, 123456, tzinfo=UTC)


def row_for(otlp: SimpleNamespace, attributes: dict[str, Any], **resource: Any) -> Any:
    resource_attrs = {"service.name": "checkout", **resource}
    return normalize_span(otlp.resource(resource_attrs), otlp.span(attributes, start=STARTED))


def unmapped(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row["attributes_json"]) if row["attributes_json"] else {}


def test_llmledger_span_fills_every_column(otlp: SimpleNamespace) -> None:
    attributes = {
        "gen_ai.provider.name": "anthropic",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-sonnet-4-5",
        "gen_ai.response.model": "claude-sonnet-4-5-20250929",
        "gen_ai.response.id": "msg_01",
        "gen_ai.request.stream": True,
        "gen_ai.usage.input_tokens": 5300,
        "gen_ai.usage.cache_read.input_tokens": 4000,
        "gen_ai.usage.cache_write.input_tokens": 1000,
        "llmledger.usage.cache_write_1h.input_tokens": 600,
        "gen_ai.usage.output_tokens": 812,
        "gen_ai.usage.reasoning.output_tokens": 300,
        "llmledger.response.service_tier": "priority",
        "llmledger.request.batch": False,
        "llmledger.feature": "support-reply",
        "llmledger.team": "care",
        "user.id": "u-42",
        "gen_ai.conversation.id": "conv-7",
    }
    row = row_for(otlp, attributes)

    expected_ended = datetime(2026, 3, 14, 23, 59, 59, 623456, tzinfo=UTC)
    assert row == {
        "call_id": "0102030405060708090a0b0c0d0e0f10-15161718191a1b1c",
        "trace_id": "0102030405060708090a0b0c0d0e0f10",
        "span_id": "15161718191a1b1c",
        "parent_span_id": None,
        "started_at": STARTED,
        "ended_at": expected_ended,
        "service_name": "checkout",
        "provider": "anthropic",
        "operation": "chat",
        "request_model": "claude-sonnet-4-5",
        "response_model": "claude-sonnet-4-5-20250929",
        "response_id": "msg_01",
        "input_tokens": 5300,
        "cache_read_input_tokens": 4000,
        "cache_write_input_tokens": 1000,
        "cache_write_1h_input_tokens": 600,
        "output_tokens": 812,
        "reasoning_output_tokens": 300,
        "service_tier": "priority",
        "is_batch": False,
        "is_streaming": True,
        "is_usage_missing": False,
        "feature": "support-reply",
        "team": "care",
        "user_id": "u-42",
        "session_id": "conv-7",
        "convention": "llmledger",
        "attributes_json": None,
    }
    lake_columns = {f.name for f in LLM_CALLS_SCHEMA if not f.name.startswith("kafka_")}
    assert set(row) == lake_columns


def test_otel_genai_current_names(otlp: SimpleNamespace) -> None:
    row = row_for(
        otlp,
        {
            "gen_ai.provider.name": "openai",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 1200,
            "gen_ai.usage.cache_read.input_tokens": 1024,
            "gen_ai.usage.cache_creation.input_tokens": 0,
            "gen_ai.usage.output_tokens": 90,
            "gen_ai.usage.reasoning.output_tokens": 64,
            "openai.response.service_tier": "flex",
        },
    )
    assert row["convention"] == "otel_genai"
    assert (row["provider"], row["request_model"], row["response_model"]) == (
        "openai",
        "gpt-4o",
        None,
    )
    assert (row["input_tokens"], row["cache_read_input_tokens"]) == (1200, 1024)
    assert row["cache_write_input_tokens"] == 0  # reported zero stays zero, not NULL
    assert (row["output_tokens"], row["reasoning_output_tokens"]) == (90, 64)
    assert row["service_tier"] == "flex"
    assert row["attributes_json"] is None


def test_otel_genai_old_names(otlp: SimpleNamespace) -> None:
    row = row_for(
        otlp,
        {
            "gen_ai.system": "openai",
            "gen_ai.operation.name": "text_completion",
            "gen_ai.request.model": "gpt-3.5-turbo-instruct",
            "gen_ai.usage.prompt_tokens": 31,
            "gen_ai.usage.completion_tokens": 7,
            "gen_ai.openai.response.service_tier": "default",
        },
    )
    assert row["convention"] == "otel_genai"
    assert (row["provider"], row["operation"]) == ("openai", "text_completion")
    assert (row["input_tokens"], row["output_tokens"]) == (31, 7)
    assert row["cache_read_input_tokens"] is None
    assert row["service_tier"] == "default"


def test_openllmetry_before_0_48(otlp: SimpleNamespace) -> None:
    row = row_for(
        otlp,
        {
            "gen_ai.system": "Anthropic",
            "llm.request.type": "chat",
            "gen_ai.request.model": "claude-3-5-haiku",
            "gen_ai.usage.prompt_tokens": 2100,
            "gen_ai.usage.completion_tokens": 150,
            "llm.usage.total_tokens": 2250,
            "gen_ai.usage.cache_read_input_tokens": 2000,
            "gen_ai.usage.cache_creation_input_tokens": 50,
            "llm.is_streaming": False,
            "traceloop.association.properties.user_id": "u-9",
            "traceloop.association.properties.session_id": "s-1",
            "gen_ai.prompt.0.role": "user",
            "gen_ai.prompt.0.content": "my card number is ...",
            "gen_ai.completion.0.content": "sure",
        },
    )
    assert row["convention"] == "openllmetry"
    assert (row["provider"], row["operation"]) == ("anthropic", "chat")
    assert (row["input_tokens"], row["output_tokens"]) == (2100, 150)
    assert (row["cache_read_input_tokens"], row["cache_write_input_tokens"]) == (2000, 50)
    assert (row["user_id"], row["session_id"], row["is_streaming"]) == ("u-9", "s-1", False)
    # The total is kept for reconciliation; prompt and completion text never reach the lake.
    assert unmapped(row) == {"llm.usage.total_tokens": 2250}


def test_openllmetry_0_55(otlp: SimpleNamespace) -> None:
    row = row_for(
        otlp,
        {
            "gen_ai.provider.name": "openai",
            "llm.request.type": "completion",
            "gen_ai.request.model": "gpt-3.5-turbo-instruct",
            "gen_ai.response.model": "gpt-3.5-turbo-instruct",
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 40,
            "llm.usage.total_tokens": 52,
            "traceloop.association.properties.customer_id": "acme",
        },
    )
    assert row["convention"] == "openllmetry"
    assert row["operation"] == "text_completion"
    assert (row["input_tokens"], row["output_tokens"], row["user_id"]) == (12, 40, "acme")


def test_openinference_anthropic_prompt_count_is_already_the_total(
    otlp: SimpleNamespace,
) -> None:
    row = row_for(
        otlp,
        {
            "openinference.span.kind": "LLM",
            "llm.provider": "anthropic",
            "llm.system": "anthropic",
            "llm.model_name": "claude-sonnet-4-5",
            "llm.token_count.prompt": 5300,  # includes the 4000 + 1000 cache tokens
            "llm.token_count.prompt_details.cache_read": 4000,
            "llm.token_count.prompt_details.cache_write": 1000,
            "llm.token_count.completion": 812,
            "llm.token_count.completion_details.reasoning": 300,
            "llm.token_count.total": 6112,
            "llm.cost.total": 0.0321,
            "user.id": "u-1",
            "session.id": "s-2",
            "input.value": "hello",
            "llm.input_messages.0.message.content": "hello",
        },
    )
    assert row["convention"] == "openinference"
    assert (row["provider"], row["operation"]) == ("anthropic", "chat")
    assert row["request_model"] == row["response_model"] == "claude-sonnet-4-5"
    assert row["input_tokens"] == 5300  # not 5300 + 5000: no double counting of cache
    assert (row["cache_read_input_tokens"], row["cache_write_input_tokens"]) == (4000, 1000)
    assert (row["output_tokens"], row["reasoning_output_tokens"]) == (812, 300)
    assert (row["user_id"], row["session_id"]) == ("u-1", "s-2")
    assert unmapped(row) == {
        "llm.system": "anthropic",
        "llm.token_count.total": 6112,
        "llm.cost.total": 0.0321,
    }


def test_openinference_embedding(otlp: SimpleNamespace) -> None:
    row = row_for(
        otlp,
        {
            "openinference.span.kind": "EMBEDDING",
            "llm.provider": "openai",
            "llm.model_name": "text-embedding-3-small",
            "llm.token_count.prompt": 8,
        },
    )
    assert (row["operation"], row["input_tokens"], row["output_tokens"]) == ("embeddings", 8, None)
    assert row["is_usage_missing"] is False


def test_logfire_detail_comes_from_the_raw_usage_object(otlp: SimpleNamespace) -> None:
    raw_usage = {
        "prompt_tokens": 900,
        "completion_tokens": 120,
        "prompt_tokens_details": {"cached_tokens": 768},
        "completion_tokens_details": {"reasoning_tokens": 80},
    }
    row = row_for(
        otlp,
        {
            "gen_ai.system": "openai",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "o4-mini",
            "gen_ai.response.model": "o4-mini-2025-04-16",
            "gen_ai.usage.input_tokens": 900,
            "gen_ai.usage.output_tokens": 120,
            "gen_ai.usage.raw": json.dumps(raw_usage),
            "operation.cost": 0.0012,
            "logfire.msg": "Chat Completion with 'o4-mini'",
        },
    )
    assert row["convention"] == "logfire"
    assert (row["input_tokens"], row["cache_read_input_tokens"]) == (900, 768)
    assert (row["output_tokens"], row["reasoning_output_tokens"]) == (120, 80)
    assert row["cache_write_input_tokens"] is None
    assert unmapped(row)["operation.cost"] == 0.0012


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("OpenAI", "openai"),
        ("az.ai.openai", "azure"),
        ("aws.bedrock", "aws"),
        ("gcp.gen_ai", "google"),
        ("gcp.vertex_ai", "google"),
        ("mistral_ai", "mistral"),
        ("mistralai", "mistral"),
        ("x_ai", "xai"),
        ("Groq", "groq"),
        ("deepseek", "deepseek"),
        ("Cohere", "cohere"),
    ],
)
def test_provider_spellings(otlp: SimpleNamespace, spelling: str, canonical: str) -> None:
    row = row_for(otlp, {"gen_ai.system": spelling, "gen_ai.operation.name": "chat"})
    assert row["provider"] == canonical


def test_counts_are_coerced_from_doubles_and_strings(otlp: SimpleNamespace) -> None:
    row = row_for(
        otlp,
        {
            "gen_ai.provider.name": "openai",
            "gen_ai.operation.name": "chat",
            "gen_ai.usage.input_tokens": 1200.0,
            "gen_ai.usage.output_tokens": " 75 ",
            "gen_ai.usage.cache_read.input_tokens": "1.5",
            "gen_ai.usage.reasoning.output_tokens": -3,
            "gen_ai.request.stream": "true",
            "llmledger.request.batch": 1,
        },
    )
    assert (row["input_tokens"], row["output_tokens"]) == (1200, 75)
    assert (row["is_streaming"], row["is_batch"]) == (True, True)
    # Unusable values are not guessed at: NULL in the column, kept verbatim for reprocessing.
    assert row["cache_read_input_tokens"] is None
    assert row["reasoning_output_tokens"] is None
    assert unmapped(row) == {
        "gen_ai.usage.cache_read.input_tokens": "1.5",
        "gen_ai.usage.reasoning.output_tokens": -3,
    }


def test_first_usable_alias_wins(otlp: SimpleNamespace) -> None:
    row = row_for(
        otlp,
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.usage.input_tokens": "n/a",
            "gen_ai.usage.prompt_tokens": 90,
            "llm.token_count.prompt": 95,
            "gen_ai.usage.output_tokens": 10,
            "gen_ai.usage.completion_tokens": 11,
        },
    )
    assert (row["input_tokens"], row["output_tokens"]) == (90, 10)
    assert unmapped(row) == {
        "gen_ai.usage.input_tokens": "n/a",
        "llm.token_count.prompt": 95,
        "gen_ai.usage.completion_tokens": 11,
    }


@pytest.mark.parametrize(
    "attributes",
    [
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 5000},
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"},
        {"openinference.span.kind": "AGENT", "llm.token_count.prompt": 5000},
        {"openinference.span.kind": "CHAIN", "llm.token_count.prompt": 5000},
        {
            "traceloop.span.kind": "workflow",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 5000,
        },
        {"http.request.method": "POST", "url.full": "https://api.openai.com/v1/chat"},
        {},
    ],
    ids=["invoke_agent", "tool", "oi-agent", "oi-chain", "traceloop-workflow", "http", "empty"],
)
def test_spans_that_are_not_billable_model_calls_give_no_row(
    otlp: SimpleNamespace, attributes: dict[str, Any]
) -> None:
    assert row_for(otlp, attributes) is None


def test_model_call_without_operation_name_is_still_billed(otlp: SimpleNamespace) -> None:
    row = row_for(
        otlp,
        {
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 3,
        },
    )
    assert (row["operation"], row["input_tokens"]) == (None, 3)


def test_usage_missing_is_derived_unless_reported(otlp: SimpleNamespace) -> None:
    streamed = {"gen_ai.operation.name": "chat", "gen_ai.request.stream": True}
    assert row_for(otlp, streamed)["is_usage_missing"] is True
    flagged = {**streamed, "llmledger.usage.missing": False}
    assert row_for(otlp, flagged)["is_usage_missing"] is False


def test_attribution_falls_back_to_resource_attributes(otlp: SimpleNamespace) -> None:
    span_attrs = {"gen_ai.operation.name": "chat", "llmledger.team": "growth"}
    row = row_for(otlp, span_attrs, **{"llmledger.team": "core", "llmledger.feature": "search"})
    assert (row["team"], row["feature"]) == ("growth", "search")


def test_parent_and_timestamps_in_utc(otlp: SimpleNamespace) -> None:
    span = otlp.span(
        {"gen_ai.operation.name": "embeddings"},
        parent_span_id=bytes.fromhex("aabbccddeeff0011"),
        start=STARTED,
        duration_ns=0,
    )
    span.end_time_unix_nano = 0  # never ended
    row = normalize_span(otlp.resource(), span)
    assert row is not None
    assert row["parent_span_id"] == "aabbccddeeff0011"
    assert row["started_at"] == STARTED and row["started_at"].utcoffset().total_seconds() == 0
    assert row["ended_at"] is None


@given(st.integers(min_value=0, max_value=2**53))
def test_count_spellings_agree(count: int) -> None:
    assert as_count(count) == as_count(str(count)) == as_count(float(count)) == count


@given(st.integers(max_value=-1) | st.integers(min_value=2**63))
def test_counts_outside_int64_or_negative_are_rejected(count: int) -> None:
    assert as_count(count) is None


@pytest.mark.parametrize(
    ("value", "flag"), [(True, True), ("FALSE", False), (0, False), ("yes", None), (2, None)]
)
def test_flags(value: Any, flag: bool | None) -> None:
    assert as_flag(value) is flag


def test_anthropic_sdk_builtin_span(otlp: SimpleNamespace) -> None:
    """anthropic 2.x traces its own calls; the attributes are those it really emits."""
    attributes = {
        "gen_ai.provider.name": "anthropic",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-haiku-4-5",
        "gen_ai.response.model": "claude-haiku-4-5-20251001",
        "gen_ai.response.id": "msg_sim1",
        "anthropic.request.id": "req_1",
        "gen_ai.usage.input_tokens": 50000,
        "gen_ai.usage.cache_read.input_tokens": 30000,
        "gen_ai.usage.cache_write.input_tokens": 10000,
        "anthropic.usage.cache_creation.ephemeral_5m_input_tokens": 6000,
        "anthropic.usage.cache_creation.ephemeral_1h_input_tokens": 4000,
        "anthropic.response.service_tier": "standard",
        "gen_ai.usage.output_tokens": 2000,
        "llmledger.feature": "search-summary",  # stamped by our attribution processor
    }
    row = normalize_span(
        otlp.resource(), otlp.span(attributes, start=STARTED), "com.anthropic.sdk.python"
    )
    assert row is not None
    assert row["convention"] == "anthropic_sdk"
    assert (row["response_id"], row["feature"]) == ("msg_sim1", "search-summary")
    assert (row["input_tokens"], row["cache_read_input_tokens"]) == (50000, 30000)
    assert (row["cache_write_input_tokens"], row["cache_write_1h_input_tokens"]) == (10000, 4000)
    assert (row["output_tokens"], row["service_tier"]) == (2000, "standard")


def test_our_scope_marks_our_spans_and_attribution_alone_does_not(otlp: SimpleNamespace) -> None:
    attributes = {
        "gen_ai.provider.name": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 2,
        "llmledger.feature": "f",
        "llmledger.team": "t",
    }
    span = otlp.span(attributes, start=STARTED)
    assert normalize_span(otlp.resource(), span)["convention"] == "otel_genai"  # type: ignore[index]
    ours = normalize_span(otlp.resource(), span, "llmledger.instrumentation")
    assert ours is not None and ours["convention"] == "llmledger"
