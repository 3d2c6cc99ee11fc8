from __future__ import annotations

from datetime import UTC, datetime

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llmledger.demo.time_travel import TimeTravelSpanProcessor, simulated_time


def test_spans_move_to_the_simulated_moment_keeping_their_duration() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(TimeTravelSpanProcessor(SimpleSpanProcessor(exporter)))
    tracer = provider.get_tracer("test")
    moment = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
    with simulated_time(moment), tracer.start_as_current_span("past", attributes={"k": 1}):
        pass
    with tracer.start_as_current_span("present"):
        pass
    wall = {s.name: s for s in exporter.get_finished_spans()}
    past, present = wall["past"], wall["present"]
    assert past.start_time == int(moment.timestamp() * 1e9)
    assert past.end_time is not None and past.end_time >= past.start_time
    assert past.attributes == {"k": 1}
    assert present.start_time is not None and present.start_time > past.start_time + 10**15
