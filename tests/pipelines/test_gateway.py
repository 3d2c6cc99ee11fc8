"""The OTLP/HTTP gateway over real HTTP, writing to the real Kafka broker."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from confluent_kafka import Consumer, TopicPartition
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from llmledger.infra.settings import Settings
from llmledger.pipelines.gateway import Gateway, serve, shutdown
from llmledger.pipelines.gateway_metrics import Metric
from llmledger.pipelines.otlp import count_spans

PROTOBUF = "application/x-protobuf"
STARTED = datetime(2026, 5, 2, 8, 30, tzinfo=UTC)


def settings_for(bootstrap: str, topic: str) -> Settings:
    return Settings.from_env(
        {"LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": bootstrap, "LLMLEDGER_TOPIC": topic}
    )


def sample_export(otlp: SimpleNamespace) -> ExportTraceServiceRequest:
    chat = otlp.span(
        {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 12}, start=STARTED
    )
    other = otlp.span({"http.route": "/pay"}, span_id=b"\x09" * 8, start=STARTED)
    return otlp.export([chat, other])


def post(
    url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    try:
        all_headers = {"Content-Type": content_type, **(headers or {})}
        connection.request("POST", target.path, body=body, headers=all_headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def topic_messages(bootstrap: str, topic: str) -> list[bytes]:
    """Every message in partition 0, read from the beginning until the end."""
    return [value for _, _, value in keyed_messages(bootstrap, topic)]


def keyed_messages(
    bootstrap: str, topic: str, partitions: int = 1
) -> list[tuple[int, bytes | None, bytes]]:
    """(partition, key, value) of every message in the topic, read until each partition ends."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, partition, 0) for partition in range(partitions)])
    messages: list[tuple[int, bytes | None, bytes]] = []
    unfinished = set(range(partitions))
    try:
        while unfinished:
            message = consumer.poll(10)
            assert message is not None, "no end-of-partition event within 10 s"
            if message.error() is not None:
                unfinished.discard(message.partition())
                continue
            messages.append((message.partition(), message.key(), message.value()))
        return messages
    finally:
        consumer.close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    try:
        connection.request("GET", target.path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def otlp_json(request: ExportTraceServiceRequest) -> bytes:
    """OTLP/JSON as exporters send it: camelCase, integer enums, hex ids, int64 as strings."""
    document = json_format.MessageToDict(request, use_integers_for_enums=True)
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                for field in ("traceId", "spanId", "parentSpanId"):
                    if field in span:
                        span[field] = base64.b64decode(span[field]).hex()
    return json.dumps(document).encode()


@pytest.fixture
def topic(new_topic: Callable[..., str]) -> str:
    return new_topic()


@pytest.fixture
def gateway(kafka_bootstrap: str, topic: str) -> Iterator[Gateway]:
    with Gateway(settings_for(kafka_bootstrap, topic), port=0, max_body_bytes=64_000) as running:
        yield running


def test_protobuf_export_lands_on_the_topic_byte_for_byte(
    gateway: Gateway, kafka_bootstrap: str, topic: str, otlp: SimpleNamespace
) -> None:
    body = sample_export(otlp).SerializeToString()
    status, headers, reply = post(gateway.url + "/v1/traces", body, PROTOBUF)

    assert status == 200
    assert headers["Content-Type"] == PROTOBUF
    assert ExportTraceServiceResponse.FromString(reply) == ExportTraceServiceResponse()
    [stored] = topic_messages(kafka_bootstrap, topic)
    assert stored == body
    assert ExportTraceServiceRequest.FromString(stored) == sample_export(otlp)


def test_json_export_is_reencoded_as_protobuf(
    gateway: Gateway, kafka_bootstrap: str, topic: str, otlp: SimpleNamespace
) -> None:
    status, headers, reply = post(
        gateway.url + "/v1/traces", otlp_json(sample_export(otlp)), "application/json"
    )

    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(reply) == {}
    [stored] = topic_messages(kafka_bootstrap, topic)
    assert ExportTraceServiceRequest.FromString(stored) == sample_export(otlp)


def test_gzip_body_and_keep_alive(
    gateway: Gateway, kafka_bootstrap: str, topic: str, otlp: SimpleNamespace
) -> None:
    body = sample_export(otlp).SerializeToString()
    target = urlsplit(gateway.url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    try:
        for _ in range(2):  # two exports over one HTTP/1.1 connection
            connection.request(
                "POST",
                "/v1/traces",
                body=gzip.compress(body),
                headers={"Content-Type": PROTOBUF, "Content-Encoding": "gzip"},
            )
            response = connection.getresponse()
            response.read()
            assert response.status == 200
    finally:
        connection.close()
    assert topic_messages(kafka_bootstrap, topic) == [body, body]


def test_the_sdk_exporter_is_accepted(gateway: Gateway, kafka_bootstrap: str, topic: str) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(gateway.url + "/v1/traces")))
    with provider.get_tracer("test").start_as_current_span("chat gpt-4o") as span:
        span.set_attribute("gen_ai.operation.name", "chat")
        trace_id = span.get_span_context().trace_id
    provider.shutdown()

    [stored] = topic_messages(kafka_bootstrap, topic)
    [resource_spans] = ExportTraceServiceRequest.FromString(stored).resource_spans
    [exported] = resource_spans.scope_spans[0].spans
    assert exported.trace_id == trace_id.to_bytes(16, "big")
    assert exported.name == "chat gpt-4o"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x00\x01\x02garbage", PROTOBUF),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
            "application/json",
        ),
        (b'{"resourceSpans": "nope"}', "application/json"),
        (b"{not json", "application/json"),
    ],
    ids=["protobuf-garbage", "json-bad-hex-id", "json-wrong-shape", "json-syntax"],
)
def test_malformed_export_is_rejected_and_nothing_is_written(
    gateway: Gateway,
    kafka_bootstrap: str,
    topic: str,
    otlp: SimpleNamespace,
    body: bytes,
    content_type: str,
) -> None:
    status, _, _ = post(gateway.url + "/v1/traces", body, content_type)
    assert status == 400

    # A valid export afterwards is the only message: the bad one left no trace.
    good = sample_export(otlp).SerializeToString()
    assert post(gateway.url + "/v1/traces", good, PROTOBUF)[0] == 200
    assert topic_messages(kafka_bootstrap, topic) == [good]


