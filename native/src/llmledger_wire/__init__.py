"""The GenAI span normalizer's per-span work, in C (`_wire`): see `llmledger.pipelines`."""

from llmledger_wire._wire import (
    as_count,
    as_flag,
    as_text,
    extract_row,
    length_fields,
    read_span,
    scan_scope,
)

__all__ = [
    "as_count",
    "as_flag",
    "as_text",
    "extract_row",
    "length_fields",
    "read_span",
    "scan_scope",
]
