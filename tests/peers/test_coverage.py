"""Which cost fields each OpenAI instrumentation records, measured on real SDK calls.

The expectation below is the README's coverage table as data: if an instrumentation's release
changes what it records, this test fails and the table must be updated with it. Print the
table with ``pytest tests/peers -k markdown -s``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Final

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

LABELS: Final = {
    "llmledger": "llmledger",
    "official": "opentelemetry-instrumentation-genai-openai 1.3b0 (official)",
    "openllmetry": "opentelemetry-instrumentation-openai 0.62.4 (OpenLLMetry)",
    "openinference": "openinference-instrumentation-openai 0.1.66",
}
ALL: Final = frozenset({"non_streaming", "stream", "stream_include_usage"})
WHEN_USAGE_SENT: Final = frozenset({"non_streaming", "stream_include_usage"})
NON_STREAMING: Final = frozenset({"non_streaming"})
NEVER: Final[frozenset[str]] = frozenset()

# field -> the call kinds whose span records it (the app never asks for include_usage in
# "stream"; only llmledger obtains usage there, by requesting it and hiding the extra chunk).
EXPECTED_COVERAGE: Final = {
    "llmledger": {
        "input": ALL,
        "cache read": ALL,
        "cache write": ALL,
        "output": ALL,
        "reasoning": ALL,
        "served tier": ALL,
        "response model": ALL,
    },
    "official": {
        "input": WHEN_USAGE_SENT,
        "cache read": WHEN_USAGE_SENT,
        "cache write": WHEN_USAGE_SENT,
        "output": WHEN_USAGE_SENT,
        "reasoning": WHEN_USAGE_SENT,
        "served tier": ALL,
        "response model": ALL,
    },
    "openllmetry": {
        "input": WHEN_USAGE_SENT,
        "cache read": WHEN_USAGE_SENT,
        "cache write": NEVER,
        "output": WHEN_USAGE_SENT,
        "reasoning": NON_STREAMING,
        "served tier": NON_STREAMING,
        "response model": ALL,
    },
    "openinference": {
        "input": WHEN_USAGE_SENT,
        "cache read": WHEN_USAGE_SENT,
        "cache write": WHEN_USAGE_SENT,
        "output": WHEN_USAGE_SENT,
        "reasoning": WHEN_USAGE_SENT,
        "served tier": NEVER,
        "response model": ALL,
    },
}
EXPECTED_CONTENT_BY_DEFAULT: Final = {
    "llmledger": False,
    "official": False,
    "openllmetry": True,
    "openinference": True,
}


def observed_coverage(
    emit: ModuleType, tools: ModuleType, request: ExportTraceServiceRequest
) -> dict[str, frozenset[str]]:
    spans = tools.llm_spans(request, emit.WRAPPER_SCOPE)
    assert len(spans) == len(emit.CALL_KINDS), [span.name for span in spans]
    by_kind = dict(zip(emit.CALL_KINDS, spans, strict=True))
    result: dict[str, frozenset[str]] = tools.coverage(by_kind, emit.USAGE, emit.RESPONSE_MODEL)
    return result


@pytest.mark.parametrize("peer", list(LABELS))
def test_cost_fields_recorded_match_the_documented_table(
    peer: str,
    emit: ModuleType,
    coverage_tools: ModuleType,
    exports: dict[str, ExportTraceServiceRequest],
) -> None:
    assert observed_coverage(emit, coverage_tools, exports[peer]) == EXPECTED_COVERAGE[peer]


@pytest.mark.parametrize("peer", list(LABELS))
def test_prompt_content_recorded_by_default_matches_the_table(
    peer: str,
    emit: ModuleType,
    coverage_tools: ModuleType,
    exports: dict[str, ExportTraceServiceRequest],
) -> None:
    spans = coverage_tools.llm_spans(exports[peer], emit.WRAPPER_SCOPE)
    captured = any(coverage_tools.captures_content(span, emit.PROMPT_MARKER) for span in spans)
    assert captured is EXPECTED_CONTENT_BY_DEFAULT[peer]


def test_markdown_table_is_built_from_the_measurements(
    emit: ModuleType,
    coverage_tools: ModuleType,
    exports: dict[str, ExportTraceServiceRequest],
) -> None:
    coverages = {
        peer: observed_coverage(emit, coverage_tools, request) for peer, request in exports.items()
    }
    content = {
        peer: any(
            coverage_tools.captures_content(span, emit.PROMPT_MARKER)
            for span in coverage_tools.llm_spans(request, emit.WRAPPER_SCOPE)
        )
        for peer, request in exports.items()
    }
    table = coverage_tools.markdown_table(LABELS, coverages, content)
    print("\n" + table)
    rows = table.splitlines()
    assert len(rows) == 2 + len(LABELS) + 2  # header, rule, one row each, blank, footnote
    assert rows[2].startswith("| llmledger | yes | yes | yes | yes | yes | yes | yes | no |")
