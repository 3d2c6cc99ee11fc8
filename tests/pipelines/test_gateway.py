"""The OTLP/HTTP gateway over real HTTP, writing to the real Kafka broker."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import socket
import threading
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
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    values: list[bytes] = []
    try:
        while True:
            message = consumer.poll(10)
            assert message is not None, "no end-of-partition event within 10 s"
            if message.error() is not None:
                return values
            values.append(message.value())
    finally:
        consumer.close()


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
    assert (response.status, json.loads(response.read())) == (200, {"status": "ok"})
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
    assert (status, headers["Retry-After"]) == (503, "3")
    from google.rpc import status_pb2

    assert status_pb2.Status.FromString(reply).code == 14  # UNAVAILABLE
    assert (json_status, json.loads(json_reply)["code"]) == (503, 14)


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
