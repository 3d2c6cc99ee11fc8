"""Splitting an export into one message per trace, as the Collector's kafkaexporter does."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from llmledger.pipelines.gateway_split import split_by_trace

STARTED = datetime(2026, 5, 2, 8, 30, tzinfo=UTC)
TRACE_A = bytes(range(1, 17))
TRACE_B = bytes(range(101, 117))


def span(otlp: SimpleNamespace, trace_id: bytes, number: int) -> Span:
    result: Span = otlp.span(
        {"n": number}, trace_id=trace_id, span_id=number.to_bytes(8, "big"), start=STARTED
    )
    return result


def two_services(otlp: SimpleNamespace) -> ExportTraceServiceRequest:
    """Two resources, two scopes in the first, spans of two traces interleaved."""
    return ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=otlp.resource({"service.name": "checkout"}),
                schema_url="https://opentelemetry.io/schemas/1.30.0",
                scope_spans=[
                    ScopeSpans(
                        scope=InstrumentationScope(name="openai", version="1.0"),
                        spans=[span(otlp, TRACE_A, 1), span(otlp, TRACE_B, 2)],
                    ),
                    ScopeSpans(
                        scope=InstrumentationScope(name="http"),
                        spans=[span(otlp, TRACE_A, 3)],
                    ),
                ],
            ),
            ResourceSpans(
                resource=otlp.resource({"service.name": "search"}),
                scope_spans=[ScopeSpans(spans=[span(otlp, TRACE_B, 4), span(otlp, TRACE_A, 5)])],
            ),
        ]
    )


def spans_with_context(request: ExportTraceServiceRequest) -> list[tuple[str, str, str, int]]:
    """(service, scope, schema url, span number) of every span, to compare placements."""
    return [
        (
            resource_spans.resource.attributes[0].value.string_value,
            scope_spans.scope.name,
            resource_spans.schema_url,
            s.attributes[0].value.int_value,
        )
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for s in scope_spans.spans
    ]


def test_each_trace_gets_one_message_keyed_by_its_hex_id(otlp: SimpleNamespace) -> None:
    messages = split_by_trace(two_services(otlp))

    assert [m.key for m in messages] == [TRACE_A.hex().encode(), TRACE_B.hex().encode()]
    assert all(len(m.key) == 32 for m in messages)
    for message in messages:
        part = ExportTraceServiceRequest.FromString(message.value)
        trace_ids = {
            s.trace_id for rs in part.resource_spans for ss in rs.scope_spans for s in ss.spans
        }
        assert trace_ids == {bytes.fromhex(message.key.decode())}
        assert message.span_count == len(spans_with_context(part))


def test_every_span_keeps_its_resource_scope_and_schema(otlp: SimpleNamespace) -> None:
    request = two_services(otlp)
    messages = split_by_trace(request)

    reassembled = [
        placement
        for message in messages
        for placement in spans_with_context(ExportTraceServiceRequest.FromString(message.value))
    ]
    assert Counter(reassembled) == Counter(spans_with_context(request))
    assert sum(m.span_count for m in messages) == 5


def test_a_single_trace_export_is_forwarded_unchanged(otlp: SimpleNamespace) -> None:
    request = otlp.export([span(otlp, TRACE_A, 1), span(otlp, TRACE_A, 2)])
    original = request.SerializeToString()

    [message] = split_by_trace(request, original)

    assert message.value is original
    assert (message.key, message.span_count) == (TRACE_A.hex().encode(), 2)
    # Without the original bytes the message is re-encoded, to an equal request.
    [rebuilt] = split_by_trace(request)
    assert ExportTraceServiceRequest.FromString(rebuilt.value) == request


def test_an_export_without_spans_makes_no_message() -> None:
    assert split_by_trace(ExportTraceServiceRequest(resource_spans=[ResourceSpans()])) == []


trace_ids = st.sampled_from([bytes([n]) * 16 for n in range(1, 5)])
random_spans = st.builds(
    Span,
    trace_id=trace_ids,
    span_id=st.binary(min_size=8, max_size=8),
    name=st.text(max_size=200),  # long enough for multi-byte length prefixes
    attributes=st.lists(
        st.builds(
            KeyValue,
            key=st.text(max_size=5),
            value=st.builds(AnyValue, int_value=st.integers(-5, 5)),
        ),
        max_size=3,
    ),
)
random_exports = st.builds(
    ExportTraceServiceRequest,
    resource_spans=st.lists(
        st.builds(
            ResourceSpans,
            resource=st.one_of(
                st.none(), st.builds(Resource, dropped_attributes_count=st.integers(0, 3))
            ),
            schema_url=st.text(max_size=5),
            scope_spans=st.lists(
                st.builds(
                    ScopeSpans,
                    scope=st.one_of(
                        st.none(), st.builds(InstrumentationScope, name=st.text(max_size=5))
                    ),
                    schema_url=st.text(max_size=5),
                    spans=st.lists(random_spans, max_size=6),
                ),
                max_size=3,
            ),
        ),
        max_size=3,
    ),
)


def placements(request: ExportTraceServiceRequest) -> Counter[bytes]:
    """Each span re-wrapped alone in its resource and scope, serialized: equal iff all agree."""
    found: Counter[bytes] = Counter()
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for s in scope_spans.spans:
                alone = ResourceSpans(
                    schema_url=resource_spans.schema_url,
                    scope_spans=[ScopeSpans(schema_url=scope_spans.schema_url, spans=[s])],
                )
                if resource_spans.HasField("resource"):
                    alone.resource.CopyFrom(resource_spans.resource)
                if scope_spans.HasField("scope"):
                    alone.scope_spans[0].scope.CopyFrom(scope_spans.scope)
                found[alone.SerializeToString(deterministic=True)] += 1
    return found


@settings(max_examples=200, deadline=None)
@given(random_exports)
def test_splitting_keeps_every_span_with_its_resource_and_scope(
    request: ExportTraceServiceRequest,
) -> None:
    messages = split_by_trace(request)

    reassembled: Counter[bytes] = Counter()
    for message in messages:
        part = ExportTraceServiceRequest.FromString(message.value)
        assert {
            s.trace_id.hex().encode()
            for rs in part.resource_spans
            for ss in rs.scope_spans
            for s in ss.spans
        } == {message.key}
        assert message.span_count == sum(placements(part).values())
        reassembled += placements(part)
    assert reassembled == placements(request)
    assert len(messages) == len({message.key for message in messages})
