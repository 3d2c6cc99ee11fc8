"""Which cost fields an instrumentation's spans carry, found by value, whatever the names.

The calls report distinctive token counts (see `peer_emit.USAGE`), so a count is "recorded"
when some span attribute holds exactly that number, and the served tier when some attribute is
exactly the served tier's name (the requested tier differs). This measures each instrumentation
independently of llmledger's alias table; `test_rows` then checks that the normalizer reads
what was recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

# Cost field -> usage key of the value that proves it is recorded.
COUNT_FIELDS: Final = {
    "input": "input_tokens",
    "cache read": "cache_read_tokens",
    "cache write": "cache_write_tokens",
    "output": "output_tokens",
    "reasoning": "reasoning_tokens",
}
FIELDS: Final = (*COUNT_FIELDS, "served tier", "response model")
KIND_LABELS: Final = {
    "non_streaming": "non-streaming",
    "stream": "streams without include_usage",
    "stream_include_usage": "streams with include_usage",
}
Coverage = dict[str, frozenset[str]]  # field -> call kinds whose span records it


def _values(value: AnyValue) -> Iterator[Any]:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        for item in value.array_value.values:
            yield from _values(item)
    elif kind == "kvlist_value":
        for pair in value.kvlist_value.values:
            yield from _values(pair.value)
    elif kind is not None:
        yield getattr(value, kind)


def span_values(attributes: Any) -> list[Any]:
    """Every scalar attribute value, arrays and key-value lists flattened."""
    pairs: list[KeyValue] = list(attributes)
    return [item for pair in pairs for item in _values(pair.value)]


def recorded_fields(span: Span, usage: Mapping[str, Any], response_model: str) -> set[str]:
    """The cost fields whose exact value appears among the span's attribute values."""
    values = span_values(span.attributes)
    counts = {v for v in values if isinstance(v, int) and not isinstance(v, bool)}
    texts = {v for v in values if isinstance(v, str)}
    found = {field for field, key in COUNT_FIELDS.items() if usage[key] in counts}
    if usage["service_tier"] in texts:
        found.add("served tier")
    if response_model in texts:
        found.add("response model")
    return found


def captures_content(span: Span, marker: str) -> bool:
    """Whether prompt text (`marker`) is in the span's attributes or its events' attributes."""
    sources = [span.attributes, *(event.attributes for event in span.events)]
    return any(
        isinstance(value, str) and marker in value
        for attributes in sources
        for value in span_values(attributes)
    )


def llm_spans(request: ExportTraceServiceRequest, wrapper_scope: str) -> list[Span]:
    """The instrumentation's own spans (not the test's wrapper spans), in call order."""
    spans = [
        span
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        if scope_spans.scope.name != wrapper_scope
        for span in scope_spans.spans
    ]
    return sorted(spans, key=lambda span: span.start_time_unix_nano)


def coverage(spans_by_kind: Mapping[str, Span], usage: Mapping[str, Any], model: str) -> Coverage:
    """For each cost field, the call kinds whose span records it."""
    found = {kind: recorded_fields(span, usage, model) for kind, span in spans_by_kind.items()}
    return {
        field: frozenset(kind for kind, fields in found.items() if field in fields)
        for field in FIELDS
    }


_CELLS: Final = {
    frozenset(KIND_LABELS): "yes",
    frozenset(): "no",
    frozenset({"non_streaming", "stream_include_usage"}): "yes*",
    frozenset({"non_streaming"}): "non-streaming only",
}
FOOTNOTE: Final = (
    "\\* not on streamed calls unless the app itself sets `stream_options.include_usage` "
    "(without it the API sends no usage)."
)


def _cell(kinds: frozenset[str]) -> str:
    return _CELLS.get(kinds) or "only " + ", ".join(
        KIND_LABELS[k] for k in KIND_LABELS if k in kinds
    )


def markdown_table(
    labels: Mapping[str, str],
    coverages: Mapping[str, Coverage],
    content_by_default: Mapping[str, bool],
) -> str:
    """The README table: one row per instrumentation, one column per cost field."""
    header = ["instrumentation", *FIELDS, "prompt content recorded by default"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for peer, label in labels.items():
        cells = [label, *(_cell(coverages[peer][field]) for field in FIELDS)]
        cells.append("yes" if content_by_default[peer] else "no")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join([*lines, "", FOOTNOTE])
