"""The Messages API through the official Anthropic SDK, sync and async, streaming and not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from anthropic.types import Usage

from llmledger.simulator import ANTHROPIC_SNAPSHOTS, Simulator

MODEL = "claude-haiku-4-5"
MESSAGES: list[Any] = [{"role": "user", "content": "Which team spent the most?"}]


def expected_usage(case: dict[str, Any]) -> dict[str, Any]:
    """Anthropic semantics: input_tokens EXCLUDES cache reads and writes; 5m = writes - 1h."""
    read = case.get("cache_read_tokens", 0)
    written = case.get("cache_write_tokens", 0)
    written_1h = case.get("cache_write_1h_tokens", 0)
    return {
        "input_tokens": case["input_tokens"] - read - written,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": written,
        "ephemeral_5m_input_tokens": written - written_1h,
        "ephemeral_1h_input_tokens": written_1h,
        "output_tokens": case["output_tokens"],
        "service_tier": case.get("service_tier", "standard"),
    }


def observed_usage(usage: Usage) -> dict[str, Any]:
    assert usage.cache_creation is not None
    return {
        "input_tokens": usage.input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
        "ephemeral_5m_input_tokens": usage.cache_creation.ephemeral_5m_input_tokens,
        "ephemeral_1h_input_tokens": usage.cache_creation.ephemeral_1h_input_tokens,
        "output_tokens": usage.output_tokens,
        "service_tier": usage.service_tier,
    }


@pytest.fixture(scope="module")
def client(sim: Simulator) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="x", max_retries=0)


def test_non_streaming_translates_override(
    client: anthropic.Anthropic, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    message = client.messages.create(
        model=MODEL, max_tokens=1024, messages=MESSAGES, extra_headers=usage_headers(usage_case)
    )
    assert observed_usage(message.usage) == expected_usage(usage_case)
    assert message.model == ANTHROPIC_SNAPSHOTS[MODEL]
    has_thinking = any(block.type == "thinking" for block in message.content)
    assert has_thinking == bool(usage_case.get("reasoning_tokens"))


def test_stream_final_message_has_the_last_cumulative_usage(
    client: anthropic.Anthropic, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=1024, messages=MESSAGES, extra_headers=usage_headers(usage_case)
    ) as stream:
        final = stream.get_final_message()
    assert observed_usage(final.usage) == expected_usage(usage_case)


def test_raw_stream_event_sequence_and_cumulative_deltas(
    post: Callable[..., Any], sse: Callable[..., Any], usage_headers: Callable[..., Any]
) -> None:
    case = {"input_tokens": 900, "output_tokens": 80, "cache_read_tokens": 500}
    body = {"model": MODEL, "max_tokens": 500, "messages": MESSAGES, "stream": True}
    events = sse(post("/v1/messages", body, usage_headers(case)).body)
    names = [name for name, _ in events]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    assert {"content_block_start", "content_block_delta", "content_block_stop"} <= set(names)
    assert all(name == json.loads(data)["type"] for name, data in events)
    start_usage = json.loads(events[0][1])["message"]["usage"]
    assert start_usage["input_tokens"] == 400
    assert start_usage["cache_read_input_tokens"] == 500
    deltas = [json.loads(data)["usage"] for name, data in events if name == "message_delta"]
    output_counts = [usage["output_tokens"] for usage in deltas]
    # Cumulative: counts never decrease and the LAST one is the total; summing would overcount.
    assert len(deltas) >= 2
    assert output_counts == sorted(output_counts)
    assert output_counts[-1] == 80
    assert sum(output_counts) > 80


def test_thinking_request_reports_thinking_inside_output(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model=MODEL,
        max_tokens=4000,
        messages=MESSAGES,
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    thinking, text = message.content
    assert thinking.type == "thinking" and text.type == "text"
    assert message.usage.output_tokens > len(text.text.split())
    plain = client.messages.create(model=MODEL, max_tokens=4000, messages=MESSAGES)
    assert plain.usage.output_tokens == len(plain.content[0].text.split())  # type: ignore[union-attr]


def test_cache_control_breakpoints_split_reads_and_writes(client: anthropic.Anthropic) -> None:
    system_text = "You are a cost analyst. " * 40
    turn_text = "Break down last month's invoice by feature. " * 20
    message = client.messages.create(
        model=MODEL,
        max_tokens=256,
        system=[{"type": "text", "text": system_text, "cache_control": {"type": "ephemeral"}}],
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": turn_text,
                        "cache_control": {"type": "ephemeral", "ttl": "1h"},
                    },
                    {"type": "text", "text": "Thanks!"},
                ],
            }
        ],
    )
    usage = message.usage
    assert usage.cache_creation is not None
    # The system prefix is read (ceil(chars / 4)); the turn up to the last breakpoint is written.
    assert usage.cache_read_input_tokens == -(-len(system_text) // 4)
    prefix = len(system_text) + 1 + len(turn_text)
    assert usage.cache_creation_input_tokens == -(-prefix // 4) - usage.cache_read_input_tokens
    assert usage.cache_creation.ephemeral_1h_input_tokens == usage.cache_creation_input_tokens
    assert usage.input_tokens > 0  # the unmarked "Thanks!" tail is neither read nor written


def test_default_usage_is_deterministic(client: anthropic.Anthropic) -> None:
    first = client.messages.create(model=MODEL, max_tokens=100, messages=MESSAGES)
    second = client.messages.create(model=MODEL, max_tokens=100, messages=MESSAGES)
    assert first.usage == second.usage
    assert first.content == second.content
    assert first.id != second.id


def test_errors_use_anthropic_shape(client: anthropic.Anthropic, post: Callable[..., Any]) -> None:
    with pytest.raises(anthropic.BadRequestError) as missing_model:
        client.messages.create(model="", max_tokens=10, messages=MESSAGES)
    assert missing_model.value.status_code == 400
    raw = post("/v1/messages", {"model": MODEL, "messages": MESSAGES})
    assert raw.status == 400
    body = raw.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in body["error"]["message"]


def test_async_stream_and_create(
    sim: Simulator, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    async def run() -> tuple[Usage, Usage]:
        async with anthropic.AsyncAnthropic(base_url=sim.anthropic_base_url, api_key="x") as client:
            created = await client.messages.create(
                model=MODEL,
                max_tokens=64,
                messages=MESSAGES,
                extra_headers=usage_headers(usage_case),
            )
            async with client.messages.stream(
                model=MODEL,
                max_tokens=64,
                messages=MESSAGES,
                extra_headers=usage_headers(usage_case),
            ) as stream:
                streamed = await stream.get_final_message()
            return created.usage, streamed.usage

    created, streamed = asyncio.run(run())
    assert observed_usage(created) == expected_usage(usage_case)
    assert observed_usage(streamed) == expected_usage(usage_case)
