"""The OTLP/gRPC receiver (real OTLP/gRPC exporter and raw channel), and TLS on both receivers."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import grpc
import pytest
from confluent_kafka import Consumer, TopicPartition
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from llmledger.infra.settings import Settings
from llmledger.pipelines.gateway import Gateway, serve, shutdown

STARTED = datetime(2026, 5, 2, 8, 30, tzinfo=UTC)
EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def settings_for(bootstrap: str, topic: str, **extra: str) -> Settings:
    return Settings.from_env(
        {"LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS": bootstrap, "LLMLEDGER_TOPIC": topic, **extra}
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def keyed_messages(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes]]:
    """(key, value) of every message in partition 0, read until its end.

    (test_gateway.py has the same helper: test modules cannot import each other here.)
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.partition.eof": True,
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    messages: list[tuple[bytes | None, bytes]] = []
    try:
        while True:
            message = consumer.poll(10)
            assert message is not None, "no end-of-partition event within 10 s"
            if message.error() is not None:
                return messages
            messages.append((message.key(), message.value()))
    finally:
        consumer.close()


def topic_messages(bootstrap: str, topic: str) -> list[bytes]:
    return [value for _, value in keyed_messages(bootstrap, topic)]


def raw_export(
    target: str, body: bytes, metadata: tuple[tuple[str, str], ...] = ()
) -> ExportTraceServiceResponse:
    with grpc.insecure_channel(target) as channel:
        export = channel.unary_unary(
            EXPORT_METHOD, response_deserializer=ExportTraceServiceResponse.FromString
        )
        response: ExportTraceServiceResponse = export(body, metadata=metadata, timeout=30)
        return response


