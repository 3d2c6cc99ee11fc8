"""Types of the C extension; `llmledger.pipelines.span_extract` explains the arguments."""

from collections.abc import Callable
from typing import Any

# trace_id, span_id, parent_span_id, start_time_unix_nano, end_time_unix_nano, keys, values
SpanRecord = tuple[bytes, bytes, bytes, int, int, tuple[str, ...], list[Any]]

def length_fields(data: bytes, start: int, end: int, /) -> list[tuple[int, int, int]]:
    """The length-delimited fields of the message `data[start:end]` as (number, start, end);
    other fields are skipped. Raises ValueError when the structure is broken."""

def scan_scope(
    data: bytes,
    start: int,
    end: int,
    key_patterns: tuple[bytes, ...],
    content_prefixes: tuple[bytes, ...],
    /,
) -> tuple[int, list[bytes], list[SpanRecord | bytes]]:
    """The ScopeSpans `data[start:end]`: its span count, the parts of its `scope` field, and
    its candidate spans (those containing one of `key_patterns`) as records, or as bytes
    when protobuf must decode them. Raises ValueError when the structure is broken."""

def read_span(data: bytes, content_prefixes: tuple[bytes, ...], /) -> SpanRecord | None:
    """A serialized Span read from its bytes, or None when protobuf must decode it.

    Values of keys starting with one of `content_prefixes` are None (never decoded)."""

def extract_row(
    plan: tuple[Any, ...],
    record: SpanRecord,
    resource_facts: tuple[str | None, str | None, str | None],
    rules: tuple[
        dict[str, str],
        dict[str, str],
        Callable[[Any], str | None],
        Callable[[list[Any], Any], None],
        Callable[[str], str],
        Callable[[dict[str, Any]], str],
        int,
    ],
    /,
) -> tuple[tuple[Any, ...], str | None] | None:
    """The span's lake row and token-count problem, or None when it is not billable."""

def as_text(value: Any, /) -> str | None:
    """Trimmed non-empty text; numbers become their decimal spelling."""

def as_count(value: Any, /) -> int | None:
    """A whole number in 0..2**63-1 from an int, integral double or numeric string."""

def as_flag(value: Any, /) -> bool | None:
    """A bool from a bool, 0/1 or "true"/"false"/"1"/"0" (trimmed, any case)."""
