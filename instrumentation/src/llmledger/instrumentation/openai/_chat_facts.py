"""What a chat completion (or the JSON of a streamed chunk) says about the call: token usage and
response facts, in the neutral form `LLMSpan` records.

OpenAI's chat usage already follows the conventions' totals: `prompt_tokens` includes
`cached_tokens` (and `cache_write_tokens` where reported), `completion_tokens` includes
`reasoning_tokens`.
"""

from __future__ import annotations

from typing import Any

from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._llm_span import LLMSpan, TokenUsage, token_count
from llmledger.instrumentation.openai._fields import field


def chat_usage(usage: Any) -> TokenUsage:
    """Token counts of an OpenAI `CompletionUsage` (or its JSON as a dict)."""
    if isinstance(usage, dict):  # read straight from a streamed usage event: the common case
        get = usage.get
        prompt_tokens, completion_tokens = get("prompt_tokens"), get("completion_tokens")
        prompt_details = get("prompt_tokens_details")
        completion_details = get("completion_tokens_details")
    else:
        prompt_tokens = field(usage, "prompt_tokens")
        completion_tokens = field(usage, "completion_tokens")
        prompt_details = field(usage, "prompt_tokens_details")
        completion_details = field(usage, "completion_tokens_details")
    return TokenUsage(
        input_tokens=token_count(prompt_tokens),
        output_tokens=token_count(completion_tokens),
        cache_read_tokens=token_count(field(prompt_details, "cached_tokens")),
        cache_write_tokens=token_count(field(prompt_details, "cache_write_tokens")),
        reasoning_tokens=token_count(field(completion_details, "reasoning_tokens")),
    )


def record_facts(llm_span: LLMSpan, model: Any, response_id: Any, service_tier: Any) -> None:
    """Record the response facts that are strings (anything else is not a fact we trust)."""
    llm_span.set_response(
        model=model if isinstance(model, str) else None,
        response_id=response_id if isinstance(response_id, str) else None,
        service_tier=service_tier if isinstance(service_tier, str) else None,
        provider_service_tier_attribute=attr.OPENAI_RESPONSE_SERVICE_TIER,
    )
