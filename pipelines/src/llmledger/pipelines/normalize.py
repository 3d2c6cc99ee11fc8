"""From one OTLP span to one lake row, whichever instrumentation emitted it.

`normalize_span(resource, span)` returns a dict keyed by `LLM_CALLS_SCHEMA` column names
(all of them except the `kafka_*` columns, which the consumer adds) or None when the span
is not a billable model call: non-GenAI spans, and agent/workflow/chain/tool spans, which
may repeat their children's usage. Attribute names come from `conventions`; values are
coerced (counts may arrive as int, double or string). The work is done by
`span_extract.extract`, the consumer's hot path, so both follow the same rules.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from llmledger.pipelines.convention_detect import detect_convention
from llmledger.pipelines.lake_schema import LLM_CALLS_SCHEMA
from llmledger.pipelines.span_extract import extract, resource_facts
from llmledger.pipelines.span_record import record_from_span

LakeRow = dict[str, Any]
SPAN_COLUMNS = tuple(f.name for f in LLM_CALLS_SCHEMA if not f.name.startswith("kafka_"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
__all__ = ["SPAN_COLUMNS", "LakeRow", "detect_convention", "normalize_span"]


def normalize_span(resource: Resource, span: Span, scope_name: str = "") -> LakeRow | None:
    """Map a span to a lake row without `kafka_*` columns, or None if it is not billable.

    `scope_name` is the instrumentation scope the span came from: the surest sign of
    which instrumentation made it. Impossible counts (negative, absurd) are left NULL and
    kept in `attributes_json`, as any unusable value; the consumer additionally sends such
    spans to the rejects dataset (see `rejects`).
    """
    extracted = extract(record_from_span(span), scope_name, resource_facts(resource))
    if extracted is None:
        return None
    row = dict(zip(SPAN_COLUMNS, extracted[0], strict=True))
    row["started_at"] = _timestamp(row["started_at"])
    if row["ended_at"] is not None:
        row["ended_at"] = _timestamp(row["ended_at"])
    return row


def _timestamp(unix_micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=unix_micros)
