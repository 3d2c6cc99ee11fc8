"""OpenTelemetry instrumentation of the OpenAI Python SDK (chat completions, sync and async).

Usage::

    from llmledger.instrumentation import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=provider)  # provider optional

Also registered as the ``llmledger_openai`` `opentelemetry_instrumentor` entry point, so
``opentelemetry-instrument`` finds it. The SDK is imported only when instrumenting.
"""

from __future__ import annotations

from llmledger.instrumentation._patching import MethodPatch, PatchingInstrumentor
from llmledger.instrumentation.openai.chat import CHAT_COMPLETIONS

_MODULE = "openai.resources.chat.completions"


class OpenAIInstrumentor(PatchingInstrumentor):
    """Traces openai SDK calls as GenAI CLIENT spans carrying every cost-relevant token count."""

    instruments = ("openai >= 1.40",)
    patches = (
        MethodPatch(_MODULE, "Completions", "create", CHAT_COMPLETIONS, is_async=False),
        MethodPatch(_MODULE, "AsyncCompletions", "create", CHAT_COMPLETIONS, is_async=True),
    )
