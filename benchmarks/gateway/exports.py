"""Synthetic 512-span exports shaped like a fleet's traffic: many traces interleaved per export."""

from __future__ import annotations

import random

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

SPANS_PER_EXPORT = 512
START_NS = 1_777_593_600 * 10**9


def _attributes(index: int) -> list[KeyValue]:
    if index % 20 == 0:  # one LLM call in 20, as on a fleet topic
        pairs: dict[str, AnyValue] = {
            "gen_ai.operation.name": AnyValue(string_value="chat"),
            "gen_ai.request.model": AnyValue(string_value="gpt-4o"),
            "gen_ai.usage.input_tokens": AnyValue(int_value=1200 + index),
            "gen_ai.usage.output_tokens": AnyValue(int_value=300),
        }
    else:
        pairs = {
            "http.request.method": AnyValue(string_value="GET"),
            "http.route": AnyValue(string_value="/api/orders/{id}"),
            "http.response.status_code": AnyValue(int_value=200),
            "server.address": AnyValue(string_value="orders.internal"),
            "db.system.name": AnyValue(string_value="postgresql"),
            "db.query.text": AnyValue(string_value="SELECT * FROM orders WHERE id = $1"),
        }
    return [KeyValue(key=key, value=value) for key, value in pairs.items()]


def build_exports(count: int, spans_per_trace: int = 10, seed: int = 0) -> list[bytes]:
    """`count` serialized exports of 512 spans; traces of `spans_per_trace` spans interleaved."""
    rng = random.Random(seed)
    resource = Resource(
        attributes=[KeyValue(key="service.name", value=AnyValue(string_value="shop"))]
    )
    exports = []
    for _ in range(count):
        traces = [rng.randbytes(16) for _ in range(SPANS_PER_EXPORT // spans_per_trace + 1)]
        spans = [
            Span(
                trace_id=traces[index % len(traces)],
                span_id=rng.randbytes(8),
                name="GET /api/orders/{id}",
                kind=Span.SPAN_KIND_SERVER,
                start_time_unix_nano=START_NS + index,
                end_time_unix_nano=START_NS + index + 1_000_000,
                attributes=_attributes(index),
            )
            for index in range(SPANS_PER_EXPORT)
        ]
        request = ExportTraceServiceRequest(
            resource_spans=[
                ResourceSpans(
                    resource=resource,
                    scope_spans=[ScopeSpans(scope=InstrumentationScope(name="bench"), spans=spans)],
                )
            ]
        )
        exports.append(request.SerializeToString())
    return exports
