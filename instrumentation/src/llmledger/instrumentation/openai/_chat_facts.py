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

_NO_DETAILS: dict[str, Any] = {}
_INT_OR_NONE = frozenset((int, type(None)))


def _usage_from_json(usage: dict[str, Any]) -> TokenUsage:
    # Once per streamed call: plain lookups, and the counts' types checked at once (in C) rather
    # than by one `token_count` call each.
    get = usage.get
    prompt_details = get("prompt_tokens_details")
    if type(prompt_details) is not dict:
        prompt_details = _NO_DETAILS
    completion_details = get("completion_tokens_details")
    if type(completion_details) is not dict:
        completion_details = _NO_DETAILS
    counts = (
        get("prompt_tokens"),
        get("completion_tokens"),
        prompt_details.get("cached_tokens"),
        prompt_details.get("cache_write_tokens"),
        None,
        completion_details.get("reasoning_tokens"),
    )
    if not _INT_OR_NONE.issuperset(map(type, counts)):
        return TokenUsage._make(map(token_count, counts))  # raises on what is no count
    return tuple.__new__(TokenUsage, counts)  # what `TokenUsage(*counts)` builds, minus a call


def chat_usage(usage: Any) -> TokenUsage:
    """Token counts of an OpenAI `CompletionUsage` (or its JSON as a dict)."""
    if type(usage) is dict:  # read straight from a streamed usage event: the common case
        return _usage_from_json(usage)
    prompt_details = field(usage, "prompt_tokens_details")
    completion_details = field(usage, "completion_tokens_details")
    return TokenUsage(
        input_tokens=token_count(field(usage, "prompt_tokens")),
        output_tokens=token_count(field(usage, "completion_tokens")),
        cache_read_tokens=token_count(field(prompt_details, "cached_tokens")),
        cache_write_tokens=token_count(field(prompt_details, "cache_write_tokens")),
        reasoning_tokens=token_count(field(completion_details, "reasoning_tokens")),
    )


def end_stream_span(
    llm_span: LLMSpan,
    facts: tuple[Any, Any, Any],
    usage: Any,
    error: BaseException | None,
    abandoned: bool,
) -> None:
    """End a streamed chat call's span with its (model, id, served tier) and its usage (None:
    none seen); the span ends even if recording them fails."""
    try:
        llm_span.set_response(*facts, attr.OPENAI_RESPONSE_SERVICE_TIER)
        if usage is not None:
            llm_span.set_usage(chat_usage(usage))
    finally:
        llm_span.end(error, abandoned=abandoned)