def test_span_ids_of_the_wrong_length_are_rejected(gateway: Gateway, otlp: SimpleNamespace) -> None:
    short_id = otlp.export([otlp.span({}, trace_id=b"\x01" * 8, start=STARTED)])
    status, _, _ = post(gateway.url + "/v1/traces", short_id.SerializeToString(), PROTOBUF)
    assert status == 400


def test_size_type_path_and_health(gateway: Gateway) -> None:
    assert post(gateway.url + "/v1/traces", b"\x00" * 64_001, PROTOBUF)[0] == 413
    bomb = gzip.compress(b"\x00" * 1_000_000)  # small on the wire, too large inflated
    assert post(gateway.url + "/v1/traces", bomb, PROTOBUF, {"Content-Encoding": "gzip"})[0] == 413
    assert post(gateway.url + "/v1/traces", b"{}", "text/plain")[0] == 415
    assert post(gateway.url + "/v1/logs", b"", PROTOBUF)[0] == 404

    target = urlsplit(gateway.url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    connection.request("GET", "/health")
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (200, {"status": "ok", "kafka": True})
    connection.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_unreachable_kafka_answers_503_with_retry_after(otlp: SimpleNamespace) -> None:
    settings = settings_for(f"127.0.0.1:{closed_port()}", "otlp_spans")
    with Gateway(settings, port=0, delivery_timeout_s=1.0, retry_after_s=3) as gateway:
        body: Any = sample_export(otlp).SerializeToString()
        status, headers, reply = post(gateway.url + "/v1/traces", body, PROTOBUF)
        json_status, _, json_reply = post(
            gateway.url + "/v1/traces", otlp_json(sample_export(otlp)), "application/json"
        )
        health_status, _, health = get(gateway.url + "/health")
        metrics = gateway.metrics
    assert (status, headers["Retry-After"]) == (503, "3")
    from google.rpc import status_pb2

    assert status_pb2.Status.FromString(reply).code == 14  # UNAVAILABLE
    assert (json_status, json.loads(json_reply)["code"]) == (503, 14)
    assert (health_status, json.loads(health)) == (503, {"status": "unavailable", "kafka": False})
    assert metrics.value(Metric.llmledger_gateway_kafka_failures_total, kind="unavailable") == 2
    assert metrics.value(
        Metric.llmledger_gateway_spans_rejected_total, transport="http", reason="kafka_unavailable"
    ) == 2 * count_spans(sample_export(otlp))


def test_serve_binds_the_configured_port_until_shutdown(kafka_bootstrap: str, topic: str) -> None:
    port = closed_port()
    settings = Settings.from_env(
        {
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LLMLEDGER_TOPIC": topic,
            "LLMLEDGER_GATEWAY_PORT": str(port),
        }
    )
    ready = threading.Event()
    server = threading.Thread(target=serve, args=(settings,), kwargs={"ready": ready})
    server.start()
    try:
        assert ready.wait(30)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        shutdown()
        server.join(30)
    assert not server.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_each_trace_is_one_message_keyed_by_trace_id_on_one_partition(
    kafka_bootstrap: str, new_topic: Callable[..., str], otlp: SimpleNamespace
) -> None:
    topic = new_topic(partitions=4)
    trace_ids = [bytes([n]) * 16 for n in range(1, 9)]
    exports = [  # two exports, each interleaving spans of all eight traces
        otlp.export(
            [
                otlp.span(
                    {"n": e * 100 + i},
                    trace_id=trace_ids[i % 8],
                    span_id=bytes([e, i]) * 4,
                    start=STARTED,
                )
                for i in range(24)
            ]
        )
        for e in range(2)
    ]
    with Gateway(settings_for(kafka_bootstrap, topic), port=0) as gateway:
        for export in exports:
            assert post(gateway.url + "/v1/traces", export.SerializeToString(), PROTOBUF)[0] == 200

    messages = keyed_messages(kafka_bootstrap, topic, partitions=4)
    assert len(messages) == 16  # one per trace per export
    partition_of: dict[bytes, set[int]] = {}
    stored_numbers = []
    for partition, key, value in messages:
        assert key is not None
        stored = ExportTraceServiceRequest.FromString(value)
        spans = [s for rs in stored.resource_spans for ss in rs.scope_spans for s in ss.spans]
        assert {s.trace_id.hex().encode() for s in spans} == {key}
        assert stored.resource_spans[0].resource == exports[0].resource_spans[0].resource
        partition_of.setdefault(key, set()).add(partition)
        stored_numbers += [s.attributes[0].value.int_value for s in spans]
    assert sorted(partition_of) == sorted(t.hex().encode() for t in trace_ids)
    assert all(len(partitions) == 1 for partitions in partition_of.values())
    assert len({p for ps in partition_of.values() for p in ps}) > 1  # keys do spread
    assert sorted(stored_numbers) == sorted(e * 100 + i for e in range(2) for i in range(24))


def test_bearer_token_is_required_when_configured(
    kafka_bootstrap: str, topic: str, otlp: SimpleNamespace
) -> None:
    settings = Settings.from_env(
        {
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LLMLEDGER_TOPIC": topic,
            "LLMLEDGER_GATEWAY_TOKEN": "s3cret",
        }
    )
    body = sample_export(otlp).SerializeToString()
    with Gateway(settings, port=0) as gateway:
        url = gateway.url + "/v1/traces"
        missing = post(url, body, PROTOBUF)
        wrong = post(url, body, PROTOBUF, {"Authorization": "Bearer s3creT"})
        right = post(url, body, PROTOBUF, {"Authorization": "Bearer s3cret"})
        rejected = gateway.metrics.value(
            Metric.llmledger_gateway_requests_rejected_total,
            transport="http",
            reason="unauthenticated",
        )

    assert (missing[0], missing[1]["WWW-Authenticate"]) == (401, "Bearer")
    assert (wrong[0], right[0], rejected) == (401, 200, 2)
    assert topic_messages(kafka_bootstrap, topic) == [body]


def test_metrics_count_every_outcome_in_prometheus_text(
    gateway: Gateway, otlp: SimpleNamespace
) -> None:
    good = sample_export(otlp).SerializeToString()
    for body in (good, good, b"\xff garbage"):
        post(gateway.url + "/v1/traces", body, PROTOBUF)
    post(gateway.url + "/v1/traces", b"\x00" * 64_001, PROTOBUF)

    status, headers, text = get(gateway.url + "/metrics")

    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = dict(
        line.rsplit(" ", 1) for line in text.decode().splitlines() if not line.startswith("#")
    )
    spans_per_export = count_spans(sample_export(otlp))
    assert samples['llmledger_gateway_requests_total{transport="http"}'] == "4"
    assert samples['llmledger_gateway_exports_accepted_total{transport="http"}'] == "2"
    assert samples['llmledger_gateway_spans_accepted_total{transport="http"}'] == str(
        2 * spans_per_export
    )
    assert samples["llmledger_gateway_kafka_messages_total"] == "2"  # one trace per export
    assert samples["llmledger_gateway_kafka_bytes_total"] == str(2 * len(good))
    rejected = "llmledger_gateway_requests_rejected_total"
    assert samples[f'{rejected}{{reason="malformed",transport="http"}}'] == "1"
    assert samples[f'{rejected}{{reason="too_large",transport="http"}}'] == "1"
    assert samples["llmledger_gateway_inflight_bytes"] == "0"
    # Every exposed name is in the closed list.
    assert {name.split("{")[0] for name in samples} <= {metric.name for metric in Metric}


def test_exports_beyond_the_inflight_budget_get_429(otlp: SimpleNamespace) -> None:
    # An unreachable broker holds the first export in flight for the whole delivery timeout.
    settings = Settings.from_env(
        {
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{closed_port()}",
            "LLMLEDGER_GATEWAY_MAX_INFLIGHT_BYTES": "1",
        }
    )
    body = sample_export(otlp).SerializeToString()
    first: list[int] = []
    with Gateway(settings, port=0, delivery_timeout_s=3.0, retry_after_s=4) as gateway:
        url = gateway.url + "/v1/traces"
        waiting = threading.Thread(target=lambda: first.append(post(url, body, PROTOBUF)[0]))
        waiting.start()
        deadline = time.monotonic() + 10
        while not gateway.metrics.value(Metric.llmledger_gateway_inflight_bytes):
            assert time.monotonic() < deadline, "the first export never went in flight"
            time.sleep(0.01)
        status, headers, reply = post(url, otlp_json(sample_export(otlp)), "application/json")
        waiting.join()
        backpressure = gateway.metrics.value(
            Metric.llmledger_gateway_kafka_failures_total, kind="backpressure"
        )

    assert (status, headers["Retry-After"], json.loads(reply)["code"]) == (429, "4", 8)
    assert first == [503]  # the one in flight then timed out: retryable too
    assert backpressure == 1


def test_a_trace_too_large_for_the_broker_is_413_not_retried(
    kafka_bootstrap: str, topic: str, otlp: SimpleNamespace
) -> None:
    # The broker keeps its default limit (about 1 MB per batch); random bytes do not compress.
    huge = otlp.export([otlp.span({"blob": os.urandom(800_000).hex()}, start=STARTED)])
    settings = Settings.from_env(
        {
            "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "LLMLEDGER_TOPIC": topic,
            "LLMLEDGER_GATEWAY_MAX_BODY_BYTES": "4000000",
        }
    )
    with Gateway(settings, port=0) as gateway:
        status, headers, _ = post(gateway.url + "/v1/traces", huge.SerializeToString(), PROTOBUF)
        too_large = gateway.metrics.value(
            Metric.llmledger_gateway_kafka_failures_total, kind="too_large"
        )

    assert (status, "Retry-After" in headers, too_large) == (413, False, 1)
    assert topic_messages(kafka_bootstrap, topic) == []
