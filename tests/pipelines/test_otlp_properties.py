"""Random and hostile OTLP payloads against the decoder: decoded correctly or refused with
`InvalidExportError`, never any other exception."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from llmledger.pipelines.otlp import (
    InvalidExportError,
    decode_json,
    decode_kafka_value,
    decode_protobuf,
    validate_ids,
)

BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_decoded_or_refused(
    decode: Callable[[bytes], ExportTraceServiceRequest], data: bytes
) -> None:
    try:
        request = decode(data)
    except InvalidExportError as exc:
        assert str(exc), "a refusal must say why"
        return
    # Accepted: ids are usable and what goes to Kafka reads back identically.
    validate_ids(request)
    assert decode_protobuf(request.SerializeToString()) == request


# --- well-formed exports ----------------------------------------------------------------

scalar_values = st.one_of(
    st.builds(AnyValue, string_value=st.text(max_size=20)),
    st.builds(AnyValue, int_value=st.integers(-(2**63), 2**63 - 1)),
    st.builds(AnyValue, double_value=st.floats(allow_nan=False)),
    st.builds(AnyValue, bool_value=st.booleans()),
    st.builds(AnyValue, bytes_value=st.binary(max_size=10)),
)
spans = st.builds(
    Span,
    trace_id=st.binary(min_size=16, max_size=16),
    span_id=st.binary(min_size=8, max_size=8),
    parent_span_id=st.one_of(st.just(b""), st.binary(min_size=8, max_size=8)),
    name=st.text(max_size=30),
    start_time_unix_nano=st.integers(0, 2**64 - 1),
    attributes=st.lists(
        st.builds(KeyValue, key=st.text(max_size=10), value=scalar_values), max_size=4
    ),
)
exports = st.builds(
    ExportTraceServiceRequest,
    resource_spans=st.lists(
        st.builds(
            ResourceSpans,
            scope_spans=st.lists(
                st.builds(ScopeSpans, spans=st.lists(spans, max_size=4)), max_size=2
            ),
        ),
        max_size=2,
    ),
)


def otlp_json(request: ExportTraceServiceRequest) -> bytes:
    document = json_format.MessageToDict(request)
    for resource_spans in document.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for field in ("traceId", "spanId", "parentSpanId"):
                    if field in span:
                        span[field] = base64.b64decode(span[field]).hex()
    return json.dumps(document).encode()


@BOUNDED
@given(exports)
def test_well_formed_exports_decode_to_themselves(request: ExportTraceServiceRequest) -> None:
    assert decode_protobuf(request.SerializeToString()) == request
    assert decode_json(otlp_json(request)) == request
    assert decode_kafka_value(request.SerializeToString()) == request
    assert decode_kafka_value(otlp_json(request)) == request


# --- hostile bytes ----------------------------------------------------------------------


@BOUNDED
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    assert_decoded_or_refused(decode_protobuf, data)
    assert_decoded_or_refused(decode_json, data)
    assert_decoded_or_refused(decode_kafka_value, data)


@BOUNDED
@given(exports, st.data())
def test_truncated_and_corrupted_protobuf(
    request: ExportTraceServiceRequest, data: st.DataObject
) -> None:
    encoded = request.SerializeToString()
    cut = data.draw(st.integers(0, len(encoded)))
    assert_decoded_or_refused(decode_protobuf, encoded[:cut])
    if encoded:
        position = data.draw(st.integers(0, len(encoded) - 1))
        flipped = bytes([encoded[position] ^ data.draw(st.integers(1, 255))])
        assert_decoded_or_refused(
            decode_protobuf, encoded[:position] + flipped + encoded[position + 1 :]
        )


def field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2)."""
    length, varint = len(payload), bytearray()
    while length >= 0x80:
        varint.append(length & 0x7F | 0x80)
        length >>= 7
    varint.append(length)
    return bytes([number << 3 | 2]) + bytes(varint) + payload


def nested_export(depth: int) -> tuple[bytes, bytes]:
    """One span whose attribute is an AnyValue nested `depth` kvlists deep, as protobuf and
    as OTLP/JSON. Built by hand: the protobuf runtime itself refuses to build such a message."""
    value = b"\x18\x01"  # AnyValue.int_value = 1
    for _ in range(depth):
        value = field(6, field(1, field(1, b"k") + field(2, value)))  # kvlist_value.values[0]
    # Text, not json.dumps: the encoder's own recursion limit would stop deep documents.
    opening = '{"kvlistValue": {"values": [{"key": "k", "value": '
    document = opening * depth + '{"intValue": "1"}' + "}]}}" * depth
    span = (
        field(1, b"\x01" * 16)
        + field(2, b"\x02" * 8)
        + field(9, field(1, b"deep") + field(2, value))
    )
    protobuf = field(1, field(2, field(2, span)))  # resource_spans.scope_spans.spans
    ids = f'"traceId": "{"01" * 16}", "spanId": "{"02" * 8}"'
    span_json = f'{{{ids}, "attributes": [{{"key": "deep", "value": {document}}}]}}'
    json_doc = f'{{"resourceSpans": [{{"scopeSpans": [{{"spans": [{span_json}]}}]}}]}}'
    return protobuf, json_doc.encode()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2000))
@example(0).via("flat")
@example(31).via("deepest accepted")
@example(32).via("shallowest refused")
@example(2000).via("far beyond")
def test_deeply_nested_any_values(depth: int) -> None:
    protobuf, otlp_json_payload = nested_export(depth)
    assert_decoded_or_refused(decode_protobuf, protobuf)
    assert_decoded_or_refused(decode_json, otlp_json_payload)
    if depth <= 20:  # realistic nesting is always accepted, the same through both encodings
        assert decode_protobuf(protobuf) == decode_json(otlp_json_payload)
    if depth >= 40:  # beyond protobuf's 100-level limit: refused by both, never stored
        with pytest.raises(InvalidExportError):
            decode_protobuf(protobuf)
        with pytest.raises(InvalidExportError):
            decode_json(otlp_json_payload)


# --- hostile JSON -----------------------------------------------------------------------

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["0102030405060708090a0b0c0d0e0f10", "0102030405060708", "zz", "", "01"]),
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
SPAN_FIELDS = [
    "traceId",
    "spanId",
    "parentSpanId",
    "name",
    "kind",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "attributes",
    "droppedAttributesCount",
    "events",
    "links",
    "status",
    "traceState",
    "flags",
]


@st.composite
def otlp_shaped_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Right structure, hostile leaves: wrong types, huge or negative ints, bad hex ids."""
    span = {
        "traceId": "0102030405060708090a0b0c0d0e0f10",
        "spanId": "0102030405060708",
    }
    for field in draw(st.lists(st.sampled_from(SPAN_FIELDS), max_size=4)):
        span[field] = draw(json_values)
    attribute_value = draw(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {"intValue": st.one_of(st.integers(-(2**70), 2**70), st.text(max_size=25))}
            ),
            st.fixed_dictionaries({"arrayValue": st.fixed_dictionaries({"values": json_values})}),
        )
    )
    span.setdefault("attributes", [{"key": "k", "value": attribute_value}])
    scope_spans = {"scope": draw(json_values), "spans": [span]}
    return {"resourceSpans": [{"resource": draw(json_values), "scopeSpans": [scope_spans]}]}


@BOUNDED
@given(st.one_of(json_values, otlp_shaped_documents()))
def test_hostile_json(document: Any) -> None:
    payload = json.dumps(document).encode()
    assert_decoded_or_refused(decode_json, payload)
    assert_decoded_or_refused(
        lambda data: decode_kafka_value(data, [("content-type", b"application/json")]), payload
    )
