"""Find the GenAI spans in a serialized OTLP export without decoding the other spans.

A Collector forwarding a whole fleet's traces sends about one LLM span in twenty; decoding
every HTTP and database span into Python objects just to look at its attribute keys would
cost more than the protobuf parse itself. This module walks the protobuf wire format of
`ExportTraceServiceRequest` down to the span level (ResourceSpans=1 > ScopeSpans=2 >
Span=2) and parses, with upb, only the spans whose bytes contain one of the keys that can
make a span billable (`span_extract.CANDIDATE_KEYS`).

The test is a superset: a span that has such an attribute key necessarily contains the
bytes `0x0A <length> <key>` (field 1 of a KeyValue), so no billable span is skipped; a
false hit (the same bytes inside some string value) only costs a full look at the span,
which then gives no row. Structure errors (truncated lengths, bad wire types) and invalid
ids on the spans kept raise `InvalidExportError`, so such a message is dead-lettered.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import TypeVar

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from llmledger.pipelines.otlp import SPAN_ID_BYTES, TRACE_ID_BYTES, InvalidExportError
from llmledger.pipelines.span_extract import CANDIDATE_KEYS

# KeyValue.key is field 1, wire type 2: tag 0x0A, then the length (< 128 for these keys).
_KEY_PATTERNS = tuple(b"\x0a" + bytes([len(key)]) + key.encode() for key in CANDIDATE_KEYS)
_LEN = 2  # wire type of length-delimited fields
_SPAN_TAG = 0x12  # ScopeSpans.spans: field 2, length-delimited
_SKIPPED = -1
_M = TypeVar("_M", Resource, InstrumentationScope, Span)


@dataclass
class ScopeBatch:
    """The candidate spans of one ScopeSpans, with what they inherit."""

    resource: Resource
    scope_name: str
    span_count: int = 0
    candidates: list[Span] = field(default_factory=list)
    # The candidates' serialized bytes (same order), for `attribute_wire`; empty when
    # the export was decoded some other way.
    candidate_bytes: list[bytes] = field(default_factory=list)


def scan_export(data: bytes) -> list[ScopeBatch]:
    """Split an `ExportTraceServiceRequest` into scopes holding their candidate spans."""
    hits = sorted(_hits(data))
    batches: list[ScopeBatch] = []
    for field_number, start, end in _fields(data, 0, len(data))[0]:
        if field_number == 1:
            _resource_spans(data, start, end, hits, batches)
    return batches


def _resource_spans(
    data: bytes, start: int, end: int, hits: list[int], out: list[ScopeBatch]
) -> None:
    resource_parts: list[bytes] = []
    scopes: list[tuple[int, int]] = []
    for field_number, begin, finish in _fields(data, start, end)[0]:
        if field_number == 1:
            resource_parts.append(data[begin:finish])  # repeated parts merge, as in protobuf
        elif field_number == 2:
            scopes.append((begin, finish))
    resource = _parse(Resource, b"".join(resource_parts))
    for begin, finish in scopes:
        out.append(_scope_spans(data, begin, finish, hits, resource))


def _scope_spans(
    data: bytes, start: int, end: int, hits: list[int], resource: Resource
) -> ScopeBatch:
    scope_parts: list[bytes] = []
    batch = ScopeBatch(resource, "")
    hit_index = bisect_left(hits, start)
    next_hit = hits[hit_index] if hit_index < len(hits) else end
    position = start
    while position < end:
        # Spans (field 2, tag 0x12) with a 1- or 2-byte length: this loop runs once per
        # span of the whole fleet, so their header is read inline.
        if data[position] == _SPAN_TAG and position + 2 < end and data[position + 2] < 0x80:
            first = data[position + 1]
            if first < 0x80:
                begin, finish = position + 2, position + 2 + first
            else:
                begin = position + 3
                finish = begin + (first & 0x7F) + (data[position + 2] << 7)
            if finish > end:
                raise InvalidExportError("not an ExportTraceServiceRequest protobuf: truncated")
            batch.span_count += 1
            if next_hit < finish:
                while next_hit < begin:
                    hit_index += 1
                    next_hit = hits[hit_index] if hit_index < len(hits) else end
                if next_hit < finish:
                    _add_candidate(batch, data[begin:finish])
            position = finish
            continue
        [(field_number, begin, finish)], position = _fields(data, position, end, limit=1)
        if field_number == 1:
            scope_parts.append(data[begin:finish])
        elif field_number == 2:
            batch.span_count += 1
            while hit_index < len(hits) and hits[hit_index] < begin:
                hit_index += 1
            next_hit = hits[hit_index] if hit_index < len(hits) else end
            if next_hit < finish:
                _add_candidate(batch, data[begin:finish])
    batch.scope_name = _parse(InstrumentationScope, b"".join(scope_parts)).name
    return batch


def _add_candidate(batch: ScopeBatch, payload: bytes) -> None:
    batch.candidates.append(_span(payload))
    batch.candidate_bytes.append(payload)


def _span(payload: bytes) -> Span:
    span = _parse(Span, payload)
    if len(span.trace_id) != TRACE_ID_BYTES:
        raise InvalidExportError(f"trace_id must be {TRACE_ID_BYTES} bytes")
    if len(span.span_id) != SPAN_ID_BYTES:
        raise InvalidExportError(f"span_id must be {SPAN_ID_BYTES} bytes")
    if len(span.parent_span_id) not in (0, SPAN_ID_BYTES):
        raise InvalidExportError(f"parent_span_id must be empty or {SPAN_ID_BYTES} bytes")
    return span


def _parse(kind: type[_M], payload: bytes) -> _M:
    try:
        return kind.FromString(payload)
    except DecodeError as exc:
        raise InvalidExportError(f"not an ExportTraceServiceRequest protobuf: {exc}") from exc


def _hits(data: bytes) -> list[int]:
    found = []
    for pattern in _KEY_PATTERNS:
        position = data.find(pattern)
        while position >= 0:
            found.append(position)
            position = data.find(pattern, position + len(pattern))
    return found


def _fields(
    data: bytes, position: int, end: int, *, limit: int | None = None
) -> tuple[list[tuple[int, int, int]], int]:
    """The length-delimited fields in `data[position:end]` as (number, start, end), and
    the position reached (after `limit` fields of any wire type, when given).

    Fields of other wire types are skipped (listed with number `_SKIPPED`, as protobuf
    ignores a known field with the wrong wire type); anything that does not parse raises."""
    fields: list[tuple[int, int, int]] = []
    while position < end and (limit is None or limit > 0):
        tag = data[position]
        if tag < 0x80:  # one-byte varints inline: this loop runs once per span
            position += 1
        else:
            tag, position = _varint(data, position, end)
        wire_type, number = tag & 7, tag >> 3
        if wire_type == _LEN:
            length, position = _varint(data, position, end)
            if position + length > end:
                raise InvalidExportError("not an ExportTraceServiceRequest protobuf: truncated")
            fields.append((number, position, position + length))
            position += length
        elif wire_type == 0:
            _, position = _varint(data, position, end)
            fields.append((_SKIPPED, position, position))
        elif wire_type in (1, 5):
            position += 8 if wire_type == 1 else 4
            fields.append((_SKIPPED, position, position))
        else:
            raise InvalidExportError(
                f"not an ExportTraceServiceRequest protobuf: wire type {wire_type}"
            )
        if number == 0 or position > end:
            raise InvalidExportError("not an ExportTraceServiceRequest protobuf: bad field")
        if limit is not None:
            limit -= 1
    return fields, position


def _varint(data: bytes, position: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while position < end:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7
        if shift > 63:
            break
    raise InvalidExportError("not an ExportTraceServiceRequest protobuf: bad varint")


def scopes_from_request(request: ExportTraceServiceRequest) -> list[ScopeBatch]:
    """The same split for an export already decoded (e.g. from OTLP/JSON): every span is
    a candidate, and `span_extract.extract` drops the non-GenAI ones."""
    return [
        ScopeBatch(
            resource_spans.resource,
            scope_spans.scope.name,
            len(scope_spans.spans),
            list(scope_spans.spans),
        )
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
    ]
