"""Decoding and validating OTLP trace export requests, shared by the gateway and the consumer.

Both encodings end as an `ExportTraceServiceRequest`, the message the OpenTelemetry
Collector's Kafka exporter writes with its `otlp_proto` encoding.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

TRACE_ID_BYTES = 16
SPAN_ID_BYTES = 8
# OTLP/JSON writes these `bytes` fields as hex, where protobuf's JSON mapping expects base64.
_HEX_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


class InvalidExportError(ValueError):
    """The payload is not a well-formed OTLP trace export request."""


def decode_protobuf(payload: bytes) -> ExportTraceServiceRequest:
    """Parse binary protobuf and check the span ids; raise `InvalidExportError` otherwise.

    Nesting deeper than protobuf's limit (100 messages, e.g. AnyValues in AnyValues) is a
    `DecodeError` too, so it ends as `InvalidExportError`.
    """
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(payload)
    except DecodeError as exc:
        raise InvalidExportError(f"not an ExportTraceServiceRequest protobuf: {exc}") from exc
    validate_ids(request)
    return request


def decode_json(payload: bytes) -> ExportTraceServiceRequest:
    """Parse OTLP/JSON (hex ids, camelCase, 64-bit ints possibly as strings)."""
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidExportError(f"not JSON: {exc}") from exc
    except RecursionError as exc:
        raise InvalidExportError("OTLP/JSON nested too deeply") from exc
    if not isinstance(document, dict):
        raise InvalidExportError("OTLP/JSON body must be an object")
    _hex_ids_to_base64(document)
    request = ExportTraceServiceRequest()
    try:
        # The OTLP spec requires JSON receivers to ignore fields they do not know.
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise InvalidExportError(f"not an OTLP/JSON ExportTraceServiceRequest: {exc}") from exc
    except RecursionError as exc:
        raise InvalidExportError("OTLP/JSON nested too deeply") from exc
    # JSON has no nesting limit but protobuf parsers do (100 levels): an export that could
    # not be read back from Kafka must be refused here, not dead-lettered downstream.
    decode_protobuf(request.SerializeToString())
    validate_ids(request)
    return request


def decode_kafka_value(
    value: bytes | None, headers: Sequence[tuple[str, str | bytes | None]] | None = None
) -> ExportTraceServiceRequest:
    """Decode a Kafka message written by this gateway or by the Collector's kafkaexporter.

    Accepts the `otlp_proto` and `otlp_json` encodings, whole exports or one trace per
    message. A `content-type` header (`application/json` / `application/x-protobuf`) decides
    when present; otherwise the first byte does: a JSON object starts with `{`, which no OTLP
    protobuf writer produces (it would start an unknown field 15 encoded as a group).
    """
    if value is None:
        raise InvalidExportError("empty Kafka message (tombstone)")
    return decode_json(value) if is_json_kafka_value(value, headers) else decode_protobuf(value)


def is_json_kafka_value(
    value: bytes, headers: Sequence[tuple[str, str | bytes | None]] | None = None
) -> bool:
    """Whether a Kafka message holds OTLP/JSON (the Collector's `otlp_json`) or protobuf."""
    content_type = _header(headers, "content-type")
    if content_type is not None:
        return content_type.split(";")[0].strip().lower() == "application/json"
    # `{` itself, no whitespace skipping: protobuf's usual first byte 0x0a is a newline.
    return value.removeprefix(b"\xef\xbb\xbf")[:1] == b"{"


def validate_ids(request: ExportTraceServiceRequest) -> None:
    """Reject spans whose ids cannot name a call (the lake keys rows by them)."""
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                if len(span.trace_id) != TRACE_ID_BYTES:
                    raise InvalidExportError(f"trace_id must be {TRACE_ID_BYTES} bytes")
                if len(span.span_id) != SPAN_ID_BYTES:
                    raise InvalidExportError(f"span_id must be {SPAN_ID_BYTES} bytes")
                if len(span.parent_span_id) not in (0, SPAN_ID_BYTES):
                    raise InvalidExportError(
                        f"parent_span_id must be empty or {SPAN_ID_BYTES} bytes"
                    )


def _header(headers: Sequence[tuple[str, str | bytes | None]] | None, name: str) -> str | None:
    for key, raw in headers or ():
        if key.lower() == name and raw is not None:
            return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return None


def count_spans(request: ExportTraceServiceRequest) -> int:
    return sum(
        len(scope_spans.spans)
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
    )


def _hex_ids_to_base64(document: dict[str, Any]) -> None:
    for resource_spans in _objects(document.get("resourceSpans")):
        for scope_spans in _objects(resource_spans.get("scopeSpans")):
            for span in _objects(scope_spans.get("spans")):
                _convert_ids(span)
                for link in _objects(span.get("links")):
                    _convert_ids(link)


def _convert_ids(holder: dict[str, Any]) -> None:
    for field in _HEX_ID_FIELDS:
        value = holder.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidExportError(f"{field} must be a hex string")
        try:
            raw = bytes.fromhex(value)
        except ValueError as exc:
            raise InvalidExportError(f"{field} is not hex: {value!r}") from exc
        holder[field] = base64.b64encode(raw).decode("ascii")


def _objects(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidExportError("expected a list of objects in OTLP/JSON")
    return value
