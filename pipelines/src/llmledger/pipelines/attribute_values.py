"""OTLP attribute values as plain Python, and the coercions the normalizer applies.

Emitters disagree on types: token counts usually arrive as `int_value`, but some send
doubles (`12.0`) or strings (`"12"`); flags may be bools, 0/1 or `"true"`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_INT64_MAX = 2**63 - 1  # the lake stores counts as int64


def attribute_values(key_values: Iterable[Any]) -> dict[str, Any]:
    """OTLP `KeyValue`s as plain Python values (the first of duplicate keys wins)."""
    values: dict[str, Any] = {}
    for key_value in key_values:
        if key_value.key not in values:
            values[key_value.key] = plain_value(key_value.value)
    return values


def as_count(value: Any) -> int | None:
    """A non-negative whole number from int, integral double or numeric string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return None
    if isinstance(value, float):
        value = int(value) if value.is_integer() else None
    if isinstance(value, int) and 0 <= value <= _INT64_MAX:
        return value
    return None


def as_text(value: Any) -> str | None:
    """Trimmed non-empty text; numbers become their decimal spelling."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def as_flag(value: Any) -> bool | None:
    """A boolean from a bool, 0/1 or "true"/"false"/"1"/"0"; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return {"true": True, "1": True, "false": False, "0": False}.get(value.strip().lower())
    return None


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
