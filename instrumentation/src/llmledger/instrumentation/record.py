"""`record_usage()`: record an LLM call made outside the instrumented SDKs.

For self-hosted model servers, gateways with their own client, and batch-job results read back
from a file: the span has exactly the shape of an instrumented call's (same scope, name, kind
and attributes), so the pipeline prices it the same way. Attribution comes from the arguments
and, for what they leave out, from the current `attribute(...)` context, as for any call.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.trace import TracerProvider
from opentelemetry.util.types import AttributeValue

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._llm_span import LLMSpan, TokenUsage, llm_tracer

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OPERATIONS = ("chat", "text_completion", "generate_content", "embeddings")


def _check_text(name: str, value: Any, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"record_usage(): {name} must be a non-empty str, got {value!r}")
    return value


def _check_count(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"record_usage(): {name} must be an int >= 0, got {value!r}")
    return int(value)


def _epoch_ns(name: str, moment: Any) -> int | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(
            f"record_usage(): {name} must be a timezone-aware datetime, got {moment!r}"
        )
    # Integer arithmetic: a float timestamp loses microseconds.
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1_000


def _checked_usage(counts: dict[str, Any]) -> TokenUsage:
    usage = TokenUsage(**{name: _check_count(name, value) for name, value in counts.items()})
    cache = (usage.cache_read_tokens or 0) + (usage.cache_write_tokens or 0)
    if cache > (usage.input_tokens or 0):
        raise ValueError(
            "record_usage(): cache_read_tokens + cache_write_tokens must not exceed input_tokens, "
            "which is the total including cache"
        )
    if (usage.cache_write_1h_tokens or 0) > (usage.cache_write_tokens or 0):
        raise ValueError("record_usage(): cache_write_1h_tokens must not exceed cache_write_tokens")
    if (usage.reasoning_tokens or 0) > (usage.output_tokens or 0):
        raise ValueError(
            "record_usage(): reasoning_tokens must not exceed output_tokens, "
            "which is the total including reasoning"
        )
    return usage


def record_usage(
    *,
    provider: str,
    model: str,
    input_tokens: int,
    output_tokens: int | None = None,
    cache_read_tokens: int | None = None,
    cache_write_tokens: int | None = None,
    cache_write_1h_tokens: int | None = None,
    reasoning_tokens: int | None = None,
    operation: str = "chat",
    response_model: str | None = None,
    response_id: str | None = None,
    service_tier: str | None = None,
    batch: bool = False,
    stream: bool = False,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    feature: str | None = None,
    team: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    tracer_provider: TracerProvider | None = None,
) -> None:
    """Record one LLM call's usage as an llmledger span; invalid input raises `ValueError`.

    Token counts follow the conventions' totals whatever the provider reports: `input_tokens`
    INCLUDES cache reads and writes (add Anthropic's cache counts to its `input_tokens`),
    `output_tokens` INCLUDES reasoning (add Gemini's thoughts to its candidates). `provider` is
    a `gen_ai.provider.name` value (``openai``, ``anthropic``, ``gcp.gen_ai``, ``vllm``, ...);
    `response_model` defaults to `model`; `service_tier` is the tier the provider says it served;
    `batch` marks results of a batch API (priced at batch rates). `start_time` / `end_time` are
    when the call ran (timezone-aware; default now, or `start_time` for the end). Uses the global
    tracer provider unless `tracer_provider` is given.
    """
    _check_text("provider", provider, required=True)
    _check_text("model", model, required=True)
    if operation not in _OPERATIONS:
        raise ValueError(
            f"record_usage(): operation must be one of {_OPERATIONS}, got {operation!r}"
        )
    for flag_name, flag in (("batch", batch), ("stream", stream)):
        if not isinstance(flag, bool):
            raise ValueError(f"record_usage(): {flag_name} must be a bool, got {flag!r}")
    if input_tokens is None:
        raise ValueError("record_usage(): input_tokens is required")
    usage = _checked_usage(
        {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_tokens": cache_read_tokens,
            "cache_write_tokens": cache_write_tokens,
            "cache_write_1h_tokens": cache_write_1h_tokens,
            "reasoning_tokens": reasoning_tokens,
        }
    )
    started, ended = _epoch_ns("start_time", start_time), _epoch_ns("end_time", end_time)
    if started is not None and ended is not None and ended < started:
        raise ValueError("record_usage(): end_time must not be before start_time")
    for fact_name, fact in (
        ("service_tier", service_tier),
        ("response_model", response_model),
        ("response_id", response_id),
    ):
        _check_text(fact_name, fact)
    # Set at start, so span processors (attribution, user-id hashing) see them as they would
    # see attribution stamped from baggage.
    attribution: dict[str, AttributeValue] = {}
    for key, given, name in (
        (attr.FEATURE, feature, "feature"),
        (attr.TEAM, team, "team"),
        (attr.USER_ID, user_id, "user_id"),
        (attr.CONVERSATION_ID, session_id, "session_id"),
    ):
        text = _check_text(name, given)
        if text is not None:
            attribution[key] = text
    llm_span = LLMSpan(
        llm_tracer(tracer_provider),
        provider=provider,
        operation=operation,
        request_model=model,
        stream=stream,
        batch=batch,
        start_time=started,
        extra_attributes=attribution,
    )
    llm_span.set_response(
        model=response_model or model, response_id=response_id, service_tier=service_tier
    )
    llm_span.set_usage(usage)
    llm_span.end(end_time=ended if ended is not None else started)
