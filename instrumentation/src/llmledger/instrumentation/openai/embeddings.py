"""OpenAI `embeddings.create`: the request model, the response model and the input tokens.

Embeddings are billed on input only: `usage.prompt_tokens` becomes `gen_ai.usage.input_tokens`
and no output count is recorded (the provider reports none, and llmledger never invents a 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmledger.instrumentation._call_flow import Surface
from llmledger.instrumentation._llm_span import LLMSpan, TokenUsage, token_count
from llmledger.instrumentation._stream_proxy import StreamObserver


@dataclass(slots=True)
class EmbeddingsCall:
    """One `embeddings.create` call (see `_call_flow.PreparedCall`); never streamed."""

    request_model: str | None
    stream: bool
    kwargs: dict[str, Any]

    def record_response(self, llm_span: LLMSpan, response: Any) -> None:
        model = getattr(response, "model", None)
        llm_span.set_response(model)
        usage = getattr(response, "usage", None)
        if usage is not None:
            llm_span.set_usage(TokenUsage(input_tokens=token_count(usage.prompt_tokens)))

    def stream_observer(self, llm_span: LLMSpan, stream: Any) -> StreamObserver:
        raise TypeError("OpenAI embeddings are never streamed")


def prepare_embeddings_call(kwargs: dict[str, Any]) -> EmbeddingsCall:
    model = kwargs.get("model")
    return EmbeddingsCall(
        request_model=model if isinstance(model, str) else None, stream=False, kwargs=kwargs
    )


EMBEDDINGS = Surface(provider="openai", operation="embeddings", prepare=prepare_embeddings_call)
