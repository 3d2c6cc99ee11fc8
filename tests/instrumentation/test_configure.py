"""configure(): resource, OTLP/HTTP export to a real receiver, global provider, re-configuring,
and an application that keeps working when the OTLP endpoint is down."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai
import pytest
from openai.resources.chat.completions import Completions
from openai.types.chat import ChatCompletionMessageParam
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.instrumentation import (
    attribute,
)
from llmledger.instrumentation import attributes as attr
from llmledger.simulator import Simulator

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    request: ExportTraceServiceRequest


@dataclass
class OtlpReceiver:
    """A minimal OTLP/HTTP protobuf traces receiver on a free port."""

    url: str
    received: list[Received] = field(default_factory=list)

    def attributes_of(self, span_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(resource attributes, span attributes) of the one received span named `span_name`."""
        found = [
            (resource_spans.resource, span)
            for item in self.received
            for resource_spans in item.request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
            if span.name == span_name
        ]
        assert len(found) == 1, found
        resource, span = found[0]
        return _values(resource.attributes), _values(span.attributes)


def _values(key_values: Any) -> dict[str, Any]:
    out = {}
    for kv in key_values:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind)
    return out


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            headers = {name.lower(): value for name, value in self.headers.items()}
            receiver.received.append(Received(self.path, headers, request))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join()


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_spans_reach_the_otlp_endpoint_with_resource_and_headers(
    otlp_receiver: OtlpReceiver,
    configured: Callable[..., TracerProvider],
    sim: Simulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=secret-1")
    provider = configured(service_name="checkout", endpoint=otlp_receiver.url)
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    with attribute(feature="summary", user_id="u-9"):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert provider.force_flush()

    [received] = otlp_receiver.received
    assert received.path == "/v1/traces"
    assert received.headers["content-type"] == "application/x-protobuf"
    assert received.headers["x-api-key"] == "secret-1"
    resource, span = otlp_receiver.attributes_of("chat gpt-4o")
    assert resource["service.name"] == "checkout"
    assert resource["deployment.environment"] == "test"
    assert span[attr.PROVIDER_NAME] == "openai"
    assert span[attr.FEATURE] == "summary"
    assert span[attr.USER_ID] == "u-9"


@pytest.mark.parametrize(
    ("variable", "suffix", "expected_path"),
    [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "", "/v1/traces"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "/custom/traces", "/custom/traces"),
    ],
)
def test_endpoint_and_service_name_from_the_environment(
    otlp_receiver: OtlpReceiver,
    configured: Callable[..., TracerProvider],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    suffix: str,
    expected_path: str,
) -> None:
    monkeypatch.setenv(variable, otlp_receiver.url + suffix)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    provider = configured(instrument=False)
    trace.get_tracer("app").start_span("work").end()
    assert provider.force_flush()
    assert [item.path for item in otlp_receiver.received] == [expected_path]
    resource, _ = otlp_receiver.attributes_of("work")
    assert resource["service.name"] == "from-env"


def test_becomes_the_global_provider_and_attributes_other_instrumentations(
    otlp_receiver: OtlpReceiver, configured: Callable[..., TracerProvider]
) -> None:
    memory = InMemorySpanExporter()
    provider = configured(
        endpoint=otlp_receiver.url,
        instrument=False,
        span_processors=[SimpleSpanProcessor(memory)],
    )
    assert trace.get_tracer_provider() is provider
    with attribute(team="search"):
        other = trace.get_tracer("another-genai-instrumentation")
        other.start_span("chat", attributes={"gen_ai.operation.name": "chat"}).end()
    [span] = memory.get_finished_spans()
    assert (span.attributes or {})[attr.TEAM] == "search"


def test_instrument_false_patches_nothing(configured: Callable[..., TracerProvider]) -> None:
    original = Completions.__dict__["create"]
    configured(endpoint=f"http://127.0.0.1:{_unused_port()}", instrument=False)
    assert Completions.__dict__["create"] is original


def test_configuring_again_repoints_the_sdks_at_the_new_provider(
    otlp_receiver: OtlpReceiver,
    configured: Callable[..., TracerProvider],
    sim: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, second = InMemorySpanExporter(), InMemorySpanExporter()
    configured(endpoint=otlp_receiver.url, span_processors=[SimpleSpanProcessor(first)])
    with caplog.at_level(logging.WARNING, logger="llmledger"):
        configured(endpoint=otlp_receiver.url, span_processors=[SimpleSpanProcessor(second)])
    assert "global TracerProvider was already set" in caplog.text
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert first.get_finished_spans() == ()
    assert [span.name for span in second.get_finished_spans()] == ["chat gpt-4o"]


def test_app_is_unaffected_when_the_otlp_endpoint_is_down(
    configured: Callable[..., TracerProvider],
    sim: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Export every 50 ms so exports fail while the app is busy; a 1 s export timeout keeps the
    # test short (a blocking design would still stall each call for about that second).
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "1")
    memory = InMemorySpanExporter()
    provider = configured(
        endpoint=f"http://127.0.0.1:{_unused_port()}",
        span_processors=[SimpleSpanProcessor(memory)],
    )
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    with caplog.at_level(logging.DEBUG, logger="llmledger"):
        began = time.monotonic()
        responses = [
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES) for _ in range(20)
        ]
        elapsed = time.monotonic() - began
        provider.force_flush(timeout_millis=5000)
    assert all(response.choices[0].message.content for response in responses)
    assert len(memory.get_finished_spans()) == 20
    # The calls never waited on the failing exports...
    assert elapsed < 5
    # ...which were reported by exactly one warning in all, instead of one per batch and retry.
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["llmledger.instrumentation"]
    assert warnings[0].getMessage().startswith("llmledger: cannot export spans to http://127")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"endpoint": "127.0.0.1:4318"}, "endpoint must be an http"),
        ({"service_name": ""}, "service_name must be a non-empty str"),
    ],
)
def test_bad_arguments_get_a_clear_error(
    configured: Callable[..., TracerProvider], kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        configured(instrument=False, **kwargs)
