"""``POST /v1/responses``, non-streaming and streaming.

The stream has the real event sequence, each event a named SSE event with ``sequence_number``:
``response.created``, ``response.in_progress``, then per output item
``response.output_item.added`` (+ ``response.content_part.added``,
``response.output_text.delta``..., ``response.output_text.done``, ``response.content_part.done``
for the message) and ``response.output_item.done``, and finally
``response.completed`` carrying usage (``response.incomplete`` when ``max_output_tokens`` cut it
short). There is no ``[DONE]`` sentinel on this API.
"""

from __future__ import annotations

import time
from typing import Any

from llmledger.simulator.catalog import openai_response_model
from llmledger.simulator.openai_common import plan_openai_completion, responses_usage, served_tier
from llmledger.simulator.protocol import (
    JsonReply,
    Reply,
    SimRequest,
    StreamReply,
    new_id,
    optional_bool,
    optional_object,
    optional_positive_int,
    require_string,
    sse_event,
)
from llmledger.simulator.synthesis import Completion, prompt_text


def create_response(request: SimRequest) -> Reply:
    """Answer one Responses API request."""
    body = request.body
    model = require_string(body, "model", "Missing required parameter: 'model'.")
    stream = optional_bool(body, "stream")
    reasoning_config = optional_object(body, "reasoning")
    cap = optional_positive_int(body, "max_output_tokens")
    completion = plan_openai_completion(
        prompt=prompt_text([body.get("instructions"), body.get("input"), body.get("tools")]),
        model=model,
        effort=reasoning_config.get("effort"),
        tier=served_tier(body.get("service_tier")),
        max_output_tokens=cap,
        override=request.usage_override,
    )
    reasoning_item = (
        {"id": new_id("rs_"), "type": "reasoning", "summary": []}
        if completion.usage.reasoning_tokens
        else None
    )
    message_id = new_id("msg_")
    status = "incomplete" if completion.truncated else "completed"
    final = {
        **_envelope(body, model, completion, cap),
        "status": status,
        "completed_at": time.time() if status == "completed" else None,
        "incomplete_details": {"reason": "max_output_tokens"} if completion.truncated else None,
        "output": [
            *([reasoning_item] if reasoning_item else []),
            _message(message_id, completion.text, status),
        ],
        "usage": responses_usage(completion.usage),
    }
    if not stream:
        return JsonReply(final)
    return StreamReply(_events(final, reasoning_item, message_id, completion))


def _envelope(
    body: dict[str, Any], model: str, completion: Completion, cap: int | None
) -> dict[str, Any]:
    """Fields of the response object that do not change while it is generated."""
    return {
        "id": new_id("resp_"),
        "object": "response",
        "created_at": time.time(),
        "error": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": cap,
        "metadata": body.get("metadata") or {},
        "model": openai_response_model(model),
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": optional_object(body, "reasoning").get("effort"), "summary": None},
        "service_tier": completion.usage.service_tier,
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "user": None,
    }


def _message(message_id: str, text: str, status: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [_text_part(text)] if status != "in_progress" else [],
    }


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _events(
    final: dict[str, Any],
    reasoning_item: dict[str, Any] | None,
    message_id: str,
    completion: Completion,
) -> list[bytes]:
    events: list[tuple[str, dict[str, Any]]] = []
    pending = {**final, "status": "in_progress", "completed_at": None, "output": [], "usage": None}
    pending["incomplete_details"] = None
    events.append(("response.created", {"response": pending}))
    events.append(("response.in_progress", {"response": pending}))
    index = 0
    if reasoning_item is not None:
        events.append(("response.output_item.added", {"output_index": 0, "item": reasoning_item}))
        events.append(("response.output_item.done", {"output_index": 0, "item": reasoning_item}))
        index = 1
    where = {"item_id": message_id, "output_index": index, "content_index": 0}
    events.append(
        (
            "response.output_item.added",
            {"output_index": index, "item": _message(message_id, "", "in_progress")},
        )
    )
    events.append(("response.content_part.added", {**where, "part": _text_part("")}))
    for piece in completion.pieces():
        events.append(("response.output_text.delta", {**where, "delta": piece, "logprobs": []}))
    events.append(("response.output_text.done", {**where, "text": completion.text, "logprobs": []}))
    events.append(("response.content_part.done", {**where, "part": _text_part(completion.text)}))
    message = final["output"][index]
    events.append(("response.output_item.done", {"output_index": index, "item": message}))
    closing = "response.incomplete" if completion.truncated else "response.completed"
    events.append((closing, {"response": final}))
    return [
        sse_event(name, {"type": name, "sequence_number": number, **payload})
        for number, (name, payload) in enumerate(events)
    ]
