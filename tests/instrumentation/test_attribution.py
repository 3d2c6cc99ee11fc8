"""attribute() as context manager and decorator, the span processor, and W3C propagation."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import openai
import pytest
from opentelemetry import baggage
from opentelemetry.context import Context
from opentelemetry.propagate import inject
from opentelemetry.sdk.trace import Span, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.instrumentation import attribute
from llmledger.instrumentation import attributes as attr
from llmledger.instrumentation._llm_span import LLMSpan, llm_tracer
from llmledger.instrumentation.attribution import attribution_to_stamp
from llmledger.instrumentation.privacy import configure_key, hash_user_id
from llmledger.simulator import Simulator

FULL = {"feature": "search", "team": "growth", "user_id": "u-1", "session_id": "s-1"}
FULL_BAGGAGE = {
    attr.FEATURE: "search",
    attr.TEAM: "growth",
    attr.USER_ID: "u-1",
    attr.CONVERSATION_ID: "s-1",
}


def test_context_manager_nests_overriding_only_given_keys() -> None:
    with attribute(**FULL):
        assert dict(baggage.get_all()) == FULL_BAGGAGE
        with attribute(feature="rerank", user_id="u-2"):
            assert dict(baggage.get_all()) == {
                **FULL_BAGGAGE,
                attr.FEATURE: "rerank",
                attr.USER_ID: "u-2",
            }
        assert dict(baggage.get_all()) == FULL_BAGGAGE
    assert dict(baggage.get_all()) == {}


def test_one_instance_can_be_entered_while_active() -> None:
    shared = attribute(team="platform")
    with shared, attribute(team="search"), shared:
        assert baggage.get_baggage(attr.TEAM) == "platform"
    assert dict(baggage.get_all()) == {}


def test_sync_decorator() -> None:
    @attribute(feature="triage", team="support")
    def handle(ticket: str) -> dict[str, object]:
        return {"ticket": ticket, **baggage.get_all()}

    assert handle.__name__ == "handle"
    assert handle("T-1") == {"ticket": "T-1", attr.FEATURE: "triage", attr.TEAM: "support"}
    assert dict(baggage.get_all()) == {}


def test_async_decorator_keeps_concurrent_tasks_apart() -> None:
    def make(feature: str) -> Callable[[], Awaitable[object]]:
        @attribute(feature=feature)
        async def work() -> object:
            await asyncio.sleep(0.01)  # let the other task run in between
            return baggage.get_baggage(attr.FEATURE)

        return work

    async def main() -> list[object]:
        return list(await asyncio.gather(make("a")(), make("b")(), make("c")()))

    assert asyncio.run(main()) == ["a", "b", "c"]


def test_generators_cannot_be_decorated() -> None:
    def numbers() -> Iterator[int]:
        yield 1

    with pytest.raises(TypeError, match="cannot decorate the generator"):
        attribute(team="growth")(numbers)


def test_non_string_values_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"user\.id must be a str"):
        attribute(user_id=42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start_attributes", "expected_stamped"),
    [
        ({"gen_ai.system": "openai"}, True),  # older OTel names
        ({"llm.model_name": "gpt-4o"}, True),  # OpenInference
        ({"http.request.method": "POST"}, False),  # not an LLM span
        ({}, False),
    ],
)
def test_processor_stamps_spans_that_look_like_llm_calls(
    tracer_provider: TracerProvider,
    spans: InMemorySpanExporter,
    start_attributes: dict[str, str],
    expected_stamped: bool,
) -> None:
    tracer = tracer_provider.get_tracer("some-other-instrumentation")
    with attribute(**FULL), tracer.start_as_current_span("call", attributes=start_attributes):
        pass
    [span] = spans.get_finished_spans()
    expected = {**start_attributes, **(FULL_BAGGAGE if expected_stamped else {})}
    assert dict(span.attributes or {}) == expected


def test_processor_keeps_explicit_attributes(
    tracer_provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    tracer = tracer_provider.get_tracer("some-other-instrumentation")
    explicit = {"gen_ai.operation.name": "chat", attr.USER_ID: "explicit-user"}
    with attribute(**FULL), tracer.start_as_current_span("chat", attributes=explicit):
        pass
    [span] = spans.get_finished_spans()
    assert dict(span.attributes or {}) == {**FULL_BAGGAGE, **explicit}


def test_our_spans_carry_attribution_from_their_start_even_without_the_processor() -> None:
    # Our spans stamp themselves (cheaper than a processor writing to a started span), so the
    # processor is not needed for them, and processors added after it see the attribution.
    seen_at_start: list[dict[str, object]] = []

    class RecordingProcessor(SimpleSpanProcessor):
        def on_start(self, span: Span, parent_context: Context | None = None) -> None:
            seen_at_start.append(dict(span.attributes or {}))

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(RecordingProcessor(memory))
    with attribute(team="growth", user_id="u-1"):
        LLMSpan(
            llm_tracer(provider),
            provider="vllm",
            operation="chat",
            request_model=None,
            stream=False,
        ).end()
    [span] = memory.get_finished_spans()
    stamped = {attr.TEAM: "growth", attr.USER_ID: "u-1"}
    assert {key: (span.attributes or {}).get(key) for key in stamped} == stamped
    assert {key: seen_at_start[0].get(key) for key in stamped} == stamped


@pytest.mark.usefixtures("openai_instrumented")
def test_real_call_inside_attribute_carries_it(sim: Simulator, spans: InMemorySpanExporter) -> None:
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key="x")
    with attribute(**FULL):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    [span] = spans.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert {key: attributes[key] for key in FULL_BAGGAGE} == FULL_BAGGAGE
    assert attributes[attr.PROVIDER_NAME] == "openai"


def test_attribution_crosses_a_process_boundary_over_http(tracer_provider: TracerProvider) -> None:
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_baggage_server.py"))],
        stdout=subprocess.PIPE,
        text=True,
    )
    user = "Ada Lovelace, admin; ü"  # needs percent-encoding in the baggage header
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        tracer = tracer_provider.get_tracer("upstream-web-framework")
        with (
            attribute(feature="checkout", team="payments", user_id=user, session_id="conv-7"),
            tracer.start_as_current_span("POST /checkout") as parent,
        ):
            headers: dict[str, str] = {}
            inject(headers)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/", data=b"{}", headers=headers, method="POST"
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                recorded = json.load(response)
    finally:
        child.terminate()
        child.wait(timeout=30)

    assert recorded["trace_id"] == f"{parent.get_span_context().trace_id:032x}"
    assert recorded["parent_span_id"] == f"{parent.get_span_context().span_id:016x}"
    assert recorded["attributes"] == {
        "gen_ai.request.model": "gpt-4o",
        attr.FEATURE: "checkout",
        attr.TEAM: "payments",
        attr.USER_ID: user,
        attr.CONVERSATION_ID: "conv-7",
    }


@pytest.mark.usefixtures("fresh_globals")
def test_the_reused_stamp_follows_baggage_and_key_changes() -> None:
    configure_key(None)
    with attribute(**FULL):
        first = dict(attribution_to_stamp())
        assert first == FULL_BAGGAGE
        assert attribution_to_stamp() == first  # the same baggage again: the same stamp
        with attribute(user_id="u-2"):
            assert attribution_to_stamp()[attr.USER_ID] == "u-2"
        assert attribution_to_stamp()[attr.USER_ID] == "u-1"
        configure_key(b"k1")
        assert attribution_to_stamp()[attr.USER_ID] == hash_user_id("u-1", b"k1")
        configure_key(b"k2")
        assert attribution_to_stamp()[attr.USER_ID] == hash_user_id("u-1", b"k2")
        configure_key(None)
        assert attribution_to_stamp()[attr.USER_ID] == "u-1"
    assert dict(attribution_to_stamp()) == {}
