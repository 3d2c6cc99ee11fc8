"""Run as a script: the same OpenAI chat calls under one instrumentation, spans saved as OTLP.

``python peer_emit.py PEER OPENAI_BASE_URL OUT_FILE`` instruments the real OpenAI SDK with PEER
(one of `PEERS`), makes `CALL_KINDS` calls against the provider simulator, all inside two
wrapper spans that repeat their usage (an OTel GenAI ``invoke_agent`` span and OpenInference
AGENT + CHAIN spans) and inside `attribute(...)`, then writes the finished spans, encoded by
the OpenTelemetry SDK's own OTLP encoder, as a serialized ``ExportTraceServiceRequest``.

One process per instrumentation, because instrumenting several in one process leaves patches
behind (OpenLLMetry's uninstrument does not unwrap).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

PEERS: Final = ("llmledger", "official", "openllmetry", "openinference")
CALL_KINDS: Final = ("non_streaming", "stream", "stream_include_usage")
MODEL: Final = "gpt-5"
RESPONSE_MODEL: Final = "gpt-5-2025-08-07"  # the simulator's snapshot of MODEL
REQUESTED_TIER: Final = "auto"
# Neutral usage the simulator reports (x-llmledger-sim-usage); distinct numbers, so a value
# found on a span can only be that one count.
USAGE: Final = {
    "input_tokens": 4321,
    "cache_read_tokens": 2048,
    "cache_write_tokens": 256,
    "output_tokens": 777,
    "reasoning_tokens": 345,
    "service_tier": "priority",
}
PROMPT_MARKER: Final = "ledger-probe-9d41"
ATTRIBUTION: Final = {"feature": "peer-check", "team": "platform", "user_id": "user-7"}
WRAPPER_SCOPE: Final = "tests.peers.wrappers"


def _instrumentor(peer: str) -> Any:
    if peer == "llmledger":
        from llmledger.instrumentation import OpenAIInstrumentor
    elif peer == "official":
        from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor
    elif peer == "openllmetry":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    elif peer == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor
    else:
        raise SystemExit(f"unknown instrumentation {peer!r}; expected one of {PEERS}")
    return OpenAIInstrumentor()


def _calls(base_url: str) -> None:
    import openai

    from llmledger.simulator import USAGE_HEADER

    client = openai.OpenAI(base_url=base_url, api_key="sk-peers", max_retries=0)
    common: dict[str, Any] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": f"{PROMPT_MARKER}: summarise the ticket"}],
        "service_tier": REQUESTED_TIER,
        "extra_headers": {USAGE_HEADER: json.dumps(USAGE)},
    }
    client.chat.completions.create(**common)
    for _ in client.chat.completions.create(**common, stream=True):
        pass
    usage_option = {"include_usage": True}
    for _ in client.chat.completions.create(**common, stream=True, stream_options=usage_option):
        pass


def _wrapper_attributes() -> tuple[dict[str, Any], dict[str, Any]]:
    calls = len(CALL_KINDS)
    agent = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "ticket-bot",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": MODEL,
        "gen_ai.usage.input_tokens": calls * USAGE["input_tokens"],
        "gen_ai.usage.output_tokens": calls * USAGE["output_tokens"],
    }
    openinference_agent = {
        "openinference.span.kind": "AGENT",
        "llm.model_name": MODEL,
        "llm.token_count.prompt": calls * USAGE["input_tokens"],
        "llm.token_count.completion": calls * USAGE["output_tokens"],
    }
    return agent, openinference_agent


def main(peer: str, base_url: str, out: Path) -> None:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from llmledger.instrumentation import AttributionSpanProcessor, attribute

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": f"peers-{peer}"}))
    provider.add_span_processor(AttributionSpanProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _instrumentor(peer).instrument(tracer_provider=provider)
    wrappers = provider.get_tracer(WRAPPER_SCOPE)
    agent, openinference_agent = _wrapper_attributes()
    with (
        attribute(**ATTRIBUTION),
        wrappers.start_as_current_span("invoke_agent ticket-bot", attributes=agent),
        wrappers.start_as_current_span("agent", attributes=openinference_agent),
        wrappers.start_as_current_span("chain", attributes={"openinference.span.kind": "CHAIN"}),
    ):
        _calls(base_url)
    out.write_bytes(encode_spans(exporter.get_finished_spans()).SerializeToString())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
