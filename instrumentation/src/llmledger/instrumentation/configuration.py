"""`configure()`: the one call an application makes to send cost-ready LLM spans to llmledger."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from llmledger.instrumentation._export import OutageReportingExporter
from llmledger.instrumentation._safety import logger
from llmledger.instrumentation.anthropic import AnthropicInstrumentor
from llmledger.instrumentation.google_genai import GoogleGenAIInstrumentor
from llmledger.instrumentation.openai import OpenAIInstrumentor
from llmledger.instrumentation.privacy import (
    UserIdHashingPropagator,
    UserIdHashingSpanProcessor,
    configure_key,
    hmac_key_from,
)
from llmledger.instrumentation.processor import AttributionSpanProcessor

_TRACES_PATH = "/v1/traces"

# (SDK module, its instrumentor); an SDK that is not installed is simply skipped.
_INSTRUMENTORS = (
    ("openai", OpenAIInstrumentor),
    ("anthropic", AnthropicInstrumentor),
    ("google.genai", GoogleGenAIInstrumentor),
)


def _traces_url(endpoint: str) -> str:
    if not endpoint.startswith(("http://", "https://")):
        raise ValueError(f"configure(): endpoint must be an http(s) URL, got {endpoint!r}")
    base = endpoint.rstrip("/")
    return base if base.endswith(_TRACES_PATH) else base + _TRACES_PATH


def _install_globally(provider: TracerProvider) -> None:
    # The global provider can be set only once per process; other instrumentations (HTTP,
    # frameworks, other GenAI libraries) use it, and only its spans get our attribution.
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
        return
    logger.warning(
        "llmledger.configure(): a global TracerProvider was already set; llmledger's spans use "
        "the returned provider, but spans of other instrumentations get no attribution unless "
        "you add AttributionSpanProcessor() to the global provider"
    )


def _set_baggage_hashing(key: bytes | None) -> None:
    # Replace rather than stack wrappers, so re-configuring (or dropping the key) takes effect.
    current = propagate.get_global_textmap()
    if isinstance(current, UserIdHashingPropagator):
        current = current.inner
    propagate.set_global_textmap(current if key is None else UserIdHashingPropagator(current, key))


def _installed(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except ImportError:  # the parent package ("google") is missing
        return False


def _instrument_installed_sdks(provider: TracerProvider) -> None:
    for module_name, instrumentor_class in _INSTRUMENTORS:
        if not _installed(module_name):
            continue
        instrumentor = instrumentor_class()
        if instrumentor.is_instrumented_by_opentelemetry:
            # Re-configuring: re-patch so new calls go to the new provider.
            instrumentor.uninstrument()
        instrumentor.instrument(tracer_provider=provider)


def configure(
    service_name: str | None = None,
    endpoint: str | None = None,
    *,
    instrument: bool = True,
    span_processors: Sequence[SpanProcessor] = (),
    user_id_hmac_key: str | bytes | None = None,
) -> TracerProvider:
    """Set up tracing of LLM calls in this process and return the `TracerProvider`.

    - Resource: `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES`, with `service_name` winning.
    - Export: OTLP/HTTP protobuf through a `BatchSpanProcessor`, to `endpoint` (base URL of an
      OTLP/HTTP receiver, e.g. ``http://gateway:4318``; ``/v1/traces`` is appended) or else to
      `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`. Exporting runs on a
      background thread: an unreachable endpoint drops spans but never slows or fails the app,
      and is reported by one warning per outage.
    - `AttributionSpanProcessor`, then `span_processors` (e.g. a test's in-memory exporter).
    - With `user_id_hmac_key` (or ``$LLMLEDGER_USER_ID_HMAC_KEY``; at least 16 bytes), user ids
      leave the process only as their HMAC-SHA256, on spans and in outgoing baggage (see
      `llmledger.instrumentation.privacy`).
    - Becomes the global provider unless one is already set (then a warning says so).
    - With `instrument`, patches every installed SDK (OpenAI, Anthropic, Google GenAI) to trace
      its calls; calling `configure()` again re-points them at the new provider.
    """
    if service_name is not None and not (isinstance(service_name, str) and service_name):
        raise ValueError(f"configure(): service_name must be a non-empty str, got {service_name!r}")
    try:
        hmac_key = hmac_key_from(user_id_hmac_key)
    except (TypeError, ValueError) as error:
        raise ValueError(f"configure(): {error}") from None
    resource = Resource.create({SERVICE_NAME: service_name} if service_name else {})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(AttributionSpanProcessor())
    if hmac_key is not None:
        provider.add_span_processor(UserIdHashingSpanProcessor(hmac_key))
    configure_key(hmac_key)
    _set_baggage_hashing(hmac_key)
    exporter = OTLPSpanExporter(endpoint=_traces_url(endpoint) if endpoint is not None else None)
    # The batch processor's bounded queue (OTEL_BSP_MAX_QUEUE_SIZE, default 2048 spans) caps
    # memory while the endpoint is down: beyond it, new spans are dropped, never the app slowed.
    destination = getattr(exporter, "_endpoint", None) or "the OTLP endpoint"
    provider.add_span_processor(
        BatchSpanProcessor(OutageReportingExporter(exporter, str(destination)))
    )
    for processor in span_processors:
        provider.add_span_processor(processor)
    _install_globally(provider)
    if instrument:
        _instrument_installed_sdks(provider)
    return provider
