"""An in-process HTTP transport answering like the OpenAI API, so timings exclude the network.

Replies come from the provider simulator's own endpoint code (the same JSON and SSE framing the
simulator server sends), with a fixed usage that has cached and reasoning tokens and a served
tier. Each distinct request body is synthesized once and then replayed, so the transport costs
the same small, constant time for every configuration being compared.
"""

from __future__ import annotations

import json
from typing import Final

import httpx2
from openai.types.chat import ChatCompletionMessageParam

from llmledger.simulator.openai_chat import create_chat_completion
from llmledger.simulator.protocol import JsonReply, SimRequest, to_json
from llmledger.simulator.usage import NeutralUsage

BASE_URL: Final = "http://llm.invalid/v1"
MODEL: Final = "gpt-5"
MESSAGES: Final[list[ChatCompletionMessageParam]] = [
    {"role": "system", "content": "You summarise support tickets for the billing team."},
    {"role": "user", "content": "Customer reports a double charge on the March invoice."},
]
USAGE: Final = NeutralUsage(
    input_tokens=4321,
    cache_read_tokens=2048,
    output_tokens=777,
    reasoning_tokens=345,
    service_tier="priority",
)


class CannedOpenAITransport(httpx2.BaseTransport):
    """Answers ``POST /v1/chat/completions`` from replies synthesized once per request body."""

    def __init__(self) -> None:
        self._replies: dict[bytes, tuple[str, list[bytes]]] = {}

    def _reply_for(self, body: bytes) -> tuple[str, list[bytes]]:
        reply = self._replies.get(body)
        if reply is None:
            synthesized = create_chat_completion(SimRequest(json.loads(body), USAGE))
            if isinstance(synthesized, JsonReply):
                reply = ("application/json", [to_json(synthesized.body)])
            else:
                reply = ("text/event-stream", synthesized.frames)
            self._replies[body] = reply
        return reply

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            raise ValueError(
                f"the canned transport only serves chat completions, not {request.url}"
            )
        content_type, frames = self._reply_for(request.read())
        return httpx2.Response(
            200,
            headers={"content-type": content_type},
            content=iter(frames) if content_type == "text/event-stream" else frames[0],
            request=request,
        )
