"""Chat Completions through the official OpenAI SDK, sync and async, streaming and not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import openai
import pytest
from openai.types import CompletionUsage

from llmledger.simulator import OPENAI_SNAPSHOTS, Simulator

MESSAGES: list[Any] = [{"role": "user", "content": "What did we spend on tokens last week?"}]


def expected_usage(case: dict[str, Any]) -> dict[str, int]:
    """OpenAI semantics: prompt includes cache reads and writes; completion includes reasoning."""
    return {
        "prompt_tokens": case["input_tokens"],
        "cached_tokens": case.get("cache_read_tokens", 0),
        "cache_write_tokens": case.get("cache_write_tokens", 0),
        "completion_tokens": case["output_tokens"],
        "reasoning_tokens": case.get("reasoning_tokens", 0),
        "total_tokens": case["input_tokens"] + case["output_tokens"],
    }


def observed_usage(usage: CompletionUsage | None) -> dict[str, int | None]:
    assert usage is not None
    assert usage.prompt_tokens_details is not None
    assert usage.completion_tokens_details is not None
    return {
        "prompt_tokens": usage.prompt_tokens,
        "cached_tokens": usage.prompt_tokens_details.cached_tokens,
        "cache_write_tokens": usage.prompt_tokens_details.cache_write_tokens,
        "completion_tokens": usage.completion_tokens,
        "reasoning_tokens": usage.completion_tokens_details.reasoning_tokens,
        "total_tokens": usage.total_tokens,
    }


@pytest.fixture(scope="module")
def client(sim: Simulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=sim.openai_base_url, api_key="x", max_retries=0)


def test_non_streaming_reports_override_in_openai_terms(
    client: openai.OpenAI, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers=usage_headers(usage_case)
    )
    assert observed_usage(completion.usage) == expected_usage(usage_case)
    assert completion.service_tier == usage_case.get("service_tier", "default")
    assert completion.model == OPENAI_SNAPSHOTS["gpt-4o-mini"]


def test_stream_with_include_usage_ends_with_usage_chunk(
    client: openai.OpenAI, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=usage_headers(usage_case),
    )
    chunks = list(stream)
    assert chunks[-1].choices == []
    assert observed_usage(chunks[-1].usage) == expected_usage(usage_case)
    assert all(chunk.usage is None for chunk in chunks[:-1])
    assert chunks[-2].choices[0].finish_reason == "stop"


def test_stream_without_include_usage_has_no_usage_anywhere(
    post: Callable[..., Any], sse: Callable[..., Any]
) -> None:
    body = {"model": "gpt-4o", "messages": MESSAGES, "stream": True}
    events = sse(post("/v1/chat/completions", body).body)
    assert events[-1] == (None, "[DONE]")
    chunks = [json.loads(data) for _, data in events[:-1]]
    assert all("usage" not in chunk and chunk["choices"] for chunk in chunks)
    with_usage = sse(
        post("/v1/chat/completions", {**body, "stream_options": {"include_usage": True}}).body
    )
    # The real API sends "usage": null on every chunk once include_usage is on.
    assert all("usage" in json.loads(data) for _, data in with_usage[:-1])


def test_stream_text_equals_non_streaming_text(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    pieces = [
        chunk.choices[0].delta.content or ""
        for chunk in client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        if chunk.choices
    ]
    assert "".join(pieces) == whole.choices[0].message.content
    assert len(pieces) >= 3  # role chunk, at least one content chunk, finish chunk


def test_default_usage_is_deterministic_and_follows_the_text(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    second = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    other = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x" * 4000}]
    )
    assert observed_usage(first.usage) == observed_usage(second.usage)
    assert first.id != second.id
    assert first.usage is not None and other.usage is not None
    assert other.usage.prompt_tokens > first.usage.prompt_tokens
    assert first.usage.completion_tokens == len(str(first.choices[0].message.content).split())


def test_reasoning_models_report_reasoning_inside_completion(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="o4-mini", messages=MESSAGES)
    usage = completion.usage
    assert usage is not None and usage.completion_tokens_details is not None
    reasoning = usage.completion_tokens_details.reasoning_tokens or 0
    visible_words = len(str(completion.choices[0].message.content).split())
    assert reasoning > 0
    assert usage.completion_tokens == reasoning + visible_words


def test_long_prompts_are_partly_cached_in_128_token_blocks(client: openai.OpenAI) -> None:
    long_prompt: list[Any] = [{"role": "user", "content": "ledger " * 2000}]
    usage = client.chat.completions.create(model="gpt-4.1", messages=long_prompt).usage
    assert usage is not None and usage.prompt_tokens_details is not None
    cached = usage.prompt_tokens_details.cached_tokens or 0
    assert 0 < cached < usage.prompt_tokens
    assert cached % 128 == 0


@pytest.mark.parametrize(
    ("requested", "served"), [("auto", "default"), ("flex", "flex"), ("fast", "priority")]
)
def test_service_tier_in_response_is_the_tier_served(
    client: openai.OpenAI, requested: Any, served: str
) -> None:
    completion = client.chat.completions.create(
        model="gpt-5", messages=MESSAGES, service_tier=requested
    )
    assert completion.service_tier == served


def test_max_tokens_truncates_with_finish_reason_length(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=3
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens <= 3


def test_errors_use_openai_shape(client: openai.OpenAI, post: Callable[..., Any]) -> None:
    with pytest.raises(openai.BadRequestError) as missing_model:
        client.chat.completions.create(model="", messages=MESSAGES)
    assert missing_model.value.status_code == 400
    with pytest.raises(openai.BadRequestError, match="stream_options"):
        client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream_options={"include_usage": True}
        )
    raw = post("/v1/chat/completions", {"model": "gpt-4o", "messages": []})
    assert raw.status == 400
    assert raw.json()["error"]["type"] == "invalid_request_error"
    assert raw.json()["error"]["param"] == "messages"


def test_async_client_streams_usage(
    sim: Simulator, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    async def run() -> tuple[CompletionUsage | None, CompletionUsage | None]:
        async with openai.AsyncOpenAI(base_url=sim.openai_base_url, api_key="x") as client:
            whole = await client.chat.completions.create(
                model="gpt-5-mini", messages=MESSAGES, extra_headers=usage_headers(usage_case)
            )
            stream = await client.chat.completions.create(
                model="gpt-5-mini",
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers=usage_headers(usage_case),
            )
            last = None
            async for chunk in stream:
                last = chunk
            assert last is not None
            return whole.usage, last.usage

    whole, streamed = asyncio.run(run())
    assert observed_usage(whole) == expected_usage(usage_case)
    assert observed_usage(streamed) == expected_usage(usage_case)
