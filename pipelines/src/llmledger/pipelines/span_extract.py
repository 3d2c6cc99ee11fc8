"""The normalizer's rules: one span record into a tuple of lake values.

`normalize.normalize_span` (the readable, dict-returning interface) and the consumer both
call `extract`, so there is one implementation of the alias rules. Everything the
attribute keys alone decide (which alias feeds which column, the convention, which keys
are prompt content, which are left for `attributes_json`) is planned here, once per key
sequence, and cached: spans from one instrumentation repeat the same keys in the same
order. Per span only the values are read, by `llmledger_wire.extract_row` (C): each column
takes its first alias whose value coerces to something usable (the "first usable alias
wins" rule). Timestamps stay integers (microseconds since the epoch) until the Parquet
writer turns whole columns into timestamps. Token counts that are impossible (negative,
or beyond `MAX_PLAUSIBLE_TOKENS`) are reported as a problem for `rejects` to act on.
"""

from __future__ import annotations

import json
from functools import partial
from json.encoder import encode_basestring_ascii
from typing import Any, Final, NamedTuple

from llmledger_wire import extract_row
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from llmledger.pipelines import conventions as names
from llmledger.pipelines.attribute_values import as_count, as_flag, as_text, attribute_values
from llmledger.pipelines.convention_detect import detect_convention
from llmledger.pipelines.lake_schema import LLM_CALLS_SCHEMA
from llmledger.pipelines.raw_usage import fill_from_raw_usage
from llmledger.pipelines.rejects import MAX_PLAUSIBLE_TOKENS, count_problem
from llmledger.pipelines.span_record import SpanRecord

# Columns filled from span attributes, in lake order from `provider` on; `extract_row`
# relies on this order (checked below against the lake schema).
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
_COERCION_KINDS: Final = {as_text: 0, as_count: 1, as_flag: 2}  # as `extract_row` numbers them
_CACHE_READ, _CACHE_WRITE, _REASONING = 5, 6, 9
_COUNT_KEYS: Final = tuple(
    key for _column, aliases, coerce in _SLOTS if coerce is as_count for key in aliases
)
# A span can be billable only if it names an operation or a model.
CANDIDATE_KEYS: Final = frozenset(names.OPERATION + names.REQUEST_MODEL + names.RESPONSE_MODEL)
_USAGE_KEYS: Final = frozenset(names.INPUT_TOKENS + names.OUTPUT_TOKENS)
_MODEL_KEYS: Final = frozenset(names.REQUEST_MODEL + names.RESPONSE_MODEL)
_RAW_USAGE_SLOTS: Final = (
    (_CACHE_READ, names.RAW_USAGE_CACHE_READ),
    (_CACHE_WRITE, names.RAW_USAGE_CACHE_WRITE),
    (_REASONING, names.RAW_USAGE_REASONING),
)
# What `extract_row` needs besides the plan, in the order it expects.
_RULES: Final = (
    names.BILLABLE_OPERATIONS,
    names.PROVIDER_SPELLINGS,
    count_problem,
    partial(fill_from_raw_usage, slots=_RAW_USAGE_SLOTS),
    encode_basestring_ascii,  # one JSON string, as json.dumps writes it
    json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode,
    MAX_PLAUSIBLE_TOKENS,
)

ResourceFacts = tuple[str | None, str | None, str | None]  # service name, feature, team


def _check_row_layout() -> None:
    columns = [f.name for f in LLM_CALLS_SCHEMA]
    slots = [column for column, _aliases, _coerce in _SLOTS]
    expected = [columns[7], *columns[9:26]]  # provider; request_model .. session_id
    if (
        slots != expected
        or columns[6] != "service_name"
        or columns[26:28]
        != [
            "convention",
            "attributes_json",
        ]
    ):
        raise RuntimeError("lake columns and span_extract slots disagree: update extract_row")


_check_row_layout()


def resource_facts(resource: Resource) -> ResourceFacts:
    """What a span inherits from its resource: service name and fallback attribution."""
    attrs = attribute_values(resource.attributes)
    return (
        as_text(attrs.get("service.name")),
        next(filter(None, (as_text(attrs.get(key)) for key in names.FEATURE)), None),
        next(filter(None, (as_text(attrs.get(key)) for key in names.TEAM)), None),
    )


class _Plan(NamedTuple):
    """What one (scope, attribute key sequence) decides before any value is read."""

    convention: str
    operation_positions: tuple[int, ...]  # operation aliases present, priority order
    billable_without_operation: bool  # names a model, reports usage, is not a wrapper
    # Per slot, its aliases present as (position, coercion kind), in priority order.
    slots: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]
    count_positions: tuple[int, ...]  # every token-count alias present
    # First occurrence of each non-content key, sorted by key: (position, key, JSON key).
    kept: tuple[tuple[int, str, str], ...]
    raw_usage_position: int | None


_PLANS: dict[str, dict[tuple[str, ...], _Plan]] = {}  # scope name -> key sequence -> plan
_MAX_PLANS = 10_000


def _plan(scope_name: str, keys: tuple[str, ...]) -> _Plan:
    first: dict[str, int] = {}
    for position, key in enumerate(keys):
        first.setdefault(key, position)  # the first of duplicate keys wins
    slots = []
    for slot, (_column, aliases, coerce) in enumerate(_SLOTS):
        kind = _COERCION_KINDS[coerce]
        present = tuple((first[key], kind) for key in aliases if key in first)
        if present:
            slots.append((slot, present))
    if sum(map(len, _PLANS.values())) >= _MAX_PLANS:
        _PLANS.clear()  # a stream of ever-new key sets must not grow memory without bound
    plan = _PLANS.setdefault(scope_name, {})[keys] = _Plan(
        convention=detect_convention(first, scope_name),
        operation_positions=tuple(first[key] for key in names.OPERATION if key in first),
        billable_without_operation=(
            not _MODEL_KEYS.isdisjoint(first)
            and not _USAGE_KEYS.isdisjoint(first)
            and not any(key in first for key in names.WRAPPER_MARKERS)
        ),
        slots=tuple(slots),
        count_positions=tuple(first[key] for key in _COUNT_KEYS if key in first),
        kept=tuple(
            (position, key, json.dumps(key) + ":")
            for key, position in sorted(first.items())
            if not key.startswith(names.CONTENT_PREFIXES)
        ),
        raw_usage_position=first.get(names.RAW_USAGE),
    )
    return plan


def extract(
    record: SpanRecord, scope_name: str, resource: ResourceFacts
) -> tuple[tuple[Any, ...], str | None] | None:
    """The span's lake values (`normalize.SPAN_COLUMNS` order) and a count problem, or None.

    None when the span is not a billable model call. `started_at`/`ended_at` are integer
    microseconds since the epoch (`ended_at` None when the span never ended).
    """
    keys = record[5]
    plans = _PLANS.get(scope_name)
    plan = plans.get(keys) if plans is not None else None
    if plan is None:
        plan = _plan(scope_name, keys)
    return extract_row(plan, record, resource, _RULES)
