"""From one OTLP span to one lake row, whichever instrumentation emitted it.

`normalize_span(resource, span)` returns a dict keyed by `LLM_CALLS_SCHEMA` column names
(all of them except the `kafka_*` columns, which the consumer adds) or None when the span
is not a billable model call: non-GenAI spans, and agent/workflow/chain/tool spans, which
may repeat their children's usage. Attribute names come from `conventions`; values are
coerced (counts may arrive as int, double or string). Pure and allocation-light: it runs
once per span on the ingest hot path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from llmledger.instrumentation.attributes import ATTRIBUTION_KEYS, INSTRUMENTATION_SCOPE
from llmledger.pipelines import conventions as names
from llmledger.pipelines.attribute_values import as_count, as_flag, as_text, attribute_values
from llmledger.pipelines.lake_schema import LLM_CALLS_SCHEMA

LakeRow = dict[str, Any]
SPAN_COLUMNS = tuple(f.name for f in LLM_CALLS_SCHEMA if not f.name.startswith("kafka_"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T = TypeVar("T")


def normalize_span(resource: Resource, span: Span, scope_name: str = "") -> LakeRow | None:
    """Map a span to a lake row without `kafka_*` columns, or None if it is not billable.

    `scope_name` is the instrumentation scope the span came from: the surest sign of
    which instrumentation made it.
    """
    attrs = attribute_values(span.attributes)
    used: set[str] = set()
    billable, operation = _operation(attrs, used)
    if not billable:
        return None
    resource_attrs = attribute_values(resource.attributes)
    input_tokens = _pick(attrs, names.INPUT_TOKENS, as_count, used)
    output_tokens = _pick(attrs, names.OUTPUT_TOKENS, as_count, used)
    usage_missing = _pick(attrs, names.USAGE_MISSING, as_flag, used)
    raw_usage = _raw_usage(attrs.get(names.RAW_USAGE))
    trace_id, span_id = span.trace_id.hex(), span.span_id.hex()
    row: LakeRow = {
        "call_id": f"{trace_id}-{span_id}",
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_span_id": span.parent_span_id.hex() or None,
        "started_at": _timestamp(span.start_time_unix_nano),
        "ended_at": _timestamp(span.end_time_unix_nano) if span.end_time_unix_nano else None,
        "service_name": as_text(resource_attrs.get("service.name")),
        "provider": _provider(_pick(attrs, names.PROVIDER, as_text, used)),
        "operation": operation,
        "request_model": _pick(attrs, names.REQUEST_MODEL, as_text, used),
        "response_model": _pick(attrs, names.RESPONSE_MODEL, as_text, used),
        "response_id": _pick(attrs, names.RESPONSE_ID, as_text, used),
        "input_tokens": input_tokens,
        "cache_read_input_tokens": _first(
            _pick(attrs, names.CACHE_READ_TOKENS, as_count, used),
            _dig(raw_usage, names.RAW_USAGE_CACHE_READ),
        ),
        "cache_write_input_tokens": _first(
            _pick(attrs, names.CACHE_WRITE_TOKENS, as_count, used),
            _dig(raw_usage, names.RAW_USAGE_CACHE_WRITE),
        ),
        "cache_write_1h_input_tokens": _pick(attrs, names.CACHE_WRITE_1H_TOKENS, as_count, used),
        "output_tokens": output_tokens,
        "reasoning_output_tokens": _first(
            _pick(attrs, names.REASONING_TOKENS, as_count, used),
            _dig(raw_usage, names.RAW_USAGE_REASONING),
        ),
        "service_tier": _pick(attrs, names.SERVICE_TIER, as_text, used),
        "is_batch": _pick(attrs, names.IS_BATCH, as_flag, used),
        "is_streaming": _pick(attrs, names.STREAMING, as_flag, used),
        # Without our explicit flag, a call reporting neither count has no usage to price.
        "is_usage_missing": usage_missing
        if usage_missing is not None
        else input_tokens is None and output_tokens is None,
        # Attribution set on the span wins; a resource-wide value is the fallback.
        "feature": _first(
            _pick(attrs, names.FEATURE, as_text, used),
            _pick(resource_attrs, names.FEATURE, as_text, set()),
        ),
        "team": _first(
            _pick(attrs, names.TEAM, as_text, used),
            _pick(resource_attrs, names.TEAM, as_text, set()),
        ),
        "user_id": _pick(attrs, names.USER, as_text, used),
        "session_id": _pick(attrs, names.SESSION, as_text, used),
        "convention": detect_convention(attrs, scope_name),
        "attributes_json": _unmapped_json(attrs, used),
    }
    return row


def detect_convention(attrs: dict[str, Any], scope_name: str = "") -> str:
    """Name the instrumentation whose attribute names the span uses."""
    if scope_name == INSTRUMENTATION_SCOPE:
        return "llmledger"
    if scope_name.startswith("com.anthropic") or "anthropic.request.id" in attrs:
        return "anthropic_sdk"  # the anthropic SDK's built-in tracing (2.x)
    keys = attrs.keys()
    # Attribution keys are stamped onto every instrumentation's spans, so they prove nothing.
    if any(key.startswith("llmledger.") and key not in ATTRIBUTION_KEYS for key in keys):
        return "llmledger"
    if "openinference.span.kind" in attrs or any(k.startswith("llm.token_count.") for k in keys):
        return "openinference"
    if "llm.request.type" in attrs or any(k.startswith(("traceloop.", "llm.usage.")) for k in keys):
        return "openllmetry"
    if "operation.cost" in attrs or any(key.startswith("logfire.") for key in keys):
        return "logfire"
    if any(key.startswith("gen_ai.") for key in keys):
        return "otel_genai"
    return "unknown"


def _operation(attrs: dict[str, Any], used: set[str]) -> tuple[bool, str | None]:
    for key in names.OPERATION:
        value = as_text(attrs.get(key))
        if value is not None:
            used.add(key)
            operation = names.BILLABLE_OPERATIONS.get(value.lower())
            return operation is not None, operation
    # No operation at all (some older emitters): a model call names a model, reports
    # usage and is not a wrapper span.
    has_model = any(key in attrs for key in names.REQUEST_MODEL + names.RESPONSE_MODEL)
    has_usage = any(key in attrs for key in names.INPUT_TOKENS + names.OUTPUT_TOKENS)
    is_wrapper = any(key in attrs for key in names.WRAPPER_MARKERS)
    return has_model and has_usage and not is_wrapper, None


def _pick(
    attrs: dict[str, Any],
    aliases: tuple[str, ...],
    coerce: Callable[[Any], T | None],
    used: set[str],
) -> T | None:
    # First alias with a usable value; an unusable one stays in attributes_json.
    for key in aliases:
        if key in attrs:
            value = coerce(attrs[key])
            if value is not None:
                used.add(key)
                return value
    return None


def _first(preferred: T | None, fallback: T | None) -> T | None:
    return preferred if preferred is not None else fallback


def _provider(spelling: str | None) -> str | None:
    if spelling is None:
        return None
    lowered = spelling.lower()
    return names.PROVIDER_SPELLINGS.get(lowered, lowered)


def _raw_usage(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, dict) else None


def _dig(usage: dict[str, Any] | None, paths: tuple[tuple[str, ...], ...]) -> int | None:
    for path in paths if usage is not None else ():
        node: Any = usage
        for step in path:
            node = node.get(step) if isinstance(node, dict) else None
        count = as_count(node)
        if count is not None:
            return count
    return None


def _unmapped_json(attrs: dict[str, Any], used: set[str]) -> str | None:
    rest = {
        key: value
        for key, value in attrs.items()
        if key not in used and not key.startswith(names.CONTENT_PREFIXES)
    }
    return json.dumps(rest, sort_keys=True, separators=(",", ":")) if rest else None


def _timestamp(unix_nano: int) -> datetime:
    return _EPOCH + timedelta(microseconds=unix_nano // 1000)
