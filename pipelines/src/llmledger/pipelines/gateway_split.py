"""One Kafka message per trace, exactly as the Collector's kafkaexporter writes them.

With `partition_traces_by_id` the Collector's exporter sends, for every trace id in an export,
an `ExportTraceServiceRequest` holding only that trace's spans (their resource and scope kept)
keyed by the trace id as 32 lowercase hex characters. Keyed messages keep a trace on one
partition, so the consumer that sees an agent span also sees the LLM calls under it.

Speed: copying span messages into new requests costs several times the decode. Instead the
export is parsed a second time through a "shadow" schema, wire-compatible with
`ExportTraceServiceRequest` but declaring resources, scopes and spans as opaque `bytes`: the
C parser hands over each span's encoding without decoding it, and the per-trace requests are
assembled from those bytes (`benchmarks/gateway` measures it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from llmledger.pipelines.otlp import InvalidExportError


@dataclass(frozen=True, slots=True)
class TraceMessage:
    """The Kafka message for one trace: key = hex trace id, value = serialized request."""

    key: bytes
    value: bytes
    span_count: int


def _shadow_request_class() -> Any:
    # proto2 so that absent and empty resources/scopes stay distinguishable (field presence).
    field = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(
        name="llmledger/gateway_split_shadow.proto", package="llmledger.shadow", syntax="proto2"
    )
    # message -> fields as (number, name, repeated, message type or None for bytes)
    layout: dict[str, list[tuple[int, str, bool, str | None]]] = {
        "ScopeSpans": [
            (1, "scope", False, None),
            (2, "spans", True, None),
            (3, "schema_url", False, None),
        ],
        "ResourceSpans": [
            (1, "resource", False, None),
            (2, "scope_spans", True, "ScopeSpans"),
            (3, "schema_url", False, None),
        ],
        "Request": [(1, "resource_spans", True, "ResourceSpans")],
    }
    for message_name, fields in layout.items():
        message = file.message_type.add(name=message_name)
        for number, name, repeated, message_type in fields:
            added = message.field.add(
                name=name,
                number=number,
                label=field.LABEL_REPEATED if repeated else field.LABEL_OPTIONAL,
                type=field.TYPE_MESSAGE if message_type else field.TYPE_BYTES,
            )
            if message_type:
                added.type_name = f".llmledger.shadow.{message_type}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("llmledger.shadow.Request"))


_ShadowRequest = _shadow_request_class()


def split_by_trace(
    request: ExportTraceServiceRequest, original: bytes | None = None
) -> list[TraceMessage]:
    """Split `request` into one message per trace id, in order of first appearance.

    `original` must be the bytes `request` was parsed from, when the caller has them (else
    the request is serialized here). A single-trace export is forwarded as those bytes. Each
    (resource, scope) group of a trace becomes one `ResourceSpans` of its message. Raises
    `InvalidExportError` if `original` does not parse like `request`.
    """
    encoded = request.SerializeToString() if original is None else original
    try:
        shadow = _ShadowRequest.FromString(encoded)
    except DecodeError as exc:  # not for bytes `request` was parsed from; refused anyway
        raise InvalidExportError(f"export not splittable: {exc}") from exc
    parts: dict[bytes, Any] = {}
    counts: dict[bytes, int] = {}
    for resource_spans, shadow_resource in _aligned(request.resource_spans, shadow.resource_spans):
        for scope_spans, shadow_scope in _aligned(
            resource_spans.scope_spans, shadow_resource.scope_spans
        ):
            by_trace: dict[bytes, list[bytes]] = {}
            for span, span_bytes in _aligned(scope_spans.spans, shadow_scope.spans):
                by_trace.setdefault(span.trace_id, []).append(span_bytes)
            for trace_id, spans in by_trace.items():
                part = parts.get(trace_id)
                if part is None:
                    part = parts[trace_id] = _ShadowRequest()
                _copy_group(part.resource_spans.add(), shadow_resource, shadow_scope, spans)
                counts[trace_id] = counts.get(trace_id, 0) + len(spans)
    if len(parts) == 1:
        [trace_id] = parts
        return [TraceMessage(trace_id.hex().encode(), encoded, counts[trace_id])]
    return [
        TraceMessage(trace_id.hex().encode(), part.SerializeToString(), counts[trace_id])
        for trace_id, part in parts.items()
    ]


def _copy_group(target: Any, resource: Any, scope: Any, spans: list[bytes]) -> None:
    if resource.HasField("resource"):  # an absent resource must stay absent
        target.resource = resource.resource
    if resource.HasField("schema_url"):
        target.schema_url = resource.schema_url
    new_scope = target.scope_spans.add(spans=spans)
    if scope.HasField("scope"):
        new_scope.scope = scope.scope
    if scope.HasField("schema_url"):
        new_scope.schema_url = scope.schema_url


def _aligned(parsed: Any, shadow: Any) -> zip[tuple[Any, Any]]:
    # Both parses read the same repeated fields of the same bytes, element for element.
    if len(parsed) != len(shadow):
        raise InvalidExportError("export not splittable: encoding and message disagree")
    return zip(parsed, shadow, strict=True)
