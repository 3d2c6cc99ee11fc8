"""OpenTelemetry instrumentation of the Anthropic Python SDK (messages, sync, async, streamed).

Usage::

    from llmledger.instrumentation import AnthropicInstrumentor

    AnthropicInstrumentor().instrument(tracer_provider=provider)  # provider optional

Also registered as the ``llmledger_anthropic`` `opentelemetry_instrumentor` entry point, so
``opentelemetry-instrument`` finds it. The SDK is imported only when instrumenting.
"""

from __future__ import annotations

from llmledger.instrumentation._patching import MethodPatch, PatchingInstrumentor
from llmledger.instrumentation.anthropic.messages import MESSAGES

_MODULE = "anthropic.resources.messages"


class AnthropicInstrumentor(PatchingInstrumentor):
    """Traces anthropic SDK calls as GenAI CLIENT spans carrying every cost-relevant token count."""

    instruments = ("anthropic >= 0.40",)
    patches = (
        MethodPatch(_MODULE, "Messages", "create", MESSAGES, is_async=False),
        MethodPatch(_MODULE, "AsyncMessages", "create", MESSAGES, is_async=True),
    )
