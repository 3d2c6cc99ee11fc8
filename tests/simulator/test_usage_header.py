"""The neutral usage override: parsing rules, and rejection in each provider's error shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmledger.simulator import USAGE_HEADER, NeutralUsage
from llmledger.simulator.usage import SimHeaderError, parse_latency_ms, parse_usage_override


@st.composite
def valid_usages(draw: st.DrawFn) -> dict[str, Any]:
    read = draw(st.integers(0, 10_000))
    written = draw(st.integers(0, 10_000))
    output = draw(st.integers(0, 10_000))
    return {
        "input_tokens": read + written + draw(st.integers(0, 10_000)),
        "output_tokens": output,
        "cache_read_tokens": read,
        "cache_write_tokens": written,
        "cache_write_1h_tokens": draw(st.integers(0, written)),
        "reasoning_tokens": draw(st.integers(0, output)),
        "service_tier": draw(st.sampled_from(["default", "flex", "priority", "batch"])),
    }


@given(valid_usages())
def test_valid_objects_round_trip_and_parts_add_up(fields: dict[str, Any]) -> None:
    usage = parse_usage_override(json.dumps(fields))
    assert usage == NeutralUsage(**fields)
    assert (
        usage.uncached_input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
        == fields["input_tokens"]
    )
    assert usage.cache_write_5m_tokens + usage.cache_write_1h_tokens == fields["cache_write_tokens"]
    assert usage.visible_output_tokens + usage.reasoning_tokens == fields["output_tokens"]


def test_only_totals_are_required() -> None:
    usage = parse_usage_override('{"input_tokens": 5, "output_tokens": 2}')
    assert (usage.cache_read_tokens, usage.reasoning_tokens, usage.service_tier) == (0, 0, None)


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"input_tokens": 1}', "missing required keys"),
        ('{"input_tokens": 1, "output_tokens": 1, "cached": 1}', "unknown keys"),
        ('{"input_tokens": -1, "output_tokens": 1}', "non-negative integer"),
        ('{"input_tokens": 1.5, "output_tokens": 1}', "non-negative integer"),
        ('{"input_tokens": true, "output_tokens": 1}', "non-negative integer"),
        ('{"input_tokens": 10, "output_tokens": 1, "cache_read_tokens": 11}', "must not exceed"),
        (
            '{"input_tokens": 10, "output_tokens": 1, "cache_read_tokens": 6, '
            '"cache_write_tokens": 6}',
            "must not exceed input_tokens",
        ),
        (
            '{"input_tokens": 10, "output_tokens": 1, "cache_write_tokens": 2, '
            '"cache_write_1h_tokens": 3}',
            "cache_write_1h_tokens",
        ),
        ('{"input_tokens": 10, "output_tokens": 1, "reasoning_tokens": 2}', "reasoning_tokens"),
        ('{"input_tokens": 1, "output_tokens": 1, "service_tier": ""}', "service_tier"),
    ],
)
def test_invalid_objects_are_rejected_with_a_clear_message(raw: str, complaint: str) -> None:
    with pytest.raises(SimHeaderError, match=complaint):
        parse_usage_override(raw)


@pytest.mark.parametrize("raw", ["-1", "abc", "60001"])
def test_invalid_latency_is_rejected(raw: str) -> None:
    with pytest.raises(SimHeaderError):
        parse_latency_ms(raw)


BAD_HEADER = {USAGE_HEADER: '{"input_tokens": 3, "output_tokens": 1, "cache_read_tokens": 9}'}
REQUESTS = [
    ("/v1/chat/completions", {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}),
    ("/v1/responses", {"model": "gpt-4o", "input": "x"}),
    ("/v1/embeddings", {"model": "text-embedding-3-small", "input": "x"}),
    (
        "/v1/messages",
        {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
    ),
    ("/v1/models/gemini-2.5-pro:generateContent", {"contents": [{"parts": [{"text": "x"}]}]}),
]


@pytest.mark.parametrize(("path", "body"), REQUESTS, ids=[path for path, _ in REQUESTS])
def test_every_endpoint_rejects_an_invalid_header_in_its_own_shape(
    post: Callable[..., Any], path: str, body: dict[str, Any]
) -> None:
    response = post(path, body, BAD_HEADER)
    assert response.status == 400
    error = response.json()["error"]
    assert USAGE_HEADER in error["message"]
    assert "must not exceed input_tokens" in error["message"]
    if path == "/v1/messages":
        assert error["type"] == "invalid_request_error"
    elif "models/" in path:
        assert error["status"] == "INVALID_ARGUMENT"
    else:
        assert error["type"] == "invalid_request_error"
