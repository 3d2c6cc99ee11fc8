"""Shared fixtures: one simulator for the whole test session, raw HTTP access, usage cases."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from llmledger.simulator import USAGE_HEADER, Simulator

# Neutral usage overrides exercising every field, including the edges (nothing cached, all of the
# input written to cache, all output reasoning, zero output, a non-default tier).
USAGE_CASES: list[dict[str, Any]] = [
    {"input_tokens": 1200, "output_tokens": 340, "cache_read_tokens": 1024},
    {
        "input_tokens": 5000,
        "output_tokens": 900,
        "cache_read_tokens": 2000,
        "cache_write_tokens": 1500,
        "cache_write_1h_tokens": 500,
        "reasoning_tokens": 600,
        "service_tier": "priority",
    },
    {
        "input_tokens": 300,
        "output_tokens": 120,
        "cache_write_tokens": 300,
        "cache_write_1h_tokens": 300,
        "reasoning_tokens": 120,
        "service_tier": "batch",
    },
    {"input_tokens": 7, "output_tokens": 0},
]


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


@pytest.fixture(params=USAGE_CASES, ids=lambda case: "-".join(f"{v}" for v in case.values()))
def usage_case(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A neutral usage override (as sent in the header)."""
    case: dict[str, Any] = request.param
    return case


def override(case: dict[str, Any]) -> dict[str, str]:
    """Extra headers asking the simulator to report ``case``."""
    return {USAGE_HEADER: json.dumps(case)}


@pytest.fixture(scope="session")
def post(sim: Simulator) -> Callable[..., RawResponse]:
    """POST raw JSON (or raw bytes) to the simulator, bypassing every SDK."""

    def send(path: str, body: Any, headers: dict[str, str] | None = None) -> RawResponse:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        connection = http.client.HTTPConnection(sim.host, sim.port, timeout=10)
        try:
            connection.request(
                "POST", path, payload, {"Content-Type": "application/json", **(headers or {})}
            )
            response = connection.getresponse()
            return RawResponse(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    return send


def sse_events(body: bytes) -> list[tuple[str | None, str]]:
    """(event name, data) pairs of an SSE body, parsed independently of any SDK."""
    events = []
    for block in body.replace(b"\r\n", b"\n").decode().split("\n\n"):
        if not block.strip():
            continue
        name = None
        data = []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        events.append((name, "\n".join(data)))
    return events


@pytest.fixture(scope="session")
def sse() -> Callable[[bytes], list[tuple[str | None, str]]]:
    return sse_events


@pytest.fixture(scope="session")
def usage_headers() -> Callable[[dict[str, Any]], dict[str, str]]:
    return override
