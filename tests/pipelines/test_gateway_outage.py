"""Kafka down behind the gateway: the real OTLP exporters get retryable errors, retry with
their own backoff, and after the broker is back every span they sent is in the topic.

What is guaranteed, and asserted: an export the gateway acknowledged is entirely in Kafka,
so every span of every export that finally succeeded is in the topic AT LEAST once. An export
refused after part of it reached Kafka is sent again whole by its exporter, so a span may be
stored twice (the warehouse deduplicates calls by call_id); duplicates are allowed, losses
and spans nobody sent are not.

The test runs its own broker (its own folder and ports) so stopping it cannot disturb the
session's shared broker. Cost: two broker starts, about 30-40 s in all.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.infra.kafka import LocalKafka, ensure_topics
from llmledger.infra.settings import Settings
from llmledger.pipelines.gateway import Gateway
from llmledger.pipelines.gateway_metrics import Metric

pytestmark = pytest.mark.kafka
TOPIC = "otlp_spans"
PARTITIONS = 3
RETRY_AFTER_S = 5  # with a 1 s delivery timeout: ~6 s per attempt, 6 attempts per export


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalKafka]:
    broker = LocalKafka(tmp_path / "kafka")
    broker.start(timeout=120)
    try:
        ensure_topics(broker.bootstrap_servers, {TOPIC: PARTITIONS})
        yield broker
    finally:
        broker.stop()


def make_batches(count: int, traces: int, spans_per_trace: int) -> list[list[ReadableSpan]]:
    """`count` batches of finished spans, each mixing `traces` traces."""
    recorder = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(recorder))
    tracer = provider.get_tracer("outage-test")
    batches = []
    for batch in range(count):
        for trace in range(traces):
            with tracer.start_as_current_span(f"agent {batch}.{trace}"):
                for call in range(spans_per_trace - 1):
                    with tracer.start_as_current_span(f"chat {batch}.{trace}.{call}"):
                        pass
        batches.append(list(recorder.get_finished_spans()))
        recorder.clear()
    provider.shutdown()
    return batches


def all_span_ids(bootstrap: str) -> Counter[int]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.partition.eof": True,
        }
    )
    consumer.assign([TopicPartition(TOPIC, partition, 0) for partition in range(PARTITIONS)])
    found: Counter[int] = Counter()
    unfinished = set(range(PARTITIONS))
    try:
        while unfinished:
            message = consumer.poll(10)
            assert message is not None, "no end-of-partition event within 10 s"
            if message.error() is not None:
                unfinished.discard(message.partition())
                continue
            request = ExportTraceServiceRequest.FromString(message.value())
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    found.update(int.from_bytes(s.span_id, "big") for s in scope_spans.spans)
    finally:
        consumer.close()
    return found


def export_in_background(
    exporter: SpanExporter, batch: Sequence[ReadableSpan], results: list[SpanExportResult]
) -> threading.Thread:
    thread = threading.Thread(target=lambda: results.append(exporter.export(batch)))
    thread.start()
    return thread


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_exporters_retry_through_a_kafka_outage_and_nothing_is_lost(
    own_broker: LocalKafka,
) -> None:
    settings = Settings.from_env(
        {
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap_servers,
            "LLMLEDGER_TOPIC": TOPIC,
        }
    )
    warm_up, *during_outage = make_batches(5, traces=4, spans_per_trace=5)
    with Gateway(
        settings, port=0, grpc_port=0, delivery_timeout_s=1.0, retry_after_s=RETRY_AFTER_S
    ) as gateway:
        assert gateway.grpc_target is not None
        endpoint = gateway.url + "/v1/traces"
        assert HttpSpanExporter(endpoint, timeout=90).export(warm_up) is SpanExportResult.SUCCESS

        own_broker.stop()
        exporters: list[SpanExporter] = [
            HttpSpanExporter(endpoint, timeout=90),
            HttpSpanExporter(endpoint, timeout=90),
            GrpcSpanExporter(endpoint=gateway.grpc_target, insecure=True, timeout=90),
            GrpcSpanExporter(endpoint=gateway.grpc_target, insecure=True, timeout=90),
        ]
        results: list[SpanExportResult] = []
        threads = [
            export_in_background(exporter, batch, results)
            for exporter, batch in zip(exporters, during_outage, strict=True)
        ]

        def refused(transport: str) -> float:
            return gateway.metrics.value(
                Metric.llmledger_gateway_requests_rejected_total,
                transport=transport,
                reason="kafka_unavailable",
            )

        # Every exporter has been told to retry at least once before Kafka comes back.
        wait_for(lambda: refused("http") >= 2 and refused("grpc") >= 2, "retryable refusals")
        own_broker.start(timeout=120)
        for thread in threads:
            thread.join(120)
        accepted_spans = gateway.metrics.value(
            Metric.llmledger_gateway_spans_accepted_total, transport="grpc"
        )

    assert results == [SpanExportResult.SUCCESS] * 4
    assert accepted_spans == 2 * 4 * 5
    sent = Counter(span.context.span_id for batch in (warm_up, *during_outage) for span in batch)
    stored = all_span_ids(own_broker.bootstrap_servers)
    # Nothing lost, nothing invented; a span stored twice would be allowed (at-least-once).
    assert set(stored) == set(sent)
