"""OTLP attribute values as plain Python, and the coercions the normalizer applies.

Emitters disagree on types: token counts usually arrive as `int_value`, but some send
doubles (`12.0`) or strings (`"12"`); flags may be bools, 0/1 or `"true"`. The coercions
run once per attribute value on the consumer's hot path, so they are implemented in C
(`llmledger_wire`) and used from there by the Python rules too:

- `as_count`: a non-negative whole number (at most int64) from an int, an integral
  double or a numeric string (read as float when it has '.', 'e' or 'E'); else None.
- `as_text`: trimmed non-empty text; numbers become their decimal spelling; else None.
- `as_flag`: a bool from a bool, 0/1 or "true"/"false"/"1"/"0" (trimmed, any case).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from llmledger_wire import as_count, as_flag, as_text

__all__ = ["as_count", "as_flag", "as_text", "attribute_values", "plain_value"]


def attribute_values(key_values: Iterable[Any]) -> dict[str, Any]:
    """OTLP `KeyValue`s as plain Python values (the first of duplicate keys wins)."""
    values: dict[str, Any] = {}
    for key_value in key_values:
        if key_value.key not in values:
            values[key_value.key] = plain_value(key_value.value)
    return values


def plain_value(value: Any) -> Any:
    """One OTLP `AnyValue` as plain Python (arrays as lists, kvlists as dicts, bytes as hex)."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [plain_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return attribute_values(value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return None if kind is None else getattr(value, kind)
