"""OpenTelemetry instrumentation of the Anthropic Python SDK.

Surfaces, sync and async: `messages.create` (streamed or not) and the `messages.stream()`
helper (context manager; every way of consuming it, `get_final_message()` included), and the
same two under `client.beta.messages`.

Usage::

    from llmledger.instrumentation import AnthropicInstrumentor

    AnthropicInstrumentor().instrument(tracer_provider=provider)  # provider optional

Also registered as the ``llmledger_anthropic`` `opentelemetry_instrumentor` entry point, so
``opentelemetry-instrument`` finds it. The SDK is imported only when instrumenting.
"""

from __future__ import annotations

from llmledger.instrumentation._patching import MethodPatch, PatchingInstrumentor
from llmledger.instrumentation.anthropic.messages import MESSAGES
from llmledger.instrumentation.anthropic.stream_helper import stream_helper_wrapper

_MODULE = "anthropic.resources.messages"
_BETA_MODULE = "anthropic.resources.beta.messages"


def _patches(module: str) -> tuple[MethodPatch, ...]:
    return (
        MethodPatch(module, "Messages", "create", MESSAGES, is_async=False),
        MethodPatch(module, "AsyncMessages", "create", MESSAGES, is_async=True),
        MethodPatch(
            module, "Messages", "stream", MESSAGES, False, wrapper_factory=stream_helper_wrapper
        ),
        MethodPatch(
            module, "AsyncMessages", "stream", MESSAGES, True, wrapper_factory=stream_helper_wrapper
        ),
    )


class AnthropicInstrumentor(PatchingInstrumentor):
    """Traces anthropic SDK calls as GenAI CLIENT spans carrying every cost-relevant token count."""

    instruments = ("anthropic >= 0.64",)
    patches = _patches(_MODULE) + _patches(_BETA_MODULE)
