"""One demo service: a separate process that makes its planned LLM calls through the
official SDKs, instrumented by llmledger, exporting OTLP to the gateway.

Each service runs in its own process with its own `service.name`, as it would in
production. Run by `llmledger.demo.runner`; the plan arrives as a JSON-lines file.

    python -m llmledger.demo.service PLAN_FILE SERVICE GATEWAY_URL SIMULATOR_URL
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import anthropic
import openai
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from llmledger.demo.time_travel import TimeTravelSpanProcessor, simulated_time
from llmledger.demo.workload import PlannedCall
from llmledger.instrumentation import (
    AnthropicInstrumentor,
    AttributionSpanProcessor,
    OpenAIInstrumentor,
    attribute,
)
from llmledger.simulator import USAGE_HEADER

DEFAULT_TIER = {"openai": "default", "anthropic": "standard"}


def write_plan(calls: list[PlannedCall], path: Path) -> None:
    with path.open("w") as fh:
        for call in calls:
            row = asdict(call) | {"called_at": call.called_at.isoformat()}
            fh.write(json.dumps(row) + "\n")


def read_plan(path: Path, service: str) -> list[PlannedCall]:
    calls = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row["service"] == service:
            row["called_at"] = datetime.fromisoformat(row["called_at"])
            calls.append(PlannedCall(**row))
    return calls


def _tracer_provider(service: str, gateway_url: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(AttributionSpanProcessor())
    exporter = OTLPSpanExporter(endpoint=f"{gateway_url}/v1/traces")
    provider.add_span_processor(TimeTravelSpanProcessor(BatchSpanProcessor(exporter)))
    return provider


def _usage_header(call: PlannedCall) -> dict[str, str]:
    usage = {
        "input_tokens": call.input_tokens,
        "cache_read_tokens": call.cache_read_tokens,
        "cache_write_tokens": call.cache_write_tokens,
        "cache_write_1h_tokens": 0,
        "output_tokens": call.output_tokens,
        "reasoning_tokens": call.reasoning_tokens,
        "service_tier": call.service_tier or DEFAULT_TIER[call.provider],
    }
    return {USAGE_HEADER: json.dumps(usage)}


def _make_call(clients: dict[str, Any], call: PlannedCall) -> None:
    messages = [{"role": "user", "content": f"{call.feature}: request from {call.user_id}"}]
    headers = _usage_header(call)
    if call.provider == "openai":
        response = clients["openai"].chat.completions.create(
            model=call.model, messages=messages, stream=call.stream, extra_headers=headers
        )
    else:
        response = clients["anthropic"].messages.create(
            model=call.model,
            max_tokens=4096,
            messages=messages,
            stream=call.stream,
            extra_headers=headers,
        )
    if call.stream:
        for _chunk in response:
            pass


def run_service(plan_file: Path, service: str, gateway_url: str, simulator_url: str) -> int:
    provider = _tracer_provider(service, gateway_url)
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    AnthropicInstrumentor().instrument(tracer_provider=provider)
    clients = {
        "openai": openai.OpenAI(base_url=f"{simulator_url}/v1", api_key="demo", max_retries=0),
        "anthropic": anthropic.Anthropic(base_url=simulator_url, api_key="demo", max_retries=0),
    }
    calls = read_plan(plan_file, service)
    for call in calls:
        with (
            simulated_time(call.called_at),
            attribute(
                feature=call.feature,
                team=call.team,
                user_id=call.user_id,
                session_id=call.session_id,
            ),
        ):
            _make_call(clients, call)
    provider.shutdown()  # flushes every span to the gateway before the process ends
    return len(calls)


if __name__ == "__main__":
    plan, name, gateway, simulator = sys.argv[1:5]
    run_service(Path(plan), name, gateway, simulator)
