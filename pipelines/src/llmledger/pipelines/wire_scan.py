"""Find the GenAI spans in a serialized OTLP export without decoding the other spans.

A Collector forwarding a whole fleet's traces sends about one LLM span in twenty; decoding
every HTTP and database span into Python objects just to look at its attribute keys would
cost more than the protobuf parse itself. This module walks the protobuf wire format of
`ExportTraceServiceRequest` down to the span level (ResourceSpans=1 > ScopeSpans=2 >
Span=2; the walk itself is in C, `llmledger_wire`) and reads only the spans whose bytes
contain one of the keys that can make a span billable (`span_extract.CANDIDATE_KEYS`) into
records (`span_record`): straight from their bytes, or with upb when their encoding is
unusual.

The test is a superset: a span that has such an attribute key necessarily contains the
bytes `0x0A <length> <key>` (field 1 of a KeyValue), so no billable span is skipped; a
false hit (the same bytes inside some string value) only costs a full look at the span,
which then gives no row. Structure errors (truncated lengths, bad wire types) and invalid
ids on the spans kept raise `InvalidExportError`, so such a message is dead-lettered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from google.protobuf.message import DecodeError
from llmledger_wire import length_fields, scan_scope
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from llmledger.pipelines.otlp import SPAN_ID_BYTES, TRACE_ID_BYTES, InvalidExportError
from llmledger.pipelines.span_extract import CANDIDATE_KEYS
from llmledger.pipelines.span_record import CONTENT_PREFIX_BYTES, SpanRecord, record_from_span

# KeyValue.key is field 1, wire type 2: tag 0x0A, then the length (< 128 for these keys).
_KEY_PATTERNS = tuple(b"\x0a" + bytes([len(key)]) + key.encode() for key in CANDIDATE_KEYS)
_M = TypeVar("_M", Resource, InstrumentationScope, Span)


@dataclass
class ScopeBatch:
    """The candidate spans of one ScopeSpans, with what they inherit."""

    resource: Resource
    scope_name: str
    span_count: int = 0
    candidates: list[SpanRecord] = field(default_factory=list)


def scan_export(data: bytes) -> list[ScopeBatch]:
    """Split an `ExportTraceServiceRequest` into scopes holding their candidate spans."""
    batches: list[ScopeBatch] = []
    for field_number, start, end in _fields(data, 0, len(data)):
        if field_number == 1:
            _resource_spans(data, start, end, batches)
    return batches


def _resource_spans(data: bytes, start: int, end: int, out: list[ScopeBatch]) -> None:
    resource_parts: list[bytes] = []
    scopes: list[tuple[int, int]] = []
    for field_number, begin, finish in _fields(data, start, end):
        if field_number == 1:
            resource_parts.append(data[begin:finish])  # repeated parts merge, as in protobuf
        elif field_number == 2:
            scopes.append((begin, finish))
    resource = _parse(Resource, b"".join(resource_parts))
    for begin, finish in scopes:
        out.append(_scope_spans(data, begin, finish, resource))


def _scope_spans(data: bytes, start: int, end: int, resource: Resource) -> ScopeBatch:
    try:
        span_count, scope_parts, found = scan_scope(
            data, start, end, _KEY_PATTERNS, CONTENT_PREFIX_BYTES
        )
    except ValueError as exc:
        raise InvalidExportError(f"not an ExportTraceServiceRequest protobuf: {exc}") from exc
    scope_name = _parse(InstrumentationScope, b"".join(scope_parts)).name
    batch = ScopeBatch(resource, scope_name, span_count)
    for candidate in found:
        if isinstance(candidate, bytes):  # unusual encoding: protobuf reads it
            candidate = record_from_span(_parse(Span, candidate))
        trace_id, span_id, parent_span_id, *_ = candidate
        if len(trace_id) != TRACE_ID_BYTES:
            raise InvalidExportError(f"trace_id must be {TRACE_ID_BYTES} bytes")
        if len(span_id) != SPAN_ID_BYTES:
            raise InvalidExportError(f"span_id must be {SPAN_ID_BYTES} bytes")
        if len(parent_span_id) not in (0, SPAN_ID_BYTES):
            raise InvalidExportError(f"parent_span_id must be empty or {SPAN_ID_BYTES} bytes")
        batch.candidates.append(candidate)
    return batch


def _parse(kind: type[_M], payload: bytes) -> _M:
    try:
        return kind.FromString(payload)
    except DecodeError as exc:
        raise InvalidExportError(f"not an ExportTraceServiceRequest protobuf: {exc}") from exc


def _fields(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """The length-delimited fields of the message `data[start:end]` as (number, start, end)."""
    try:
        return length_fields(data, start, end)
    except ValueError as exc:
        raise InvalidExportError(f"not an ExportTraceServiceRequest protobuf: {exc}") from exc


def scopes_from_request(request: ExportTraceServiceRequest) -> list[ScopeBatch]:
    """The same split for an export already decoded (e.g. from OTLP/JSON): every span is
    a candidate, and `span_extract.extract` drops the non-GenAI ones."""
    return [
        ScopeBatch(
            resource_spans.resource,
            scope_spans.scope.name,
            len(scope_spans.spans),
            [record_from_span(span) for span in scope_spans.spans],
        )
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
    ]
