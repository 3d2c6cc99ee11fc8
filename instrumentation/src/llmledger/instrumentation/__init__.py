"""OpenTelemetry instrumentation that records every cost-relevant token of LLM API calls.

Spans follow the OpenTelemetry GenAI semantic conventions (CLIENT span ``chat {model}``, totals
that include their parts: input includes cache read and write, output includes reasoning) plus a
few ``llmledger.*`` attributes for facts the conventions lack (served service tier, 1-hour cache
writes, batch, missing usage). No prompt or completion content is ever recorded: not by
default, not by any setting (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` is ignored),
because cost accounting needs none of it.

Instrumented SDK surfaces, sync and async, streamed or not: OpenAI ``chat.completions.create``
and ``.parse()``, ``responses.create`` (and ``.stream()``, ``.parse()``), ``embeddings.create``
(openai >= 1.66); Anthropic ``messages.create`` and ``messages.stream()``, also under
``client.beta`` (anthropic >= 0.64); Google GenAI ``models.generate_content`` and
``generate_content_stream``, also on ``client.aio.models`` (google-genai >= 1.8). Other calls:
`record_usage`.

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
that propagate context; llmledger's spans carry them from their start, and
`AttributionSpanProcessor` copies them onto other instrumentations' LLM spans. Without
`configure`, add the pieces yourself::

    provider.add_span_processor(AttributionSpanProcessor())
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    AnthropicInstrumentor().instrument(tracer_provider=provider)
    GoogleGenAIInstrumentor().instrument(tracer_provider=provider)

or run under ``opentelemetry-instrument``, which finds the ``llmledger_openai``,
``llmledger_anthropic`` and ``llmledger_google_genai`` entry points.

Calls outside these SDKs (a self-hosted model server, batch-job results)::

    record_usage(provider="vllm", model="llama-3.1-8b", input_tokens=812, output_tokens=95,
                 feature="search", start_time=began, end_time=ended)

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
- ``LLMLEDGER_USER_ID_HMAC_KEY`` (``user_id_hmac_key=`` overrides): user ids leave the process
  only as ``hmac-sha256:<hex>`` under this key (see `llmledger.instrumentation.privacy`).
"""

from llmledger.instrumentation.anthropic import AnthropicInstrumentor
from llmledger.instrumentation.attribution import attribute
from llmledger.instrumentation.configuration import configure
from llmledger.instrumentation.google_genai import GoogleGenAIInstrumentor
from llmledger.instrumentation.openai import OpenAIInstrumentor
from llmledger.instrumentation.privacy import hash_user_id
from llmledger.instrumentation.processor import AttributionSpanProcessor
from llmledger.instrumentation.record import record_usage

__all__ = [
    "AnthropicInstrumentor",
    "AttributionSpanProcessor",
    "GoogleGenAIInstrumentor",
    "OpenAIInstrumentor",
    "attribute",
    "configure",
    "hash_user_id",
    "record_usage",
]
