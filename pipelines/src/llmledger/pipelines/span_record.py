"""One span as the normalizer reads it: ids, times, attribute keys and values.

`llmledger_wire` reads this record straight from a span's protobuf bytes (the consumer's
hot path, `wire_scan`) and leaves to protobuf anything outside the canonical encoding
every exporter writes; `record_from_span` reads the same record from a decoded span (that
fallback, OTLP/JSON and `normalize.normalize_span`). Both give the same record;
`test_normalize_wire_scan` checks it. Prompt and completion text is never read: those
values are None either way.
"""

from __future__ import annotations

from typing import Any, Final

from opentelemetry.proto.trace.v1.trace_pb2 import Span

from llmledger.pipelines.attribute_values import plain_value
from llmledger.pipelines.conventions import CONTENT_PREFIXES

# trace_id, span_id, parent_span_id, start_time_unix_nano, end_time_unix_nano, keys, values
SpanRecord = tuple[bytes, bytes, bytes, int, int, tuple[str, ...], list[Any]]

# Prompt and completion keys, as `llmledger_wire` compares them with the key bytes.
CONTENT_PREFIX_BYTES: Final = tuple(prefix.encode() for prefix in CONTENT_PREFIXES)


def record_from_span(span: Span) -> SpanRecord:
    """The record of a decoded Span."""
    key_values = list(span.attributes)
    return (
        span.trace_id,
        span.span_id,
        span.parent_span_id,
        span.start_time_unix_nano,
        span.end_time_unix_nano,
        tuple([key_value.key for key_value in key_values]),
        [
            None if key_value.key.startswith(CONTENT_PREFIXES) else plain_value(key_value.value)
            for key_value in key_values
        ],
    )
