"""The timed calls: non-streaming and streaming chat completions, as an app makes them.

The plain streaming call does not ask for `include_usage` (most apps do not): each
instrumentation gets usage there its own way, or not at all (llmledger asks for it on the app's
behalf, so the SDK receives more bytes and one more event). With `include_usage` asked by the
app, every instrumentation receives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import openai

from benchmarks.instrumentation.transport import BASE_URL, MESSAGES, MODEL, CannedOpenAITransport

Call = Callable[[], Any]


def make_client() -> openai.OpenAI:
    """An OpenAI client whose HTTP requests never leave the process."""
    http_client = httpx2.Client(transport=CannedOpenAITransport())
    return openai.OpenAI(base_url=BASE_URL, api_key="benchmark", http_client=http_client)


def make_calls(client: openai.OpenAI) -> dict[str, Call]:
    """Mode name -> one complete call (a stream is read to its end)."""
    completions = client.chat.completions

    def non_streaming() -> Any:
        return completions.create(model=MODEL, messages=MESSAGES)

    def streaming() -> Any:
        stream = completions.create(model=MODEL, messages=MESSAGES, stream=True)
        return list(stream)

    def streaming_with_usage() -> Any:
        stream = completions.create(
            model=MODEL,
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        return list(stream)

    return {
        "non_streaming": non_streaming,
        "streaming": streaming,
        "streaming_usage": streaming_with_usage,
    }
