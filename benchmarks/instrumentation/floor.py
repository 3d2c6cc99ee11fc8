"""The floor: what creating and ending one bare span costs, with the attributes ours ends with.

Measured two ways, both through the span pipeline every configuration shares:
`BareSpanInstrumentor` wraps the same SDK calls in a bare span (so the floor pays the same cache
and interpreter conditions as the instrumentations it is compared with), and `tight_loop_ns`
times bare spans back to back (the best case, reported for reference).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from openai.resources.chat.completions import Completions
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from benchmarks.instrumentation.calls import make_calls, make_client
from benchmarks.instrumentation.configs import CONFIGS
from benchmarks.instrumentation.patch_switch import PatchSwitch

SPAN_NAME = "chat gpt-5"


def our_span_attributes() -> dict[str, Any]:
    """The attributes our span ends with for the non-streaming call, attribution included."""
    config = CONFIGS["llmledger"]
    captured = InMemorySpanExporter()
    provider = config.tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(captured))
    switch = PatchSwitch(config.make_instrumentor(), provider)
    switch.on()
    try:
        with config.call_context():
            make_calls(make_client())["non_streaming"]()
    finally:
        switch.off()
    (span,) = captured.get_finished_spans()
    return dict(span.attributes or {})


class BareSpanInstrumentor:
    """Wraps `Completions.create` in a bare span: no reading of requests or responses at all."""

    def __init__(self) -> None:
        self.attributes = our_span_attributes()

    def instrument(self, tracer_provider: TracerProvider) -> None:
        tracer = tracer_provider.get_tracer("benchmark.floor")
        original: Callable[..., Any] = vars(Completions)["create"]
        attributes = self.attributes

        def create(self: Any, *args: Any, **kwargs: Any) -> Any:
            span = tracer.start_span(SPAN_NAME, kind=SpanKind.CLIENT, attributes=attributes)
            try:
                return original(self, *args, **kwargs)
            finally:
                span.end()

        Completions.create = create  # type: ignore[method-assign]


def tight_loop_ns(provider: TracerProvider, attributes: dict[str, Any], count: int) -> list[int]:
    """Nanoseconds of each of `count` bare spans created and ended back to back."""
    tracer = provider.get_tracer("benchmark.floor")
    clock = time.perf_counter_ns
    timings = []
    for _ in range(count):
        start = clock()
        tracer.start_span(SPAN_NAME, kind=SpanKind.CLIENT, attributes=attributes).end()
        timings.append(clock() - start)
    return timings
