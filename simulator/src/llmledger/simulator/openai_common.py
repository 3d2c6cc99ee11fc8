"""What the OpenAI Chat Completions and Responses endpoints share: tiers, caching, usage shapes.

OpenAI semantics: ``prompt_tokens``/``input_tokens`` include cached tokens and cache writes;
``completion_tokens``/``output_tokens`` include reasoning. Cache writes are reported as given
(they are only billed from the GPT-5.6 family on, which is the pricing layer's business).
"""

from __future__ import annotations

from typing import Any, Final

from llmledger.simulator.catalog import openai_reasons_by_default
from llmledger.simulator.errors import ApiError
from llmledger.simulator.synthesis import (
    Completion,
    estimate_tokens,
    implicit_cache_tokens,
    plan_completion,
)
from llmledger.simulator.usage import NeutralUsage

# Requested tier -> tier reported as served. "fast" is billed and reported as "priority".
_SERVED_TIERS: Final = {
    "auto": "default",
    "default": "default",
    "flex": "flex",
    "scale": "scale",
    "priority": "priority",
    "fast": "priority",
    "ultrafast": "priority",
}


def served_tier(requested: Any) -> str:
    """The ``service_tier`` OpenAI reports for a request asking for ``requested``."""
    if requested is None:
        return "default"
    if not isinstance(requested, str) or requested not in _SERVED_TIERS:
        allowed = ", ".join(repr(tier) for tier in _SERVED_TIERS)
        raise ApiError(
            f"Invalid value for 'service_tier': {requested!r}. Supported values are: {allowed}.",
            param="service_tier",
        )
    return _SERVED_TIERS[requested]


def reasons(model: str, effort: Any) -> bool:
    """Whether the simulated call spends reasoning tokens."""
    if effort in ("none", "minimal"):
        return False
    return effort is not None or openai_reasons_by_default(model)


def plan_openai_completion(
    *,
    prompt: str,
    model: str,
    effort: Any,
    tier: str,
    max_output_tokens: int | None,
    override: NeutralUsage | None,
) -> Completion:
    """Usage and reply for an OpenAI text endpoint."""
    prompt_tokens = max(1, estimate_tokens(prompt))
    return plan_completion(
        prompt=prompt,
        input_side=NeutralUsage(
            input_tokens=prompt_tokens,
            output_tokens=0,
            cache_read_tokens=implicit_cache_tokens(prompt_tokens),
            service_tier=tier,
        ),
        reasoning=reasons(model, effort),
        reasoning_budget=None,
        max_output_tokens=max_output_tokens,
        override=override,
    )


def chat_usage(usage: NeutralUsage) -> dict[str, Any]:
    """The Chat Completions ``usage`` object."""
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def responses_usage(usage: NeutralUsage) -> dict[str, Any]:
    """The Responses API ``usage`` object."""
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }
