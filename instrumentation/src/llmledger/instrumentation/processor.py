"""Stamp attribution (feature, team, user, session) from baggage onto LLM spans as they start."""

from __future__ import annotations

from opentelemetry import baggage
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from llmledger.instrumentation._llm_span import TRACER_NAME
from llmledger.instrumentation._safety import report_internal_error
from llmledger.instrumentation.attributes import ATTRIBUTION_KEYS

# Prefixes of the attributes GenAI instrumentations set when they start a span: the OTel
# conventions (`gen_ai.*`), OpenInference and OpenLLMetry's older names (`llm.*`).
_LLM_ATTRIBUTE_PREFIXES = ("gen_ai.", "llm.")


def _is_llm_span(span: Span) -> bool:
    scope = span.instrumentation_scope
    if scope is not None and scope.name == TRACER_NAME:
        return True
    return any(key.startswith(_LLM_ATTRIBUTE_PREFIXES) for key in span.attributes or ())


class AttributionSpanProcessor(SpanProcessor):
    """Copies `attribute(...)` values from baggage onto every span that looks like an LLM call.

    Applies to llmledger's own spans and to spans of any other instrumentation that carry
    `gen_ai.*` or `llm.*` attributes at start. Attributes the span already has are kept: an
    explicit `user.id` on the span wins over the one in baggage. Runs on the app's hot path, so it
    returns at once when there is no attribution in baggage, and never raises.
    """

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            entries = baggage.get_all(parent_context)
            if not entries:
                return
            found = {key: entries[key] for key in ATTRIBUTION_KEYS if key in entries}
            if not found or not _is_llm_span(span):
                return
            existing = span.attributes or {}
            # One `set_attributes` call: each attribute write takes the span's lock.
            missing = {key: str(value) for key, value in found.items() if key not in existing}
            if missing:
                span.set_attributes(missing)
        except Exception as error:
            report_internal_error("stamping attribution onto a span", error)

    def on_end(self, span: ReadableSpan) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