def export_error(target: str, body: bytes, **kwargs: tuple[tuple[str, str], ...]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        raw_export(target, body, **kwargs)
    return raised.value


@pytest.fixture
def topic(new_topic: Callable[..., str]) -> str:
    return new_topic()


@pytest.fixture
def gateway(kafka_bootstrap: str, topic: str) -> Iterator[Gateway]:
    settings = settings_for(kafka_bootstrap, topic)
    with Gateway(settings, port=0, grpc_port=0, max_body_bytes=64_000) as running:
        yield running


def test_the_grpc_sdk_exporter_lands_on_kafka_keyed_by_trace(
    gateway: Gateway, kafka_bootstrap: str, topic: str
) -> None:
    assert gateway.grpc_target is not None
    provider = TracerProvider()
    exporter = OTLPSpanExporter(endpoint=gateway.grpc_target, insecure=True, timeout=30)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("agent") as agent:
        with tracer.start_as_current_span("chat gpt-4o") as chat:
            chat.set_attribute("gen_ai.usage.input_tokens", 12)
        trace_id = agent.get_span_context().trace_id
    provider.shutdown()

    messages = keyed_messages(kafka_bootstrap, topic)
    assert [key for key, _ in messages] == [f"{trace_id:032x}".encode()] * 2
    names = [
        ExportTraceServiceRequest.FromString(value).resource_spans[0].scope_spans[0].spans[0].name
        for _, value in messages
    ]
    assert names == ["chat gpt-4o", "agent"]


def test_malformed_export_is_invalid_argument_and_nothing_is_written(
    gateway: Gateway, kafka_bootstrap: str, topic: str, otlp: SimpleNamespace
) -> None:
    assert gateway.grpc_target is not None
    garbage = export_error(gateway.grpc_target, b"\x0a\xff\xff")
    short_id = otlp.export([otlp.span({}, trace_id=b"\x01" * 8, start=STARTED)])
    bad_id = export_error(gateway.grpc_target, short_id.SerializeToString())
    too_large = export_error(gateway.grpc_target, b"\x00" * 64_001)

    assert garbage.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_id.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "trace_id" in (bad_id.details() or "")
    assert too_large.code() == grpc.StatusCode.RESOURCE_EXHAUSTED  # gRPC's own size limit
    good = otlp.export([otlp.span({}, start=STARTED)]).SerializeToString()
    assert raw_export(gateway.grpc_target, good) == ExportTraceServiceResponse()
    assert topic_messages(kafka_bootstrap, topic) == [good]


def test_bearer_token_is_required_when_configured(
    kafka_bootstrap: str, topic: str, otlp: SimpleNamespace
) -> None:
    settings = settings_for(kafka_bootstrap, topic, LLMLEDGER_GATEWAY_TOKEN="s3cret")
    body = otlp.export([otlp.span({}, start=STARTED)]).SerializeToString()
    with Gateway(settings, port=0, grpc_port=0) as gateway:
        assert gateway.grpc_target is not None
        missing = export_error(gateway.grpc_target, body)
        wrong = export_error(gateway.grpc_target, body, metadata=(("authorization", "s3cret"),))
        raw_export(gateway.grpc_target, body, metadata=(("authorization", "Bearer s3cret"),))

    assert missing.code() == wrong.code() == grpc.StatusCode.UNAUTHENTICATED
    assert topic_messages(kafka_bootstrap, topic) == [body]


def test_unreachable_kafka_is_unavailable_with_a_retry_delay(otlp: SimpleNamespace) -> None:
    settings = settings_for(f"127.0.0.1:{closed_port()}", "otlp_spans")
    body = otlp.export([otlp.span({}, start=STARTED)]).SerializeToString()
    with Gateway(settings, port=0, grpc_port=0, delivery_timeout_s=1.0, retry_after_s=3) as gw:
        assert gw.grpc_target is not None
        error = export_error(gw.grpc_target, body)

    assert error.code() == grpc.StatusCode.UNAVAILABLE
    trailers = dict(error.trailing_metadata() or ())
    rpc_status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    [detail] = rpc_status.details
    retry_info = error_details_pb2.RetryInfo()
    assert detail.Unpack(retry_info)
    assert retry_info.retry_delay.seconds == 3
    assert rpc_status.code == grpc.StatusCode.UNAVAILABLE.value[0]
    bare = error_details_pb2.RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"])
    assert bare == retry_info


def test_serve_runs_both_receivers_and_grpc_health(kafka_bootstrap: str, topic: str) -> None:
    http_port, grpc_port = closed_port(), closed_port()
    settings = settings_for(
        kafka_bootstrap,
        topic,
        LLMLEDGER_GATEWAY_PORT=str(http_port),
        LLMLEDGER_GATEWAY_GRPC_PORT=str(grpc_port),
    )
    ready = threading.Event()
    server = threading.Thread(target=serve, args=(settings,), kwargs={"ready": ready})
    server.start()
    try:
        assert ready.wait(30)
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            check = health_pb2_grpc.HealthStub(channel).Check
            reply = check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        shutdown()
        server.join(30)
    assert not server.is_alive()


def test_grpc_can_be_switched_off() -> None:
    assert Settings.from_env({"LLMLEDGER_GATEWAY_GRPC_PORT": "off"}).gateway_grpc_port is None
    assert Settings.from_env({}).gateway_grpc_port == 4317


# --- TLS, for both receivers -----------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(certificate, key) PEM files for 127.0.0.1 and localhost, made with `cryptography`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "llmledger test gateway")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "gateway.crt", folder / "gateway.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_tls_and_token_on_both_receivers_with_the_sdk_exporters(
    kafka_bootstrap: str,
    topic: str,
    self_signed: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # requests lets these variables override the exporter's own CA file (requests#3829).
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(variable, raising=False)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpSpanExporter,
    )

    cert_file, key_file = self_signed
    settings = settings_for(
        kafka_bootstrap,
        topic,
        LLMLEDGER_GATEWAY_TLS_CERT=str(cert_file),
        LLMLEDGER_GATEWAY_TLS_KEY=str(key_file),
        LLMLEDGER_GATEWAY_TOKEN="s3cret",
    )
    auth = {"authorization": "Bearer s3cret"}
    with Gateway(settings, port=0, grpc_port=0) as gateway:
        assert gateway.url.startswith("https://") and gateway.grpc_target is not None
        credentials = grpc.ssl_channel_credentials(root_certificates=cert_file.read_bytes())
        exporters = [
            HttpSpanExporter(
                gateway.url + "/v1/traces", certificate_file=str(cert_file), headers=auth
            ),
            OTLPSpanExporter(endpoint=gateway.grpc_target, credentials=credentials, headers=auth),
        ]
        provider = TracerProvider()
        for exporter in exporters:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        with provider.get_tracer("test").start_as_current_span("chat gpt-4o") as span:
            trace_id = span.get_span_context().trace_id
        provider.shutdown()
        # Plain HTTP to the TLS port gets no OTLP answer.
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            plain = http.client.HTTPConnection("127.0.0.1", int(gateway.url.rsplit(":", 1)[1]))
            plain.request("GET", "/health")
            plain.getresponse()

    # The span, once through each receiver.
    assert [key for key, _ in keyed_messages(kafka_bootstrap, topic)] == [
        f"{trace_id:032x}".encode()
    ] * 2


def test_tls_needs_both_files(self_signed: tuple[Path, Path]) -> None:
    settings = settings_for("127.0.0.1:9", "t", LLMLEDGER_GATEWAY_TLS_CERT=str(self_signed[0]))
    with pytest.raises(ValueError, match="TLS"):
        Gateway(settings, port=0)
