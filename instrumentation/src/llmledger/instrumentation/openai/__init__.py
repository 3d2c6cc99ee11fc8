"""OpenTelemetry instrumentation of the OpenAI Python SDK.

Surfaces, sync and async: `chat.completions.create` (streamed or not; `.stream()` goes through
it) and `.parse()` (`beta.chat.completions.parse()` before openai 1.92), `responses.create`
(streamed or not; `responses.stream()` goes through it) and `responses.parse()`, and
`embeddings.create`. Supported from openai 1.66 (the first with the Responses API) to the newest.

Usage::

    from llmledger.instrumentation import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=provider)  # provider optional

Also registered as the ``llmledger_openai`` `opentelemetry_instrumentor` entry point, so
``opentelemetry-instrument`` finds it. The SDK is imported only when instrumenting.
"""

from __future__ import annotations

from typing import Any

from llmledger.instrumentation._patching import MethodPatch, PatchingInstrumentor
from llmledger.instrumentation._spans_open_at_exit import run_before_provider_shutdown
from llmledger.instrumentation.openai._sse_filter import (
    ends_span_on_async_close,
    ends_span_on_close,
)
from llmledger.instrumentation.openai.chat import CHAT_COMPLETIONS
from llmledger.instrumentation.openai.embeddings import EMBEDDINGS
from llmledger.instrumentation.openai.responses import RESPONSES

_CHAT = "openai.resources.chat.completions"
_BETA_CHAT = "openai.resources.beta.chat.completions"  # `parse` lived here up to openai 1.91
_RESPONSES = "openai.resources.responses"
_EMBEDDINGS = "openai.resources.embeddings"
_STREAMING = "openai._streaming"  # a chat stream we read the events of ends its span on close


class OpenAIInstrumentor(PatchingInstrumentor):
    """Traces openai SDK calls as GenAI CLIENT spans carrying every cost-relevant token count."""

    instruments = ("openai >= 1.66",)
    patches = (
        MethodPatch(_CHAT, "Completions", "create", CHAT_COMPLETIONS, is_async=False),
        MethodPatch(_CHAT, "AsyncCompletions", "create", CHAT_COMPLETIONS, is_async=True),
        MethodPatch(_CHAT, "Completions", "parse", CHAT_COMPLETIONS, is_async=False),
        MethodPatch(_CHAT, "AsyncCompletions", "parse", CHAT_COMPLETIONS, is_async=True),
        MethodPatch(_BETA_CHAT, "Completions", "parse", CHAT_COMPLETIONS, is_async=False),
        MethodPatch(_BETA_CHAT, "AsyncCompletions", "parse", CHAT_COMPLETIONS, is_async=True),
        MethodPatch(_RESPONSES, "Responses", "create", RESPONSES, is_async=False),
        MethodPatch(_RESPONSES, "AsyncResponses", "create", RESPONSES, is_async=True),
        MethodPatch(_RESPONSES, "Responses", "parse", RESPONSES, is_async=False),
        MethodPatch(_RESPONSES, "AsyncResponses", "parse", RESPONSES, is_async=True),
        MethodPatch(_EMBEDDINGS, "Embeddings", "create", EMBEDDINGS, is_async=False),
        MethodPatch(_EMBEDDINGS, "AsyncEmbeddings", "create", EMBEDDINGS, is_async=True),
        MethodPatch(_STREAMING, "Stream", "close", CHAT_COMPLETIONS, False, ends_span_on_close),
        MethodPatch(
            _STREAMING, "AsyncStream", "close", CHAT_COMPLETIONS, True, ends_span_on_async_close
        ),
    )

    def _instrument(self, **kwargs: Any) -> None:
        super()._instrument(**kwargs)
        # Chat streams end their own spans; those the app still holds at exit end before the
        # tracer provider shuts down.
        run_before_provider_shutdown()
