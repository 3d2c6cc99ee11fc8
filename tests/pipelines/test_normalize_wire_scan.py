"""The consumer's shortcuts give exactly what the plain way gives: walking the wire format
and reading only spans that may be GenAI yields the rows of a full decode followed by
`normalize_span`, and reading a span record from its bytes (C) yields the record read from
the decoded span, or leaves the span to protobuf."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llmledger_wire import read_span
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from llmledger.pipelines.normalize import SPAN_COLUMNS, normalize_span
from llmledger.pipelines.otlp import InvalidExportError, decode_protobuf
from llmledger.pipelines.span_extract import extract, resource_facts
from llmledger.pipelines.span_record import CONTENT_PREFIX_BYTES, record_from_span
from llmledger.pipelines.wire_scan import scan_export, scopes_from_request

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` lives beside the source roots
    sys.path.insert(0, str(ROOT))

from benchmarks.ingest.spans import build_message  # noqa: E402

KEYS = [
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "llm.model_name",
    "openinference.span.kind",
    "llm.request.type",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.agent.name",
    "http.request.method",
    "db.query.text",
    "gen_ai.prompt.0.content",
]
VALUES = st.one_of(
    st.sampled_from(["chat", "embeddings", "LLM", "AGENT", "invoke_agent", "gpt-4o", ""]),
    st.integers(min_value=-5, max_value=10**6),
    st.text(max_size=20),
    st.text(min_size=200, max_size=300),  # long values: multi-byte lengths
    st.booleans(),
    st.floats(allow_nan=False),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.lists(st.integers(min_value=0, max_value=9), max_size=2),  # arrays: the slow path
    st.none(),  # an empty AnyValue
)


def rows_by_full_decode(payload: bytes) -> list[tuple[Any, ...]]:
    """`normalize_span` on every span of a full protobuf decode, as lake value tuples."""
    rows = []
    for resource_spans in decode_protobuf(payload).resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                row = normalize_span(resource_spans.resource, span, scope_spans.scope.name)
                if row is not None:
                    rows.append(tuple(row[column] for column in SPAN_COLUMNS))
    return rows


def rows_by_scan(payload: bytes) -> list[tuple[Any, ...]]:
    """The consumer's way: the wire walk, C records, `extract`; timestamps as normalize_span
    gives them."""
    rows = []
    for scope in scan_export(payload):
        facts = resource_facts(scope.resource)
        for record in scope.candidates:
            extracted = extract(record, scope.scope_name, facts)
            if extracted is not None:
                row = dict(zip(SPAN_COLUMNS, extracted[0], strict=True))
                started, ended = row["started_at"], row["ended_at"]
                row["started_at"] = EPOCH + timedelta(microseconds=started)
                row["ended_at"] = None if ended is None else EPOCH + timedelta(microseconds=ended)
                rows.append(tuple(row.values()))
    return rows


def records_both_ways(payload: bytes) -> list[tuple[Any, Any]]:
    """Each span's record read from its bytes (C; None when left to protobuf) and read
    from the decoded span."""
    return [
        (read_span(span.SerializeToString(), CONTENT_PREFIX_BYTES), record_from_span(span))
        for resource_spans in decode_protobuf(payload).resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]


def span_counts(payload: bytes) -> tuple[int, int]:
    full = sum(s.span_count for s in scopes_from_request(decode_protobuf(payload)))
    return full, sum(s.span_count for s in scan_export(payload))


@pytest.mark.parametrize("llm_every", [1, 3, 20])
def test_generated_fleet_traffic(llm_every: int) -> None:
    payload, truth = build_message(random.Random(llm_every), 0, llm_every=llm_every)
    rows = rows_by_scan(payload)
    assert rows == rows_by_full_decode(payload)
    assert len(rows) == truth.calls
    assert span_counts(payload) == (512, 512)
    for from_bytes, from_objects in records_both_ways(payload):
        assert from_bytes == from_objects  # this traffic is all in the canonical encoding


spans_strategy = st.lists(
    st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=8), min_size=1, max_size=6
)


def any_value(value: Any) -> AnyValue:
    if value is None:
        return AnyValue()
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[any_value(v) for v in value]))
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    return AnyValue(string_value=value)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    groups=st.lists(spans_strategy, min_size=1, max_size=3),
    scope_name=st.sampled_from(["", "llmledger.instrumentation", "x" * 150]),
    trailing_unknown=st.booleans(),
)
def test_random_exports_give_the_same_rows(
    groups: list[list[list[tuple[str, Any]]]], scope_name: str, trailing_unknown: bool
) -> None:
    resource_spans = []
    number = 0
    for group in groups:
        spans = []
        for attributes in group:
            number += 1
            spans.append(
                Span(
                    trace_id=number.to_bytes(16, "big"),
                    span_id=number.to_bytes(8, "big"),
                    start_time_unix_nano=1_777_680_000 * 10**9 + number,
                    attributes=[KeyValue(key=k, value=any_value(v)) for k, v in attributes],
                )
            )
        resource_spans.append(
            ResourceSpans(
                resource=Resource(attributes=[KeyValue(key="service.name", value=any_value("s"))]),
                scope_spans=[
                    ScopeSpans(scope=InstrumentationScope(name=scope_name), spans=spans),
                    ScopeSpans(spans=spans[:1]),
                ],
            )
        )
    payload = ExportTraceServiceRequest(resource_spans=resource_spans).SerializeToString()
    if trailing_unknown:
        payload += b"\x28\x07"  # an unknown varint field 5: protobuf skips it
    assert rows_by_scan(payload) == rows_by_full_decode(payload)
    full, scanned = span_counts(payload)
    assert full == scanned
    for from_bytes, from_objects in records_both_ways(payload):
        assert from_bytes is None or from_bytes == from_objects


@given(st.binary(max_size=200))
def test_bytes_either_scan_or_are_refused_with_a_reason(payload: bytes) -> None:
    try:
        scan_export(payload)
    except InvalidExportError as exc:
        assert "ExportTraceServiceRequest" in str(exc) or "bytes" in str(exc)


@pytest.mark.parametrize(
    "key_value",
    [
        KeyValue(),
        KeyValue(key="gen_ai.usage.input_tokens"),
        KeyValue(key="k" * 200, value=AnyValue(int_value=-1)),
        KeyValue(key="x", value=AnyValue(string_value="é" * 9000)),
        KeyValue(key="x", value=AnyValue(bytes_value=b"\x00\x01")),
        KeyValue(key="gen_ai.prompt.0.content", value=AnyValue(string_value="hello")),
        KeyValue(key="x", value=AnyValue(double_value=-0.5)),
    ],
    ids=["empty", "no-value", "long-key", "long-value", "bytes", "content", "double"],
)
def test_unusual_attributes_read_the_same_from_bytes(key_value: KeyValue) -> None:
    span = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, attributes=[key_value])
    span.attributes.add(key="gen_ai.operation.name", value=AnyValue(string_value="chat"))
    from_bytes = read_span(span.SerializeToString(), CONTENT_PREFIX_BYTES)
    assert from_bytes is None or from_bytes == record_from_span(span)


CANONICAL_SPAN = Span(
    trace_id=b"\x01" * 16,
    span_id=b"\x02" * 8,
    name="chat gpt-4o",
    start_time_unix_nano=7,
    end_time_unix_nano=9,
    flags=0x101,
    status=Status(code=Status.STATUS_CODE_ERROR, message="rate limited"),
    events=[
        Span.Event(
            name="gen_ai.content.prompt",
            attributes=[KeyValue(key="gen_ai.prompt", value=AnyValue(string_value="hi"))],
        )
    ],
    attributes=[
        KeyValue(key="gen_ai.operation.name", value=AnyValue(string_value="chat")),
        KeyValue(key="gen_ai.usage.input_tokens", value=AnyValue(int_value=12)),
        KeyValue(key="gen_ai.request.temperature", value=AnyValue(double_value=0.5)),
        KeyValue(key="llm.is_streaming", value=AnyValue(bool_value=True)),
        KeyValue(key="gen_ai.prompt.0.content", value=AnyValue(string_value="hi")),
    ],
).SerializeToString()


def test_spans_as_sdks_export_them_are_read_from_bytes() -> None:
    # Status, events and flags (field 16) as the OpenTelemetry SDK writes them: the fast
    # path must cover them, not leave every real span to protobuf.
    assert read_span(CANONICAL_SPAN, CONTENT_PREFIX_BYTES) == record_from_span(
        Span.FromString(CANONICAL_SPAN)
    )


@settings(max_examples=400)
@given(
    position=st.integers(min_value=0, max_value=len(CANONICAL_SPAN) - 1),
    replacement=st.binary(min_size=0, max_size=3),
    cut=st.integers(min_value=0, max_value=3),
)
def test_damaged_span_bytes_are_read_as_protobuf_reads_them_or_left_to_it(
    position: int, replacement: bytes, cut: int
) -> None:
    data = CANONICAL_SPAN[:position] + replacement + CANONICAL_SPAN[position + cut :]
    from_bytes = read_span(data, CONTENT_PREFIX_BYTES)
    try:
        span = Span.FromString(data)
    except DecodeError:
        assert from_bytes is None  # what protobuf refuses is never read here
        return
    assert from_bytes is None or from_bytes == record_from_span(span)
