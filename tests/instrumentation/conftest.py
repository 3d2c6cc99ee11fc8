"""Fixtures for the instrumentation tests: a real provider simulator and in-memory spans.

- `sim` (session): the provider simulator on a free port.
- `spans` (function): InMemorySpanExporter behind a TracerProvider that also runs the
  AttributionSpanProcessor, as `configure()` would set it up.
- `openai_instrumented` / `anthropic_instrumented` (function): the SDK patched for one test,
  unpatched after it.
- `usage_header` (function): `usage_header(**counts)` builds the simulator's usage-override
  header, in neutral terms.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.instrumentation import (
    AnthropicInstrumentor,
    AttributionSpanProcessor,
    OpenAIInstrumentor,
)
from llmledger.simulator import USAGE_HEADER, Simulator


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    yield InMemorySpanExporter()


@pytest.fixture
def tracer_provider(spans: InMemorySpanExporter) -> Iterator[TracerProvider]:
    provider = TracerProvider()
    provider.add_span_processor(AttributionSpanProcessor())
    provider.add_span_processor(SimpleSpanProcessor(spans))
    yield provider
    provider.shutdown()


@pytest.fixture
def openai_instrumented(tracer_provider: TracerProvider) -> Iterator[OpenAIInstrumentor]:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    yield instrumentor
    instrumentor.uninstrument()


@pytest.fixture
def anthropic_instrumented(tracer_provider: TracerProvider) -> Iterator[AnthropicInstrumentor]:
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    yield instrumentor
    instrumentor.uninstrument()


def _usage_header(**counts: Any) -> dict[str, str]:
    return {USAGE_HEADER: json.dumps(counts)}


@pytest.fixture
def usage_header() -> Callable[..., dict[str, str]]:
    """`usage_header(**counts)`: `extra_headers` making the simulator report exactly `counts`."""
    return _usage_header
