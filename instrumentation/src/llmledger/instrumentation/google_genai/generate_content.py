"""Google GenAI `models.generate_content` and `generate_content_stream`: requests and usage.

Gemini's usage differs from the conventions' totals:

- `prompt_token_count` INCLUDES `cached_content_token_count` (cache reads), as the conventions
  want; Gemini reports no cache writes per call (explicit caches are created and billed apart).
- `tool_use_prompt_token_count` (results of tools the model ran, fed back to it) is NOT inside
  `prompt_token_count` and is billed as input, so the span's input total is the sum of both.
- `candidates_token_count` EXCLUDES `thoughts_token_count`; billed output is their sum, which is
  the span's output total, with the thoughts also recorded as reasoning tokens.

We trace the SDK's per-request methods (`_generate_content`, `_generate_content_stream`) rather
than the public ones, because one public call may send several billed requests (automatic
function calling, automatic continuation), and only the last one's usage would reach the app.
Streamed chunks carry cumulative usage; the chunk with a `finish_reason` has the final counts.
A stream that ends without one is marked usage-missing rather than under-counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmledger.instrumentation._call_flow import Surface
from llmledger.instrumentation._llm_span import LLMSpan, TokenUsage, token_count

# `gen_ai.provider.name` for any Google GenAI endpoint (Gemini API or Vertex AI): the SDK
# serves both through the same methods.
PROVIDER = "gcp.gen_ai"


def _sum_known(*counts: int | None) -> int | None:
    known = [count for count in counts if count is not None]
    return sum(known) if known else None


def gemini_usage(usage_metadata: Any) -> TokenUsage:
    """Token counts of a `GenerateContentResponseUsageMetadata`, as the conventions' totals."""
    prompt = token_count(getattr(usage_metadata, "prompt_token_count", None))
    tool_use_prompt = token_count(getattr(usage_metadata, "tool_use_prompt_token_count", None))
    candidates = token_count(getattr(usage_metadata, "candidates_token_count", None))
    thoughts = token_count(getattr(usage_metadata, "thoughts_token_count", None))
    return TokenUsage(
        input_tokens=_sum_known(prompt, tool_use_prompt),
        output_tokens=_sum_known(candidates, thoughts),
        cache_read_tokens=token_count(getattr(usage_metadata, "cached_content_token_count", None)),
        reasoning_tokens=thoughts,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _served_tier(usage_metadata: Any) -> str | None:
    # Newer Gemini API responses report the served tier in the usage metadata; an SDK version
    # without the field drops it, and then no tier is recorded (never the requested one).
    tier = getattr(usage_metadata, "service_tier", None)
    value = getattr(tier, "value", tier)
    return value.lower() if isinstance(value, str) and value else None


def _record(llm_span: LLMSpan, response: Any, *, with_usage: bool) -> None:
    usage_metadata = getattr(response, "usage_metadata", None)
    llm_span.set_response(
        model=getattr(response, "model_version", None),
        response_id=getattr(response, "response_id", None),
        service_tier=_served_tier(usage_metadata),
    )
    if with_usage and usage_metadata is not None:
        llm_span.set_usage(gemini_usage(usage_metadata))


def _is_final(chunk: Any) -> bool:
    candidates = getattr(chunk, "candidates", None) or ()
    return any(getattr(candidate, "finish_reason", None) for candidate in candidates)


class _GenerateContentStreamObserver:
    def __init__(self, llm_span: LLMSpan) -> None:
        self._llm_span = llm_span
        self._latest: Any = None
        self._finished = False

    def observe(self, chunk: Any) -> bool:
        self._latest = chunk
        self._finished = self._finished or _is_final(chunk)
        return True

    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        try:
            if self._latest is not None:
                _record(self._llm_span, self._latest, with_usage=self._finished)
        finally:
            self._llm_span.end(error, abandoned=abandoned)


@dataclass(slots=True)
class GenerateContentCall:
    """One Gemini request (see `_call_flow.PreparedCall`)."""

    request_model: str | None
    stream: bool
    kwargs: dict[str, Any]

    def record_response(self, llm_span: LLMSpan, response: Any) -> None:
        _record(llm_span, response, with_usage=True)

    def stream_observer(self, llm_span: LLMSpan, stream: Any) -> _GenerateContentStreamObserver:
        return _GenerateContentStreamObserver(llm_span)


def _model_name(model: Any) -> str | None:
    # The SDK accepts "gemini-2.5-flash" and "models/gemini-2.5-flash" alike.
    name = _text(model)
    return name.removeprefix("models/") if name else None


def prepare_generate_content(kwargs: dict[str, Any]) -> GenerateContentCall:
    return GenerateContentCall(_model_name(kwargs.get("model")), stream=False, kwargs=kwargs)


def prepare_generate_content_stream(kwargs: dict[str, Any]) -> GenerateContentCall:
    return GenerateContentCall(_model_name(kwargs.get("model")), stream=True, kwargs=kwargs)


GENERATE_CONTENT = Surface(PROVIDER, "generate_content", prepare_generate_content)
GENERATE_CONTENT_STREAM = Surface(PROVIDER, "generate_content", prepare_generate_content_stream)
