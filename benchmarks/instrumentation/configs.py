"""The configurations compared: ours and three peer instrumentations of the OpenAI SDK.

Every configuration gets the same tracer provider pipeline (`base_pipeline`); ours adds only
what a team would add to use llmledger: the `AttributionSpanProcessor`, with `attribute(...)`
active around the calls. Peers run with their default settings, as a team would install them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from llmledger.instrumentation import AttributionSpanProcessor, attribute


class NoOpExporter(SpanExporter):
    """Drops every span: the export path is the same for all, so it is kept out of the timing."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def base_pipeline() -> list[SpanProcessor]:
    """The span processors every configuration (and the floor) runs."""
    return [SimpleSpanProcessor(NoOpExporter())]


ATTRIBUTION: Final = {"feature": "ticket-summary", "team": "support", "user_id": "user-42"}


@dataclass(frozen=True)
class Config:
    """How to instrument the OpenAI SDK one way; `make_instrumentor()` imports lazily."""

    name: str
    label: str
    make_instrumentor: Callable[[], Any]
    extra_processors: Callable[[], list[SpanProcessor]] = list
    call_context: Callable[[], AbstractContextManager[Any]] = nullcontext

    def tracer_provider(self) -> TracerProvider:
        provider = TracerProvider()
        for processor in [*self.extra_processors(), *base_pipeline()]:
            provider.add_span_processor(processor)
        return provider


def _ours() -> Any:
    from llmledger.instrumentation import OpenAIInstrumentor

    return OpenAIInstrumentor()


def _official() -> Any:
    from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor

    return OpenAIInstrumentor()


def _openllmetry() -> Any:
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    return OpenAIInstrumentor()


def _openinference() -> Any:
    from openinference.instrumentation.openai import OpenAIInstrumentor

    return OpenAIInstrumentor()


def _bare_span() -> Any:
    from benchmarks.instrumentation.floor import BareSpanInstrumentor

    return BareSpanInstrumentor()


FLOOR: Final = "floor"
CONFIGS: Final = {
    config.name: config
    for config in (
        Config(
            "llmledger",
            "llmledger (ours, with attribution)",
            _ours,
            extra_processors=lambda: [AttributionSpanProcessor()],
            call_context=lambda: attribute(**ATTRIBUTION),
        ),
        Config("official", "opentelemetry-instrumentation-genai-openai", _official),
        Config("openllmetry", "OpenLLMetry opentelemetry-instrumentation-openai", _openllmetry),
        Config("openinference", "openinference-instrumentation-openai", _openinference),
        Config(FLOOR, "floor: a bare span with our attributes", _bare_span),
    )
}
