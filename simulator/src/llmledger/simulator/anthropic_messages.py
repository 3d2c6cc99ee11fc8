"""``POST /v1/messages``, non-streaming and streaming.

Anthropic semantics: ``input_tokens`` EXCLUDES cache reads and writes; the TTL split of cache
writes is in ``usage.cache_creation``; ``output_tokens`` includes thinking.

Default caching rule (stateless, so the same request always reports the same usage): blocks
marked with ``cache_control`` are breakpoints over the prompt in Anthropic's order (tools, system,
messages). The prefix up to the FIRST breakpoint is read from a warm cache; the text between the
first and the LAST breakpoint is newly written, with the last breakpoint's TTL ("1h" or 5 minutes).
That is what a multi-turn conversation caching its system prompt and its latest turn looks like.

Streaming sends ``message_start`` (initial usage), ``ping``, the content blocks, then one or more
``message_delta`` events whose usage is CUMULATIVE (a consumer must take the last, never sum;
two are sent when there are at least 2 output tokens), then ``message_stop``.
"""

from __future__ import annotations

from typing import Any, Final

from llmledger.simulator.anthropic_prompt import cache_split
from llmledger.simulator.catalog import anthropic_response_model
from llmledger.simulator.errors import ApiError
from llmledger.simulator.protocol import (
    JsonReply,
    Reply,
    SimRequest,
    StreamReply,
    new_id,
    optional_bool,
    optional_object,
    optional_positive_int,
    require_list,
    require_string,
    sse_event,
)
from llmledger.simulator.synthesis import Completion, plan_completion, prompt_text
from llmledger.simulator.usage import NeutralUsage

_REQUESTABLE_TIERS: Final = ("auto", "standard_only")
THINKING_SIGNATURE: Final = "c2ltdWxhdGVkLXNpZ25hdHVyZQ=="
THINKING_TEXT: Final = "Working through the request step by step."
# Counts repeated (cumulatively) in every message_delta.
_DELTA_USAGE_KEYS: Final = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
)


def create_message(request: SimRequest) -> Reply:
    """Answer one Messages API request."""
    body = request.body
    model = require_string(body, "model", "model: Field required")
    max_tokens = optional_positive_int(body, "max_tokens")
    if max_tokens is None:
        raise ApiError("max_tokens: Field required", param="max_tokens")
    messages = require_list(body, "messages", "messages: at least one message is required")
    requested_tier = body.get("service_tier")
    if requested_tier is not None and requested_tier not in _REQUESTABLE_TIERS:
        raise ApiError(
            "service_tier: Input should be 'auto' or 'standard_only'", param="service_tier"
        )
    thinking = optional_object(body, "thinking")
    budget = optional_positive_int(thinking, "budget_tokens")
    split = cache_split(body.get("tools"), body.get("system"), messages)
    completion = plan_completion(
        prompt=prompt_text([body.get("tools"), body.get("system"), messages]),
        input_side=NeutralUsage(
            input_tokens=split.total,
            output_tokens=0,
            cache_read_tokens=split.read,
            cache_write_tokens=split.written,
            cache_write_1h_tokens=split.written if split.one_hour else 0,
            service_tier="standard",
        ),
        reasoning=thinking.get("type") in ("enabled", "adaptive"),
        reasoning_budget=budget,
        max_output_tokens=max_tokens,
        override=request.usage_override,
    )
    message = {
        "id": new_id("msg_sim"),
        "type": "message",
        "role": "assistant",
        "model": anthropic_response_model(model),
        "content": _blocks(completion),
        "stop_reason": "max_tokens" if completion.truncated else "end_turn",
        "stop_sequence": None,
        "usage": _usage(completion.usage),
    }
    if optional_bool(body, "stream"):
        return StreamReply(_events(message, completion))
    return JsonReply(message)


def _usage(usage: NeutralUsage) -> dict[str, Any]:
    return {
        "input_tokens": usage.uncached_input_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_5m_tokens,
            "ephemeral_1h_input_tokens": usage.cache_write_1h_tokens,
        },
        "output_tokens": usage.output_tokens,
        "service_tier": usage.service_tier,
    }


def _blocks(completion: Completion) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if completion.usage.reasoning_tokens:
        blocks.append(
            {"type": "thinking", "thinking": THINKING_TEXT, "signature": THINKING_SIGNATURE}
        )
    blocks.append({"type": "text", "text": completion.text})
    return blocks


def _events(message: dict[str, Any], completion: Completion) -> list[bytes]:
    usage = message["usage"]
    output_tokens = completion.usage.output_tokens
    opening = {**message, "content": [], "stop_reason": None}
    opening["usage"] = {**usage, "output_tokens": min(1, output_tokens)}
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"message": opening})]
    events.append(("ping", {}))
    for index, block in enumerate(message["content"]):
        deltas: list[dict[str, Any]]
        if block["type"] == "thinking":
            empty = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [
                {"type": "thinking_delta", "thinking": block["thinking"]},
                {"type": "signature_delta", "signature": block["signature"]},
            ]
        else:
            empty = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": piece} for piece in completion.pieces()]
        events.append(("content_block_start", {"index": index, "content_block": empty}))
        events.extend(("content_block_delta", {"index": index, "delta": d}) for d in deltas)
        events.append(("content_block_stop", {"index": index}))
    cumulative = {key: usage[key] for key in _DELTA_USAGE_KEYS}
    if output_tokens >= 2:
        halfway = {"stop_reason": None, "stop_sequence": None}
        events.append(
            (
                "message_delta",
                {"delta": halfway, "usage": {**cumulative, "output_tokens": output_tokens // 2}},
            )
        )
    closing = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    events.append(("message_delta", {"delta": closing, "usage": cumulative}))
    events.append(("message_stop", {}))
    return [sse_event(name, {"type": name, **payload}) for name, payload in events]
