"""Which instrumentation's attribute names a span uses (the lake's `convention` column)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmledger.instrumentation.attributes import ATTRIBUTION_KEYS, INSTRUMENTATION_SCOPE

_OPENLLMETRY_PREFIXES = ("traceloop.", "llm.usage.")


def detect_convention(attrs: Mapping[str, Any], scope_name: str = "") -> str:
    """Name the instrumentation whose attribute names the span uses.

    The first match in this order wins: our scope or our own keys, the anthropic SDK,
    OpenInference, OpenLLMetry, Logfire, any other `gen_ai.*` emitter, else "unknown".
    One pass over the keys collects every clue, since this runs once per GenAI span.
    """
    if scope_name == INSTRUMENTATION_SCOPE:
        return "llmledger"
    if scope_name.startswith("com.anthropic") or "anthropic.request.id" in attrs:
        return "anthropic_sdk"  # the anthropic SDK's built-in tracing (2.x)
    if _is_openllmetry_scope(scope_name):
        return "openllmetry"  # 0.55+ emits only gen_ai.* keys: its scope is the sign
    ours = openinference = openllmetry = logfire = genai = False
    for key in attrs:
        if key.startswith("gen_ai."):
            genai = True
        elif key.startswith("llm."):
            if key.startswith("llm.token_count."):
                openinference = True
            elif key.startswith("llm.usage."):
                openllmetry = True
        # Attribution keys are stamped onto every instrumentation's spans: they prove nothing.
        elif key.startswith("llmledger.") and key not in ATTRIBUTION_KEYS:
            ours = True
        elif key.startswith("traceloop."):
            openllmetry = True
        elif key.startswith("logfire."):
            logfire = True
    if ours:
        return "llmledger"
    if openinference or "openinference.span.kind" in attrs:
        return "openinference"
    if openllmetry or "llm.request.type" in attrs:
        return "openllmetry"
    if logfire or "operation.cost" in attrs:
        return "logfire"
    return "otel_genai" if genai else "unknown"


# The OpenTelemetry project's own GenAI instrumentations share OpenLLMetry's scope prefix.
_OFFICIAL_SCOPES = (
    "opentelemetry.instrumentation.genai",
    "opentelemetry.instrumentation.openai_v2",
)


def _is_openllmetry_scope(scope_name: str) -> bool:
    return scope_name.startswith("opentelemetry.instrumentation.") and not scope_name.startswith(
        _OFFICIAL_SCOPES
    )
