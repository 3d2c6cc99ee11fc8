"""The consumer's shortcuts give exactly what the plain way gives: walking the wire format
and decoding only spans that may be GenAI yields the rows of a full decode followed by
`normalize_span`, and reading attributes from a span's bytes yields the values of reading
them from the decoded span."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from llmledger.pipelines.attribute_values import plain_value
from llmledger.pipelines.attribute_wire import span_attributes
from llmledger.pipelines.normalize import normalize_span
from llmledger.pipelines.otlp import InvalidExportError, decode_protobuf
from llmledger.pipelines.span_extract import extract, resource_facts
from llmledger.pipelines.wire_scan import scan_export, scopes_from_request

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


def rows_by_full_decode(payload: bytes) -> list[dict[str, Any] | None]:
    request = decode_protobuf(payload)
    return [
        row
        for scope in scopes_from_request(request)
        for span in scope.candidates
        if (row := normalize_span(scope.resource, span, scope.scope_name)) is not None
    ]


def rows_by_scan(payload: bytes) -> list[dict[str, Any] | None]:
    return [
        row
        for scope in scan_export(payload)
        for span in scope.candidates
        if (row := normalize_span(scope.resource, span, scope.scope_name)) is not None
    ]


def extracted_both_ways(payload: bytes) -> list[tuple[Any, Any]]:
    """`extract` reading attributes from the span's bytes, and from the decoded span."""
    pairs = []
    for scope in scan_export(payload):
        facts = resource_facts(scope.resource)
        for span, data in zip(scope.candidates, scope.candidate_bytes, strict=True):
            pairs.append(
                (
                    extract(span, scope.scope_name, facts, data),
                    extract(span, scope.scope_name, facts),
                )
            )
    return pairs


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
    for from_bytes, from_objects in extracted_both_ways(payload):
        assert from_bytes == from_objects


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
    for from_bytes, from_objects in extracted_both_ways(payload):
        assert from_bytes == from_objects


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
    ],
    ids=["empty", "no-value", "long-key", "long-value", "bytes"],
)
def test_unusual_attributes_read_the_same_from_bytes(key_value: KeyValue) -> None:
    span = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, attributes=[key_value])
    span.attributes.add(key="gen_ai.operation.name", value=AnyValue(string_value="chat"))
    from_bytes = span_attributes(span.SerializeToString())
    from_objects = [(kv.key, plain_value(kv.value)) for kv in span.attributes]
    assert from_bytes is None or from_bytes == from_objects
    facts = (None, None, None)
    assert extract(span, "", facts, span.SerializeToString()) == extract(span, "", facts)
