"""The same calls made under each instrumentation become the same lake rows (issue 4).

Spans go through the OpenTelemetry SDK's own OTLP encoder and then `normalize_span`, as they
would through the gateway and the consumer. Every billable field a peer records must equal
ours; a field the peer does not record (see `test_coverage`) must be absent from its row, not
guessed. Wrapper spans that repeat their children's usage (an `invoke_agent` span, OpenInference
AGENT and CHAIN spans) must yield no row.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Final

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from llmledger.pipelines.normalize import normalize_span

# Lake column -> the coverage field that says whether the instrumentation records it.
COLUMN_FIELDS: Final = {
    "response_model": "response model",
    "input_tokens": "input",
    "cache_read_input_tokens": "cache read",
    "cache_write_input_tokens": "cache write",
    "output_tokens": "output",
    "reasoning_output_tokens": "reasoning",
    "service_tier": "served tier",
}
PEERS: Final = ("official", "openllmetry", "openinference")


def _rows(
    request: ExportTraceServiceRequest, wrapper_scope: str
) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any] | None]]:
    """(start time, row) of each instrumentation span, and the wrapper spans' results."""
    llm_rows, wrapper_results = [], []
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                row = normalize_span(resource_spans.resource, span, scope_spans.scope.name)
                if scope_spans.scope.name == wrapper_scope:
                    wrapper_results.append(row)
                else:
                    assert row is not None, f"{span.name} yielded no row"
                    llm_rows.append((span.start_time_unix_nano, row))
    return sorted(llm_rows, key=lambda pair: pair[0]), wrapper_results


def rows_by_kind(emit: ModuleType, request: ExportTraceServiceRequest) -> dict[str, dict[str, Any]]:
    llm_rows, _ = _rows(request, emit.WRAPPER_SCOPE)
    assert len(llm_rows) == len(emit.CALL_KINDS)
    return {kind: row for kind, (_, row) in zip(emit.CALL_KINDS, llm_rows, strict=True)}


def test_our_rows_carry_exactly_the_usage_the_provider_reported(
    emit: ModuleType, exports: dict[str, ExportTraceServiceRequest]
) -> None:
    usage = emit.USAGE
    expected = {
        "provider": "openai",
        "request_model": emit.MODEL,
        "response_model": emit.RESPONSE_MODEL,
        "input_tokens": usage["input_tokens"],
        "cache_read_input_tokens": usage["cache_read_tokens"],
        "cache_write_input_tokens": usage["cache_write_tokens"],
        "output_tokens": usage["output_tokens"],
        "reasoning_output_tokens": usage["reasoning_tokens"],
        "service_tier": usage["service_tier"],
        "is_usage_missing": False,
        "convention": "llmledger",
    }
    for kind, row in rows_by_kind(emit, exports["llmledger"]).items():
        assert {key: row[key] for key in expected} == expected, kind


@pytest.mark.parametrize("peer", PEERS)
def test_peer_rows_equal_ours_wherever_the_peer_records_the_field(
    peer: str,
    emit: ModuleType,
    coverage_tools: ModuleType,
    exports: dict[str, ExportTraceServiceRequest],
) -> None:
    ours = rows_by_kind(emit, exports["llmledger"])
    theirs = rows_by_kind(emit, exports[peer])
    spans = coverage_tools.llm_spans(exports[peer], emit.WRAPPER_SCOPE)
    by_kind = dict(zip(emit.CALL_KINDS, spans, strict=True))
    recorded = coverage_tools.coverage(by_kind, emit.USAGE, emit.RESPONSE_MODEL)
    for kind in emit.CALL_KINDS:
        assert theirs[kind]["provider"] == ours[kind]["provider"] == "openai"
        for column, field in COLUMN_FIELDS.items():
            if kind in recorded[field]:
                assert theirs[kind][column] == ours[kind][column], (kind, column)
            else:
                assert theirs[kind][column] is None, (kind, column)
        # A call without usage must be countable as such in the warehouse.
        assert theirs[kind]["is_usage_missing"] is (kind not in recorded["input"]), kind


@pytest.mark.parametrize("peer", ("llmledger", *PEERS))
def test_wrapper_spans_repeating_usage_add_no_row(
    peer: str, emit: ModuleType, exports: dict[str, ExportTraceServiceRequest]
) -> None:
    llm_rows, wrapper_results = _rows(exports[peer], emit.WRAPPER_SCOPE)
    assert len(wrapper_results) == 3  # invoke_agent, OpenInference AGENT and CHAIN
    assert wrapper_results == [None, None, None]
    assert len(llm_rows) == len(emit.CALL_KINDS)


@pytest.mark.parametrize("peer", ("llmledger", *PEERS))
def test_attribution_reaches_every_instrumentations_rows(
    peer: str, emit: ModuleType, exports: dict[str, ExportTraceServiceRequest]
) -> None:
    attribution = emit.ATTRIBUTION
    for kind, row in rows_by_kind(emit, exports[peer]).items():
        assert (row["feature"], row["team"], row["user_id"]) == (
            attribution["feature"],
            attribution["team"],
            attribution["user_id"],
        ), kind


EXPECTED_CONVENTIONS: Final = {
    "llmledger": "llmledger",
    "official": "otel_genai",
    "openllmetry": "openllmetry",
    "openinference": "openinference",
}


@pytest.mark.parametrize("peer", list(EXPECTED_CONVENTIONS))
def test_rows_name_the_convention_that_emitted_them(
    peer: str, emit: ModuleType, exports: dict[str, ExportTraceServiceRequest]
) -> None:
    conventions = {row["convention"] for row in rows_by_kind(emit, exports[peer]).values()}
    assert conventions == {EXPECTED_CONVENTIONS[peer]}
