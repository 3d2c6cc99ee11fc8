"""Embeddings through the official OpenAI SDK (which asks for base64 by default)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

import openai
import pytest

from llmledger.simulator import Simulator


@pytest.fixture(scope="module")
def client(sim: Simulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=sim.openai_base_url, api_key="x", max_retries=0)


def test_base64_and_float_encodings_carry_the_same_unit_vector(client: openai.OpenAI) -> None:
    texts = ["invoice totals", "cache hits"]
    default = client.embeddings.create(model="text-embedding-3-small", input=texts)
    as_float = client.embeddings.create(
        model="text-embedding-3-small", input=texts, encoding_format="float"
    )
    assert [item.index for item in default.data] == [0, 1]
    for packed, plain in zip(default.data, as_float.data, strict=True):
        assert len(packed.embedding) == len(plain.embedding) == 1536
        assert packed.embedding == pytest.approx(plain.embedding, abs=1e-6)
        assert math.fsum(x * x for x in plain.embedding) == pytest.approx(1.0)
    assert default.data[0].embedding != default.data[1].embedding


def test_usage_is_deterministic_and_grows_with_input(client: openai.OpenAI) -> None:
    short = client.embeddings.create(model="text-embedding-3-large", input="abc", dimensions=8)
    again = client.embeddings.create(model="text-embedding-3-large", input="abc", dimensions=8)
    longer = client.embeddings.create(model="text-embedding-3-large", input="abc " * 50)
    assert short.usage == again.usage
    assert short.data[0].embedding == again.data[0].embedding
    assert len(short.data[0].embedding) == 8
    assert len(longer.data[0].embedding) == 3072
    assert longer.usage.prompt_tokens > short.usage.prompt_tokens
    assert short.usage.total_tokens == short.usage.prompt_tokens


def test_override_sets_prompt_tokens(
    sim: Simulator, usage_case: dict[str, Any], usage_headers: Callable[..., Any]
) -> None:
    async def run() -> Any:
        async with openai.AsyncOpenAI(base_url=sim.openai_base_url, api_key="x") as client:
            return await client.embeddings.create(
                model="text-embedding-3-small", input="x", extra_headers=usage_headers(usage_case)
            )

    usage = asyncio.run(run()).usage
    assert usage.prompt_tokens == usage.total_tokens == usage_case["input_tokens"]


def test_empty_input_is_rejected(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="input"):
        client.embeddings.create(model="text-embedding-3-small", input=[])
