"""`decode_kafka_value`: the gateway's and the Collector's kafkaexporter's message encodings."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from llmledger.pipelines.otlp import InvalidExportError, decode_kafka_value

STARTED = datetime(2026, 5, 2, 8, 30, tzinfo=UTC)


@pytest.fixture
def export(otlp: SimpleNamespace) -> ExportTraceServiceRequest:
    result: ExportTraceServiceRequest = otlp.export(
        [otlp.span({"gen_ai.usage.input_tokens": 7}, start=STARTED)]
    )
    return result


def test_both_encodings_are_recognised_without_headers(
    export: ExportTraceServiceRequest, otlp: SimpleNamespace
) -> None:
    assert decode_kafka_value(export.SerializeToString()) == export
    assert decode_kafka_value(otlp.collector_json(export)) == export
    assert decode_kafka_value(b"\xef\xbb\xbf" + otlp.collector_json(export)) == export


def test_a_content_type_header_decides(
    export: ExportTraceServiceRequest, otlp: SimpleNamespace
) -> None:
    as_json = otlp.collector_json(export)
    assert decode_kafka_value(as_json, [("Content-Type", "application/json")]) == export
    with pytest.raises(InvalidExportError):
        decode_kafka_value(as_json, [("content-type", b"application/x-protobuf")])


def test_protobuf_whose_first_length_byte_is_a_brace_is_still_protobuf(
    otlp: SimpleNamespace,
) -> None:
    # 0x0a 0x7b: resource_spans of 123 bytes. Whitespace-skipping sniffing would call it JSON.
    for size in range(0, 200):
        request = otlp.export([otlp.span({"pad": "x" * size}, start=STARTED)])
        encoded = request.SerializeToString()
        if encoded[1:2] == b"{":
            assert decode_kafka_value(encoded) == request
            return
    pytest.fail("no padding produced a 123-byte ResourceSpans")


def test_empty_and_garbage_values_are_refused_with_a_reason() -> None:
    with pytest.raises(InvalidExportError, match="tombstone"):
        decode_kafka_value(None)
    with pytest.raises(InvalidExportError, match="JSON"):
        decode_kafka_value(b'{"resourceSpans": 5}')
    with pytest.raises(InvalidExportError, match="protobuf"):
        decode_kafka_value(b"\x0a\xff\xff")
