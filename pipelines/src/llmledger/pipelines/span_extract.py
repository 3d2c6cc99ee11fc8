"""The normalizer's hot path: one span into a tuple of lake values.

`normalize.normalize_span` (the readable, dict-returning interface) and the consumer both
call `extract`, so there is one implementation of the alias rules. Everything the
attribute keys alone decide (which alias feeds which column, the convention, which keys
are prompt content) is planned once per key sequence and cached: spans from one
instrumentation repeat the same keys in the same order. Per span only the values are
read, and each column takes its first alias whose value coerces to something usable (the
"first usable alias wins" rule). Timestamps stay integers (microseconds since the epoch)
until the Parquet writer turns whole columns into timestamps. Token counts that are
impossible (negative, or beyond `MAX_PLAUSIBLE_TOKENS`) are reported as a problem for
`rejects` to act on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from llmledger.pipelines import conventions as names
from llmledger.pipelines.attribute_values import (
    as_count,
    as_flag,
    as_text,
    attribute_values,
    plain_value,
)
from llmledger.pipelines.attribute_wire import span_attributes
from llmledger.pipelines.convention_detect import detect_convention
from llmledger.pipelines.raw_usage import fill_from_raw_usage
from llmledger.pipelines.rejects import MAX_PLAUSIBLE_TOKENS, count_problem

# Columns filled from span attributes, in lake order from `provider` on.
_SLOTS: Final = (
    ("provider", names.PROVIDER, as_text),
    ("request_model", names.REQUEST_MODEL, as_text),
    ("response_model", names.RESPONSE_MODEL, as_text),
    ("response_id", names.RESPONSE_ID, as_text),
    ("input_tokens", names.INPUT_TOKENS, as_count),
    ("cache_read_input_tokens", names.CACHE_READ_TOKENS, as_count),
    ("cache_write_input_tokens", names.CACHE_WRITE_TOKENS, as_count),
    ("cache_write_1h_input_tokens", names.CACHE_WRITE_1H_TOKENS, as_count),
    ("output_tokens", names.OUTPUT_TOKENS, as_count),
    ("reasoning_output_tokens", names.REASONING_TOKENS, as_count),
    ("service_tier", names.SERVICE_TIER, as_text),
    ("is_batch", names.IS_BATCH, as_flag),
    ("is_streaming", names.STREAMING, as_flag),
    ("is_usage_missing", names.USAGE_MISSING, as_flag),
    ("feature", names.FEATURE, as_text),
    ("team", names.TEAM, as_text),
    ("user_id", names.USER, as_text),
    ("session_id", names.SESSION, as_text),
)
(PROVIDER, REQUEST_MODEL, RESPONSE_MODEL, RESPONSE_ID, INPUT, CACHE_READ, CACHE_WRITE,
 CACHE_WRITE_1H, OUTPUT, REASONING, SERVICE_TIER, IS_BATCH, STREAMING, USAGE_MISSING,
 FEATURE, TEAM, USER, SESSION) = range(len(_SLOTS))  # fmt: skip
_COUNT_KEYS: Final = tuple(
    key for _column, aliases, coerce in _SLOTS if coerce is as_count for key in aliases
)
# A span can be billable only if it names an operation or a model.
CANDIDATE_KEYS: Final = frozenset(names.OPERATION + names.REQUEST_MODEL + names.RESPONSE_MODEL)
_USAGE_KEYS: Final = frozenset(names.INPUT_TOKENS + names.OUTPUT_TOKENS)
_MODEL_KEYS: Final = frozenset(names.REQUEST_MODEL + names.RESPONSE_MODEL)
_RAW_USAGE_SLOTS: Final = (
    (CACHE_READ, names.RAW_USAGE_CACHE_READ),
    (CACHE_WRITE, names.RAW_USAGE_CACHE_WRITE),
    (REASONING, names.RAW_USAGE_REASONING),
)

_SCALARS: Final = frozenset({"string_value", "int_value", "double_value", "bool_value"})

ResourceFacts = tuple[str | None, str | None, str | None]  # service name, feature, team
Coerce = Callable[[Any], Any]


def resource_facts(resource: Resource) -> ResourceFacts:
    """What a span inherits from its resource: service name and fallback attribution."""
    attrs = attribute_values(resource.attributes)
    return (
        as_text(attrs.get("service.name")),
        next(filter(None, (as_text(attrs.get(key)) for key in names.FEATURE)), None),
        next(filter(None, (as_text(attrs.get(key)) for key in names.TEAM)), None),
    )


@dataclass(frozen=True)
class _Plan:
    """What one (scope, attribute key sequence) decides before any value is read."""

    convention: str
    operation_positions: tuple[tuple[int, str], ...]  # operation aliases, priority order
    billable_without_operation: bool  # names a model, reports usage, is not a wrapper
    # Per slot, its aliases present as (position, key, coerce), in priority order.
    slots: tuple[tuple[int, tuple[tuple[int, str, Coerce], ...]], ...]
    count_positions: tuple[int, ...]  # every token-count alias present
    kept: tuple[tuple[int, str], ...]  # first occurrence of each non-content key
    raw_usage_position: int | None


_PLANS: dict[tuple[str, tuple[str, ...]], _Plan] = {}
_MAX_PLANS = 10_000


def _plan(scope_name: str, keys: tuple[str, ...]) -> _Plan:
    first: dict[str, int] = {}
    for position, key in enumerate(keys):
        first.setdefault(key, position)  # the first of duplicate keys wins
    slots = []
    for slot, (_column, aliases, coerce) in enumerate(_SLOTS):
        present = tuple((first[key], key, coerce) for key in aliases if key in first)
        if present:
            slots.append((slot, present))
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()  # a stream of ever-new key sets must not grow memory without bound
    plan = _PLANS[(scope_name, keys)] = _Plan(
        convention=detect_convention(first, scope_name),
        operation_positions=tuple((first[key], key) for key in names.OPERATION if key in first),
        billable_without_operation=(
            not _MODEL_KEYS.isdisjoint(first)
            and not _USAGE_KEYS.isdisjoint(first)
            and not any(key in first for key in names.WRAPPER_MARKERS)
        ),
        slots=tuple(slots),
        count_positions=tuple(first[key] for key in _COUNT_KEYS if key in first),
        kept=tuple(
            (position, key)
            for key, position in first.items()
            if not key.startswith(names.CONTENT_PREFIXES)
        ),
        raw_usage_position=first.get(names.RAW_USAGE),
    )
    return plan


def extract(
    span: Span, scope_name: str, resource: ResourceFacts, data: bytes | None = None
) -> tuple[tuple[Any, ...], str | None] | None:
    """The span's lake values (`normalize.SPAN_COLUMNS` order) and a count problem, or None.

    None when the span is not a billable model call. `started_at`/`ended_at` are integer
    microseconds since the epoch (`ended_at` None when the span never ended). `data`, the
    span's serialized bytes when at hand, lets the attributes be read from them (faster).
    """
    pairs = None if data is None else span_attributes(data)
    if pairs is not None:
        keys = tuple([key for key, _value in pairs])
        plan = _PLANS.get((scope_name, keys)) or _plan(scope_name, keys)
        if not plan.operation_positions and not plan.billable_without_operation:
            return None
        values: list[Any] = [value for _key, value in pairs]
    else:
        key_values = list(span.attributes)
        keys = tuple([key_value.key for key_value in key_values])
        plan = _PLANS.get((scope_name, keys)) or _plan(scope_name, keys)
        if not plan.operation_positions and not plan.billable_without_operation:
            return None
        values = [None] * len(keys)  # prompt content is never read
        for position, _key in plan.kept:
            value = key_values[position].value
            kind = value.WhichOneof("value")
            values[position] = getattr(value, kind) if kind in _SCALARS else plain_value(value)
    used: set[str] = set()
    operation = None
    for position, key in plan.operation_positions:
        text = as_text(values[position])
        if text is not None:
            operation = names.BILLABLE_OPERATIONS.get(text.lower())
            if operation is None:
                return None  # agent, workflow, tool...: may repeat its children's usage
            used.add(key)
            break
    else:
        if not plan.billable_without_operation:
            return None
    best: list[Any] = [None] * len(_SLOTS)
    for slot, aliases in plan.slots:
        for position, key, coerce in aliases:
            value = coerce(values[position])
            if value is not None:
                best[slot] = value
                used.add(key)
                break
    problem = None
    for position in plan.count_positions:
        raw = values[position]
        if raw.__class__ is not int or not 0 <= raw <= MAX_PLAUSIBLE_TOKENS:
            problem = problem or count_problem(raw)
    if plan.raw_usage_position is not None:
        fill_from_raw_usage(best, values[plan.raw_usage_position], _RAW_USAGE_SLOTS)
    if best[USAGE_MISSING] is None:
        # Without our explicit flag, a call reporting neither count has no usage to price.
        best[USAGE_MISSING] = best[INPUT] is None and best[OUTPUT] is None
    provider = best[PROVIDER]
    if provider is not None:
        lowered = provider.lower()
        best[PROVIDER] = names.PROVIDER_SPELLINGS.get(lowered, lowered)
    rest = {key: values[position] for position, key in plan.kept if key not in used}
    trace_id, span_id = span.trace_id.hex(), span.span_id.hex()
    end = span.end_time_unix_nano
    row = (
        f"{trace_id}-{span_id}",
        trace_id,
        span_id,
        span.parent_span_id.hex() or None,
        span.start_time_unix_nano // 1000,
        end // 1000 if end else None,
        resource[0],
        best[PROVIDER],
        operation,
        *best[REQUEST_MODEL:FEATURE],
        best[FEATURE] if best[FEATURE] is not None else resource[1],
        best[TEAM] if best[TEAM] is not None else resource[2],
        best[USER],
        best[SESSION],
        plan.convention,
        json.dumps(rest, sort_keys=True, separators=(",", ":")) if rest else None,
    )
    return row, problem
