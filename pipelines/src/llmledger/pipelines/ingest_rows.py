"""One Kafka message into lake rows: decode, find the GenAI spans, normalize, set rejects apart.

The consumer's per-message hot path (`ingest_steps` drives it and deals with failures):
`wire_scan` reads only the spans that may be model calls, `span_extract` turns each into
a row, and `rejects` decides which rows cannot be billed as they are.
"""

from __future__ import annotations

from typing import Any

from llmledger.pipelines.lake_writer import Row
from llmledger.pipelines.otlp import decode_json, is_json_kafka_value
from llmledger.pipelines.rejects import reject_reason
from llmledger.pipelines.span_extract import extract, resource_facts
from llmledger.pipelines.wire_scan import ScopeBatch, scan_export, scopes_from_request


def decode_scopes(value: bytes, headers: Any) -> list[ScopeBatch]:
    """The scopes of one message and their candidate spans; `InvalidExportError` if bad."""
    if isinstance(headers, dict):
        headers = list(headers.items())
    if is_json_kafka_value(value, headers):
        # The Collector's otlp_json: rare enough that the full decode is fine.
        return scopes_from_request(decode_json(value))
    return scan_export(value)


def scope_rows(
    scopes: list[ScopeBatch], kafka_columns: tuple[str, int, int]
) -> tuple[list[Row], list[Row]]:
    """Lake rows (with `kafka_columns` appended) and rejected rows (plus their reason)."""
    rows: list[Row] = []
    rejects: list[Row] = []
    for scope in scopes:
        if not scope.candidates:
            continue
        facts = resource_facts(scope.resource)
        scope_name = scope.scope_name
        for record in scope.candidates:
            extracted = extract(record, scope_name, facts)
            if extracted is None:
                continue
            reason = reject_reason(*extracted)
            if reason is None:
                rows.append(extracted[0] + kafka_columns)
            else:
                rejects.append((*extracted[0], *kafka_columns, reason))
    return rows, rejects
