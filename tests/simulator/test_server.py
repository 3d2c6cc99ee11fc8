"""The HTTP layer: lifecycle, keep-alive, control headers, routing errors, concurrency."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest

from llmledger.simulator import LATENCY_HEADER, Simulator

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}


def test_urls_and_lifecycle() -> None:
    simulator = Simulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = simulator.url
    with simulator as sim:
        assert sim.url == f"http://127.0.0.1:{sim.port}"
        assert sim.openai_base_url == f"{sim.url}/v1"
        assert sim.anthropic_base_url == sim.google_base_url == sim.url
        with pytest.raises(RuntimeError, match="already running"):
            sim.start()
        # A kept-alive SDK connection must not keep the server from stopping.
        client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
        client.chat.completions.create(**CHAT)  # type: ignore[call-overload]
        port = sim.port
    refused = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    with pytest.raises(OSError):
        refused.request("GET", "/health")
        refused.getresponse()
    simulator.stop()  # stopping twice is harmless


def test_one_connection_serves_many_requests(sim: Simulator) -> None:
    before = sim.requests_served
    connection = http.client.HTTPConnection(sim.host, sim.port, timeout=5)
    try:
        for _ in range(3):
            connection.request("POST", "/v1/chat/completions", json.dumps(CHAT))
            response = connection.getresponse()
            assert response.status == 200
            assert response.version == 11
            assert str(response.getheader("x-request-id")).startswith("req_")
            json.loads(response.read())
        stream_body = json.dumps({**CHAT, "stream": True})
        connection.request("POST", "/v1/chat/completions", stream_body)
        streamed = connection.getresponse()
        assert streamed.getheader("Transfer-Encoding") == "chunked"
        assert streamed.read().endswith(b"data: [DONE]\n\n")
        connection.request("GET", "/health")
        assert json.loads(connection.getresponse().read()) == {"status": "ok"}
    finally:
        connection.close()
    assert sim.requests_served - before >= 5


def test_latency_header_delays_the_answer(post: Callable[..., Any]) -> None:
    started = time.monotonic()
    assert post("/v1/chat/completions", CHAT, {LATENCY_HEADER: "150"}).status == 200
    assert time.monotonic() - started >= 0.15
    rejected = post("/v1/chat/completions", CHAT, {LATENCY_HEADER: "soon"})
    assert rejected.status == 400
    assert LATENCY_HEADER in rejected.json()["error"]["message"]


def test_unknown_routes_and_bad_bodies(post: Callable[..., Any]) -> None:
    missing = post("/v1/completions/legacy", CHAT)
    assert missing.status == 404
    assert "Unknown request URL" in missing.json()["error"]["message"]
    bad_json = post("/v1/messages", b"{not json")
    assert bad_json.status == 400
    assert bad_json.json()["type"] == "error"  # Anthropic's shape for an Anthropic path
    not_object = post("/v1/chat/completions", [1, 2])
    assert not_object.status == 400


def test_concurrent_clients_all_get_answers(sim: Simulator) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x", max_retries=0)
    before = sim.requests_served

    def ask(index: int) -> int:
        messages = [{"role": "user", "content": f"question {index}"}]
        completion = client.chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]
        assert completion.usage is not None
        return completion.usage.prompt_tokens

    with ThreadPoolExecutor(max_workers=8) as pool:
        prompt_tokens = list(pool.map(ask, range(40)))
    assert len(prompt_tokens) == 40
    assert sim.requests_served - before == 40
