"""Stamp attribution (feature, team, user, session) from baggage onto others' LLM spans at start."""

from __future__ import annotations

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from llmledger.instrumentation._llm_span import TRACER_NAME
from llmledger.instrumentation._safety import report_internal_error
from llmledger.instrumentation.attribution import attribution_to_stamp

# Prefixes of the attributes GenAI instrumentations set when they start a span: the OTel
# conventions (`gen_ai.*`), OpenInference and OpenLLMetry's older names (`llm.*`).
_LLM_ATTRIBUTE_PREFIXES = ("gen_ai.", "llm.")


def _looks_like_llm_call(span: Span) -> bool:
    return any(key.startswith(_LLM_ATTRIBUTE_PREFIXES) for key in span.attributes or ())


class AttributionSpanProcessor(SpanProcessor):
    """Copies `attribute(...)` values from baggage onto every span that looks like an LLM call.

    Applies to spans of any other instrumentation that carry `gen_ai.*` or `llm.*` attributes at
    start; llmledger's own spans are skipped, as they got the same attribution when created
    (`attribution.attribution_to_stamp`, cheaper than writing to a started span). Attributes the
    span already has are kept: an explicit `user.id` on the span wins over the one in baggage.
    Runs on the app's hot path, so it returns at once for our spans and when there is no
    attribution in baggage, and never raises.
    """

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            scope = span.instrumentation_scope
            if scope is not None and scope.name == TRACER_NAME:
                return
            found = attribution_to_stamp(parent_context)
            if not found or not _looks_like_llm_call(span):
                return
            # A set of the keys, not `key in span.attributes`: the SDK's attribute mapping answers
            # that by raising and catching KeyError, once per absent key on every call.
            existing = set(span.attributes or ())
            missing = {key: value for key, value in found.items() if key not in existing}
            # One `set_attributes` call: each attribute write takes the span's lock.
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
