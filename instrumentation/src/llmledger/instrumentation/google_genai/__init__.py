"""OpenTelemetry instrumentation of the Google GenAI Python SDK (`google-genai`).

Surfaces: `client.models.generate_content` and `generate_content_stream`, and their async forms
on `client.aio.models`; chats (`client.chats`) go through them. One span per billed request (see
`generate_content` for why automatic function calling gives several).

Usage::

    from llmledger.instrumentation import GoogleGenAIInstrumentor

    GoogleGenAIInstrumentor().instrument(tracer_provider=provider)  # provider optional

Also registered as the ``llmledger_google_genai`` `opentelemetry_instrumentor` entry point, so
``opentelemetry-instrument`` finds it. The SDK is imported only when instrumenting.
"""

from __future__ import annotations

from llmledger.instrumentation._patching import MethodPatch, PatchingInstrumentor
from llmledger.instrumentation.google_genai.generate_content import (
    GENERATE_CONTENT,
    GENERATE_CONTENT_STREAM,
)
from llmledger.instrumentation.google_genai.streaming import (
    async_stream_wrapper,
    sync_stream_wrapper,
)

_MODULE = "google.genai.models"


class GoogleGenAIInstrumentor(PatchingInstrumentor):
    """Traces google-genai calls as GenAI CLIENT spans carrying every cost-relevant token count."""

    instruments = ("google-genai >= 1.8",)
    patches = (
        MethodPatch(_MODULE, "Models", "_generate_content", GENERATE_CONTENT, is_async=False),
        MethodPatch(_MODULE, "AsyncModels", "_generate_content", GENERATE_CONTENT, is_async=True),
        MethodPatch(
            _MODULE,
            "Models",
            "_generate_content_stream",
            GENERATE_CONTENT_STREAM,
            is_async=False,
            wrapper_factory=sync_stream_wrapper,
        ),
        MethodPatch(
            _MODULE,
            "AsyncModels",
            "_generate_content_stream",
            GENERATE_CONTENT_STREAM,
            is_async=True,
            wrapper_factory=async_stream_wrapper,
        ),
    )
