"""Builders for OTLP spans and export requests, shared by the pipelines tests as `otlp`."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    raise TypeError(f"no AnyValue for {value!r}")


def key_values(attributes: Mapping[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=key, value=any_value(value)) for key, value in attributes.items()]


def unix_nano(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def make_span(
    attributes: Mapping[str, Any],
    *,
    trace_id: bytes = bytes(range(1, 17)),
    span_id: bytes = bytes(range(21, 29)),
    parent_span_id: bytes = b"",
    start: datetime,
    duration_ns: int = 1_500_000_000,
    name: str = "chat gpt-4o",
) -> Span:
    start_ns = unix_nano(start)
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent_span_id,
        name=name,
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start_ns,
        end_time_unix_nano=start_ns + duration_ns,
        attributes=key_values(attributes),
    )


def make_resource(attributes: Mapping[str, Any] | None = None) -> Resource:
    return Resource(attributes=key_values(attributes or {"service.name": "checkout"}))


def make_export(
    spans: Sequence[Span], resource: Resource | None = None
) -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=resource or make_resource(),
                scope_spans=[ScopeSpans(spans=list(spans))],
            )
        ]
    )


def collector_otlp_json(request: ExportTraceServiceRequest) -> bytes:
    """What the Collector's `otlp_json` encoding writes: OTLP/JSON with hex ids."""
    document = json_format.MessageToDict(request, use_integers_for_enums=True)
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                for field in ("traceId", "spanId", "parentSpanId"):
                    if field in span:
                        span[field] = base64.b64decode(span[field]).hex()
    return json.dumps(document, separators=(",", ":")).encode()


@pytest.fixture
def otlp() -> SimpleNamespace:
    """`otlp.span(attrs, start=...)`, `otlp.resource(attrs)`, `otlp.export(spans)`, ..."""
    return SimpleNamespace(
        span=make_span,
        resource=make_resource,
        export=make_export,
        key_values=key_values,
        unix_nano=unix_nano,
        collector_json=collector_otlp_json,
    )
