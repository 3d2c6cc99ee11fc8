"""``POST /v1/chat/completions``, non-streaming and streaming.

Streaming follows the real API's usage rule exactly: without ``stream_options.include_usage``
no chunk has a ``usage`` key at all; with it, every chunk carries ``"usage": null`` and one extra
final chunk with empty ``choices`` carries the usage. The stream ends with ``data: [DONE]``.
"""

from __future__ import annotations

import time
from typing import Any

from llmledger.simulator.catalog import openai_response_model
from llmledger.simulator.errors import ApiError
from llmledger.simulator.openai_common import chat_usage, plan_openai_completion, served_tier
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
    sse_data,
)
from llmledger.simulator.synthesis import Completion, prompt_text

SYSTEM_FINGERPRINT = "fp_llmledger_sim"


def create_chat_completion(request: SimRequest) -> Reply:
    """Answer one Chat Completions request."""
    body = request.body
    model = require_string(body, "model", "you must provide a model parameter")
    messages = require_list(body, "messages", "[] is too short - 'messages'")
    if not all(isinstance(message, dict) for message in messages):
        raise ApiError(
            "Invalid type for 'messages': expected an array of objects.", param="messages"
        )
    stream = optional_bool(body, "stream")
    stream_options = optional_object(body, "stream_options")
    if stream_options and not stream:
        raise ApiError(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
        )
    cap = optional_positive_int(body, "max_completion_tokens") or optional_positive_int(
        body, "max_tokens"
    )
    completion = plan_openai_completion(
        prompt=prompt_text([messages, body.get("tools")]),
        model=model,
        effort=body.get("reasoning_effort"),
        tier=served_tier(body.get("service_tier")),
        max_output_tokens=cap,
        override=request.usage_override,
    )
    header = {
        "id": new_id("chatcmpl-"),
        "created": int(time.time()),
        "model": openai_response_model(model),
        "service_tier": completion.usage.service_tier,
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if stream:
        include_usage = stream_options.get("include_usage") is True
        return StreamReply(_chunks(header, completion, include_usage=include_usage))
    return JsonReply(
        {
            **header,
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": completion.text,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": _finish_reason(completion),
                }
            ],
            "usage": chat_usage(completion.usage),
        }
    )


def _finish_reason(completion: Completion) -> str:
    return "length" if completion.truncated else "stop"


def _chunks(header: dict[str, Any], completion: Completion, *, include_usage: bool) -> list[bytes]:
    def chunk(choices: list[dict[str, Any]]) -> dict[str, Any]:
        payload = {**header, "object": "chat.completion.chunk", "choices": choices}
        if include_usage:
            payload["usage"] = None
        return payload

    def delta(content: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {"index": 0, "delta": content, "logprobs": None, "finish_reason": finish_reason}

    frames = [sse_data(chunk([delta({"role": "assistant", "content": "", "refusal": None})]))]
    frames.extend(sse_data(chunk([delta({"content": piece})])) for piece in completion.pieces())
    frames.append(sse_data(chunk([delta({}, _finish_reason(completion))])))
    if include_usage:
        final = chunk([])
        final["usage"] = chat_usage(completion.usage)
        frames.append(sse_data(final))
    frames.append(b"data: [DONE]\n\n")
    return frames
