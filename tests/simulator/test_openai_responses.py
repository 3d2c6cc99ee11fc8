"""The Responses API through the official OpenAI SDK, sync and async, streaming and not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import openai
import pytest
from openai.types.responses import ResponseUsage

from llmledger.simulator import OPENAI_SNAPSHOTS, Simulator


def expected_usage(case: dict[str, Any]) -> dict[str, int]:
    return {
        "input_tokens": case["input_tokens"],
        "cached_tokens": case.get("cache_read_tokens", 0),
        "cache_write_tokens": case.get("cache_write_tokens", 0),
        "output_tokens": case["output_tokens"],
        "reasoning_tokens": case.get("reasoning_tokens", 0),
        "total_tokens": case["input_tokens"] + case["output_tokens"],
    }


def observed_usage(usage: ResponseUsage | None) -> dict[str, int]:
    assert usage is not None
    return {
        "input_tokens": usage.input_tokens,
        "cached_tokens": usage.input_tokens_details.cached_tokens,
        "cache_write_tokens": usage.input_tokens_details.cache_write_tokens,
        "output_tokens": usage.output_tokens,
        "reasoning_tokens": usage.output_tokens_details.reasoning_tokens,
        "total_tokens": usage.total_tokens,
    }


@pytest.fixture(scope="module")
def client(sim: Simulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=sim.openai_base_url, api_key="x", max_retries=0)


def test_non_streaming_reports_override(
    client: openai.OpenAI, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    response = client.responses.create(
        model="gpt-5", input="Summarise spend by team.", extra_headers=usage_headers(usage_case)
    )
    assert observed_usage(response.usage) == expected_usage(usage_case)
    assert response.service_tier == usage_case.get("service_tier", "default")
    assert response.model == OPENAI_SNAPSHOTS["gpt-5"]
    assert response.status == "completed"


def test_stream_events_and_completed_usage(
    client: openai.OpenAI, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    events = list(
        client.responses.create(
            model="gpt-4.1",
            input=[{"role": "user", "content": [{"type": "input_text", "text": "hello"}]}],
            stream=True,
            extra_headers=usage_headers(usage_case),
        )
    )
    types = [event.type for event in events]
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    assert "response.output_text.delta" in types
    assert [event.sequence_number for event in events] == list(range(len(events)))
    completed = events[-1]
    assert completed.type == "response.completed"
    assert observed_usage(completed.response.usage) == expected_usage(usage_case)
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == completed.response.output_text


def test_stream_helper_final_response_matches_non_streaming(client: openai.OpenAI) -> None:
    whole = client.responses.create(model="o3", input="Which feature costs most?")
    with client.responses.stream(model="o3", input="Which feature costs most?") as stream:
        final = stream.get_final_response()
    assert final.output_text == whole.output_text
    assert observed_usage(final.usage) == observed_usage(whole.usage)
    assert whole.usage is not None and whole.usage.output_tokens_details.reasoning_tokens > 0
    assert [item.type for item in whole.output] == ["reasoning", "message"]


def test_raw_stream_uses_named_events_without_done_sentinel(
    post: Callable[..., Any], sse: Callable[..., Any]
) -> None:
    events = sse(post("/v1/responses", {"model": "gpt-4o", "input": "hi", "stream": True}).body)
    assert all(name == json.loads(data)["type"] for name, data in events)
    assert events[-1][0] == "response.completed"
    created = json.loads(events[0][1])["response"]
    assert created["status"] == "in_progress" and created["usage"] is None


def test_max_output_tokens_makes_the_response_incomplete(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="hi", max_output_tokens=2)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    events = list(
        client.responses.create(model="gpt-4o", input="hi", max_output_tokens=2, stream=True)
    )
    assert events[-1].type == "response.incomplete"


def test_missing_model_is_a_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="model"):
        client.responses.create(model="", input="hi")


def test_async_stream_final_usage(
    sim: Simulator, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    async def run() -> ResponseUsage | None:
        async with openai.AsyncOpenAI(base_url=sim.openai_base_url, api_key="x") as client:
            stream_manager = client.responses.stream(
                model="gpt-5-nano", input="hi", extra_headers=usage_headers(usage_case)
            )
            async with stream_manager as stream:
                return (await stream.get_final_response()).usage

    assert observed_usage(asyncio.run(run())) == expected_usage(usage_case)
