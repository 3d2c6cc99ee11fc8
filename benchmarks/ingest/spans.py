"""Synthetic OTLP exports for the ingest benchmark and the consumer's failure tests.

Two traffic shapes: `fleet` (what a Collector forwarding everything sends: 1 span in 20 is
an LLM call, the rest HTTP server and database client spans with the attributes real
instrumentations put on them) and `llm_only`. LLM spans rotate through the conventions the
normalizer accepts (OpenTelemetry GenAI, OpenLLMetry, OpenInference), so the measured
path is the one production traffic takes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

SPANS_PER_MESSAGE = 512
START_NS = 1_777_593_600 * 10**9  # 2026-05-01T00:00:00Z
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "o4-mini")


@dataclass
class Truth:
    """What the produced LLM spans add up to: the totals the lake must reproduce."""

    spans: int = 0
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    reasoning_output_tokens: int = 0
    call_ids: set[str] = field(default_factory=set)

    def add(self, other: Truth) -> None:
        self.spans += other.spans
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_input_tokens += other.cache_read_input_tokens
        self.reasoning_output_tokens += other.reasoning_output_tokens
        self.call_ids |= other.call_ids


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def _http_attributes(rng: random.Random) -> list[KeyValue]:
    route = rng.choice(("/api/orders/{id}", "/api/cart", "/healthz", "/api/search"))
    return [
        _kv("http.request.method", rng.choice(("GET", "POST", "PUT"))),
        _kv("http.route", route),
        _kv("url.path", route.replace("{id}", str(rng.randrange(10**6)))),
        _kv("url.scheme", "https"),
        _kv("http.response.status_code", rng.choice((200, 200, 200, 201, 404, 500))),
        _kv("server.address", "shop.internal"),
        _kv("server.port", 8443),
        _kv("network.protocol.version", "1.1"),
        _kv("client.address", f"10.0.{rng.randrange(256)}.{rng.randrange(256)}"),
        _kv("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"),
    ]


def _db_attributes(rng: random.Random) -> list[KeyValue]:
    table = rng.choice(("orders", "customers", "carts"))
    return [
        _kv("db.system.name", "postgresql"),
        _kv("db.namespace", "shop"),
        _kv("db.operation.name", "SELECT"),
        _kv("db.collection.name", table),
        _kv("db.query.text", f"SELECT * FROM {table} WHERE id = $1"),
        _kv("server.address", "db.internal"),
        _kv("server.port", 5432),
    ]


def _llm_attributes(rng: random.Random, number: int, truth: Truth) -> list[KeyValue]:
    model = MODELS[number % len(MODELS)]
    prompt, completion = rng.randrange(10, 20_000), rng.randrange(1, 2_000)
    cached, reasoning = rng.randrange(0, prompt + 1), rng.randrange(0, completion + 1)
    truth.calls += 1
    truth.input_tokens += prompt
    truth.output_tokens += completion
    truth.cache_read_input_tokens += cached
    truth.reasoning_output_tokens += reasoning
    user = f"user-{rng.randrange(500)}"
    convention = number % 3
    if convention == 0:  # OpenTelemetry GenAI (and llmledger's own names)
        pairs: list[tuple[str, Any]] = [
            ("gen_ai.provider.name", "openai"),
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.request.model", model),
            ("gen_ai.response.model", f"{model}-2026-01-01"),
            ("gen_ai.response.id", f"chatcmpl-{number}"),
            ("gen_ai.usage.input_tokens", prompt),
            ("gen_ai.usage.cache_read.input_tokens", cached),
            ("gen_ai.usage.output_tokens", completion),
            ("gen_ai.usage.reasoning.output_tokens", reasoning),
            ("gen_ai.request.temperature", 0.2),
            ("gen_ai.response.finish_reasons", "stop"),
            ("llmledger.feature", "support-reply"),
            ("llmledger.team", "care"),
            ("user.id", user),
        ]
    elif convention == 1:  # OpenLLMetry
        pairs = [
            ("gen_ai.system", "OpenAI"),
            ("llm.request.type", "chat"),
            ("gen_ai.request.model", model),
            ("gen_ai.response.model", model),
            ("gen_ai.usage.prompt_tokens", prompt),
            ("gen_ai.usage.completion_tokens", completion),
            ("llm.usage.total_tokens", prompt + completion),
            ("gen_ai.usage.cache_read_input_tokens", cached),
            ("gen_ai.usage.reasoning_tokens", reasoning),
            ("llm.is_streaming", False),
            ("traceloop.association.properties.user_id", user),
            ("gen_ai.prompt.0.role", "user"),
            ("gen_ai.prompt.0.content", "Summarize the ticket below in two sentences."),
        ]
    else:  # OpenInference
        pairs = [
            ("openinference.span.kind", "LLM"),
            ("llm.provider", "openai"),
            ("llm.system", "openai"),
            ("llm.model_name", model),
            ("llm.token_count.prompt", prompt),
            ("llm.token_count.prompt_details.cache_read", cached),
            ("llm.token_count.completion", completion),
            ("llm.token_count.completion_details.reasoning", reasoning),
            ("llm.token_count.total", prompt + completion),
            ("user.id", user),
            ("session.id", f"s-{rng.randrange(1000)}"),
            ("input.value", "Summarize the ticket below in two sentences."),
        ]
    return [_kv(key, value) for key, value in pairs]


def build_message(
    rng: random.Random, first_number: int, *, llm_every: int, spans: int = SPANS_PER_MESSAGE
) -> tuple[bytes, Truth]:
    """One serialized export of `spans` spans; every `llm_every`-th one is an LLM call."""
    truth = Truth(spans=spans)
    built = []
    for index in range(spans):
        number = first_number + index
        trace_id = (number // 8 + 1).to_bytes(16, "big")
        span_id = (number + 1).to_bytes(8, "big")
        if number % llm_every == 0:
            attributes, name = _llm_attributes(rng, number, truth), "chat"
            truth.call_ids.add(f"{trace_id.hex()}-{span_id.hex()}")
        elif number % 2:
            attributes, name = _http_attributes(rng), "GET /api"
        else:
            attributes, name = _db_attributes(rng), "SELECT shop.orders"
        start = START_NS + number * 7_000_000
        built.append(
            Span(
                trace_id=trace_id,
                span_id=span_id,
                parent_span_id=(number // 8 * 8 + 1).to_bytes(8, "big"),
                name=name,
                kind=Span.SPAN_KIND_CLIENT,
                start_time_unix_nano=start,
                end_time_unix_nano=start + 350_000_000,
                attributes=attributes,
            )
        )
    resource = Resource(
        attributes=[
            _kv("service.name", "checkout"),
            _kv("service.version", "4.2.0"),
            _kv("deployment.environment.name", "production"),
            _kv("host.name", "checkout-7f9c"),
            _kv("telemetry.sdk.language", "python"),
        ]
    )
    export = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=resource,
                scope_spans=[ScopeSpans(scope=InstrumentationScope(name="mixed"), spans=built)],
            )
        ]
    )
    return export.SerializeToString(), truth


def build_load(
    total_spans: int, *, llm_every: int, seed: int = 7, spans: int = SPANS_PER_MESSAGE
) -> tuple[list[bytes], Truth]:
    """Messages holding `total_spans` spans (the last one may be shorter) and their truth."""
    rng, truth, messages = random.Random(seed), Truth(), []
    for first in range(0, total_spans, spans):
        value, part = build_message(
            rng, first, llm_every=llm_every, spans=min(spans, total_spans - first)
        )
        messages.append(value)
        truth.add(part)
    return messages, truth


def chunks(values: list[bytes], size: int) -> Iterator[list[bytes]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
