"""OpenTelemetry instrumentation that records every cost-relevant token of LLM API calls.

Spans follow the OpenTelemetry GenAI semantic conventions (CLIENT span ``chat {model}``, totals
that include their parts: input includes cache read and write, output includes reasoning) plus a
few ``llmledger.*`` attributes for facts the conventions lack (served service tier, 1-hour cache
writes, missing usage). No prompt or completion content is ever recorded.

Usage
-----
::

    from llmledger.instrumentation import attribute, configure

    configure(service_name="support-bot")  # once, at start-up

    with attribute(feature="ticket-summary", team="support", user_id=user.id):
        client.chat.completions.create(model="gpt-5", messages=[...])

    @attribute(feature="triage")
    async def triage(ticket): ...

`attribute` values travel as W3C baggage, so they follow the request into downstream services
that propagate context; `AttributionSpanProcessor` copies them onto every LLM span (ours and
other instrumentations'). Without `configure`, add the pieces yourself::

    provider.add_span_processor(AttributionSpanProcessor())
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    AnthropicInstrumentor().instrument(tracer_provider=provider)

or run under ``opentelemetry-instrument``, which finds the ``llmledger_openai`` and
``llmledger_anthropic`` entry points.

Configuration
-------------
Only standard OpenTelemetry environment variables; arguments of `configure` win over them.

- ``OTEL_SERVICE_NAME``: service name (``service_name=`` overrides).
- ``OTEL_RESOURCE_ATTRIBUTES``: extra resource attributes, ``key=value,key2=value2``.
- ``OTEL_EXPORTER_OTLP_ENDPOINT``: base URL of the OTLP/HTTP receiver (``/v1/traces`` is
  appended); default ``http://localhost:4318``.
- ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``: full traces URL, wins over the base URL
  (``endpoint=`` overrides both).
- ``OTEL_EXPORTER_OTLP_HEADERS`` / ``OTEL_EXPORTER_OTLP_TRACES_HEADERS``: export headers,
  ``key=value,...`` (e.g. an API key for the gateway).
- ``OTEL_EXPORTER_OTLP_TIMEOUT`` / ``OTEL_EXPORTER_OTLP_TRACES_TIMEOUT``: export timeout in
  seconds (default 10; bounds how long process exit waits for a down endpoint).
- ``OTEL_EXPORTER_OTLP_COMPRESSION`` / ``OTEL_EXPORTER_OTLP_TRACES_COMPRESSION``: ``gzip``,
  ``deflate`` or ``none``.
- ``OTEL_EXPORTER_OTLP_CERTIFICATE``, ``OTEL_EXPORTER_OTLP_CLIENT_KEY``,
  ``OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`` (and their ``_TRACES_`` forms): TLS files.
- ``OTEL_BSP_SCHEDULE_DELAY``, ``OTEL_BSP_MAX_QUEUE_SIZE``, ``OTEL_BSP_MAX_EXPORT_BATCH_SIZE``,
  ``OTEL_BSP_EXPORT_TIMEOUT``: batching of exports.
- ``OTEL_SDK_DISABLED=true``: turns all tracing off.
"""

from llmledger.instrumentation.anthropic import AnthropicInstrumentor
from llmledger.instrumentation.attribution import attribute
from llmledger.instrumentation.configuration import configure
from llmledger.instrumentation.openai import OpenAIInstrumentor
from llmledger.instrumentation.processor import AttributionSpanProcessor

__all__ = [
    "AnthropicInstrumentor",
    "AttributionSpanProcessor",
    "OpenAIInstrumentor",
    "attribute",
    "configure",
]
