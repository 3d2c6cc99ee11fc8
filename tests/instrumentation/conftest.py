"""Fixtures for the instrumentation tests: a real provider simulator and in-memory spans.

- `sim` (session): the provider simulator on a free port.
- `spans` (function): InMemorySpanExporter behind a TracerProvider that also runs the
  AttributionSpanProcessor, as `configure()` would set it up.
- `openai_instrumented` / `anthropic_instrumented` (function): the SDK patched for one test,
  unpatched after it.
- `google_instrumented` (function): the same for google-genai.
- `usage_header` (function): `usage_header(**counts)` builds the simulator's usage-override
  header, in neutral terms.
- `configured` (function): `configure(...)` with the process-wide provider and propagator
  reset for the test, and everything it set up torn down afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

from llmledger.instrumentation import (
    AnthropicInstrumentor,
    AttributionSpanProcessor,
    GoogleGenAIInstrumentor,
    OpenAIInstrumentor,
    configure,
)
from llmledger.instrumentation.privacy import configure_key, configured_key
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


Instrumentor = TypeVar("Instrumentor", bound=BaseInstrumentor)


def _fresh(instrumentor: Instrumentor) -> Instrumentor:
    # Instrumentors are process-wide singletons: one left instrumented by an earlier test
    # (e.g. through `configure`) would ignore this test's tracer provider.
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    return instrumentor


@pytest.fixture
def openai_instrumented(tracer_provider: TracerProvider) -> Iterator[OpenAIInstrumentor]:
    instrumentor = _fresh(OpenAIInstrumentor())
    instrumentor.instrument(tracer_provider=tracer_provider)
    yield instrumentor
    instrumentor.uninstrument()


@pytest.fixture
def anthropic_instrumented(tracer_provider: TracerProvider) -> Iterator[AnthropicInstrumentor]:
    instrumentor = _fresh(AnthropicInstrumentor())
    instrumentor.instrument(tracer_provider=tracer_provider)
    yield instrumentor
    instrumentor.uninstrument()


@pytest.fixture
def google_instrumented(tracer_provider: TracerProvider) -> Iterator[GoogleGenAIInstrumentor]:
    instrumentor = _fresh(GoogleGenAIInstrumentor())
    instrumentor.instrument(tracer_provider=tracer_provider)
    yield instrumentor
    instrumentor.uninstrument()


def _usage_header(**counts: Any) -> dict[str, str]:
    return {USAGE_HEADER: json.dumps(counts)}


@pytest.fixture
def usage_header() -> Callable[..., dict[str, str]]:
    """`usage_header(**counts)`: `extra_headers` making the simulator report exactly `counts`."""
    return _usage_header


@pytest.fixture
def fresh_globals(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let this test set the process-wide TracerProvider (normally settable only once),
    propagator and user-id hashing key; all are restored afterwards."""
    monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    original_propagator = propagate.get_global_textmap()
    original_key = configured_key()
    yield
    propagate.set_global_textmap(original_propagator)
    configure_key(original_key)


@pytest.fixture
def configured(fresh_globals: None) -> Iterator[Callable[..., TracerProvider]]:
    """`configure`, with every provider it made shut down and the SDKs unpatched afterwards."""
    providers: list[TracerProvider] = []

    def configure_for_test(*args: Any, **kwargs: Any) -> TracerProvider:
        provider = configure(*args, **kwargs)
        providers.append(provider)
        return provider

    yield configure_for_test
    for instrumentor in (OpenAIInstrumentor(), AnthropicInstrumentor(), GoogleGenAIInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    for provider in providers:
        provider.shutdown()
