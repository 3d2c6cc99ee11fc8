"""Gemini generateContent through the official google-genai SDK, sync and async."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from google import genai
from google.genai import errors, types

from llmledger.simulator import Simulator

MODEL = "gemini-2.5-flash"
PROMPT = "How much did the search feature cost yesterday?"


def expected_usage(case: dict[str, Any]) -> dict[str, int | None]:
    """Gemini semantics: prompt includes cached; candidates EXCLUDE thoughts; zeros omitted."""
    reasoning = case.get("reasoning_tokens", 0)
    return {
        "prompt_token_count": case["input_tokens"],
        "cached_content_token_count": case.get("cache_read_tokens") or None,
        "candidates_token_count": case["output_tokens"] - reasoning,
        "thoughts_token_count": reasoning or None,
        "total_token_count": case["input_tokens"] + case["output_tokens"],
    }


def observed_usage(usage: types.GenerateContentResponseUsageMetadata | None) -> dict[str, Any]:
    assert usage is not None
    return {
        "prompt_token_count": usage.prompt_token_count,
        "cached_content_token_count": usage.cached_content_token_count,
        "candidates_token_count": usage.candidates_token_count,
        "thoughts_token_count": usage.thoughts_token_count,
        "total_token_count": usage.total_token_count,
    }


def headers_config(headers: dict[str, str]) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(http_options=types.HttpOptions(headers=headers))


@pytest.fixture(scope="module")
def client(sim: Simulator) -> genai.Client:
    return genai.Client(api_key="x", http_options=types.HttpOptions(base_url=sim.google_base_url))


def test_generate_content_translates_override(
    client: genai.Client, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    response = client.models.generate_content(
        model=MODEL, contents=PROMPT, config=headers_config(usage_headers(usage_case))
    )
    assert observed_usage(response.usage_metadata) == expected_usage(usage_case)
    assert response.model_version == MODEL


def test_stream_final_chunk_carries_full_usage(
    client: genai.Client, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    chunks = list(
        client.models.generate_content_stream(
            model=MODEL, contents=PROMPT, config=headers_config(usage_headers(usage_case))
        )
    )
    assert observed_usage(chunks[-1].usage_metadata) == expected_usage(usage_case)
    assert chunks[-1].candidates is not None
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert len({chunk.response_id for chunk in chunks}) == 1


def test_stream_text_and_usage_match_non_streaming(client: genai.Client) -> None:
    whole = client.models.generate_content(model=MODEL, contents=PROMPT)
    chunks = list(client.models.generate_content_stream(model=MODEL, contents=PROMPT))
    assert "".join(chunk.text or "" for chunk in chunks) == whole.text
    assert observed_usage(chunks[-1].usage_metadata) == observed_usage(whole.usage_metadata)
    counts = [
        chunk.usage_metadata.candidates_token_count or 0 for chunk in chunks if chunk.usage_metadata
    ]
    assert counts == sorted(counts)  # cumulative across chunks


def test_thinking_budget_zero_turns_thoughts_off(client: genai.Client) -> None:
    thinking = client.models.generate_content(model=MODEL, contents=PROMPT)
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_budget=0))
    plain = client.models.generate_content(model=MODEL, contents=PROMPT, config=config)
    assert thinking.usage_metadata is not None and plain.usage_metadata is not None
    assert (thinking.usage_metadata.thoughts_token_count or 0) > 0
    assert plain.usage_metadata.thoughts_token_count is None
    assert plain.usage_metadata.candidates_token_count == len((plain.text or "").split())


def test_cached_content_is_inside_the_prompt_count(client: genai.Client) -> None:
    plain = client.models.generate_content(model=MODEL, contents=PROMPT)
    config = types.GenerateContentConfig(cached_content="cachedContents/pricing-manual")
    cached = client.models.generate_content(model=MODEL, contents=PROMPT, config=config)
    assert plain.usage_metadata is not None and cached.usage_metadata is not None
    cached_count = cached.usage_metadata.cached_content_token_count or 0
    assert cached_count > 0
    assert cached.usage_metadata.prompt_token_count == (
        (plain.usage_metadata.prompt_token_count or 0) + cached_count
    )


def test_v1beta_path_and_raw_sse_framing(post: Callable[..., Any], sse: Callable[..., Any]) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}], "serviceTier": "flex"}
    whole = post(f"/v1beta/models/{MODEL}:generateContent", body)
    assert whole.status == 200
    assert whole.json()["usageMetadata"]["serviceTier"] == "flex"
    streamed = post(f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse", body)
    assert streamed.headers["Content-Type"].startswith("text/event-stream")
    chunks = [json.loads(data) for _, data in sse(streamed.body)]
    assert chunks[-1]["usageMetadata"] == whole.json()["usageMetadata"]
    as_array = post(f"/v1beta/models/{MODEL}:streamGenerateContent", body).json()
    assert [chunk["usageMetadata"] for chunk in as_array] == [c["usageMetadata"] for c in chunks]


def test_errors_use_google_shape(client: genai.Client, post: Callable[..., Any]) -> None:
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_budget=-5))
    with pytest.raises(errors.ClientError, match="thinkingBudget") as invalid:
        client.models.generate_content(model=MODEL, contents=PROMPT, config=config)
    assert invalid.value.code == 400
    raw = post(f"/v1beta/models/{MODEL}:generateContent", {"contents": []})
    assert raw.status == 400
    assert raw.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert raw.json()["error"]["code"] == 400


def test_async_generate_and_stream(
    sim: Simulator, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    config = headers_config(usage_headers(usage_case))

    async def run() -> tuple[Any, Any]:
        client = genai.Client(
            api_key="x", http_options=types.HttpOptions(base_url=sim.google_base_url)
        )
        whole = await client.aio.models.generate_content(
            model=MODEL, contents=PROMPT, config=config
        )
        last = None
        async for chunk in await client.aio.models.generate_content_stream(
            model=MODEL, contents=PROMPT, config=config
        ):
            last = chunk
        assert last is not None
        await client.aio.aclose()
        return whole.usage_metadata, last.usage_metadata

    whole, streamed = asyncio.run(run())
    assert observed_usage(whole) == expected_usage(usage_case)
    assert observed_usage(streamed) == expected_usage(usage_case)
