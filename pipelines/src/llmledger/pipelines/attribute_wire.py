"""A span's attributes read straight from its protobuf bytes: the GenAI hot path.

Reading a KeyValue through protobuf's Python objects costs several object creations per
attribute; walking the bytes costs about half as much. Only the canonical encoding every
OTLP exporter writes is read here (KeyValue = key then value; AnyValue = one string, bool,
int or double): for anything else (arrays, kvlists, bytes, unknown or repeated fields,
lengths over 16 KB) `span_attributes` returns None and the caller reads the decoded span
instead. Both ways give the same values; `test_normalize_wire_scan` checks it.
"""

from __future__ import annotations

import struct
from typing import Any

_DOUBLE = struct.Struct("<d").unpack_from
_ATTRIBUTE_TAG = 0x4A  # Span.attributes: field 9, length-delimited
_KEY_TAG, _VALUE_TAG = 0x0A, 0x12
_STRING, _BOOL, _INT, _DOUBLE_TAG = 0x0A, 0x10, 0x18, 0x21
_INT64_WRAP = 1 << 64


def span_attributes(data: bytes) -> list[tuple[str, Any]] | None:
    """(key, value) pairs of a serialized Span's attributes in order, or None if unusual."""
    pairs: list[tuple[str, Any]] = []
    position, end = 0, len(data)
    try:
        while position < end:
            tag = data[position]
            if tag >= 0x80:
                return None
            wire_type = tag & 7
            position += 1
            if wire_type == 2:
                length, position = _length(data, position)
                if tag == _ATTRIBUTE_TAG:
                    pair = _key_value(data, position, position + length)
                    if pair is None:
                        return None
                    pairs.append(pair)
                position += length
            elif wire_type == 0:
                while data[position] >= 0x80:
                    position += 1
                position += 1
            elif wire_type in (1, 5):
                position += 8 if wire_type == 1 else 4
            else:
                return None
    except (IndexError, UnicodeDecodeError, struct.error):
        return None
    return pairs if position == end else None


def _length(data: bytes, position: int) -> tuple[int, int]:
    first = data[position]
    if first < 0x80:
        return first, position + 1
    second = data[position + 1]
    if second >= 0x80:
        raise IndexError("length over 16 KB: left to protobuf")
    return (first & 0x7F) | (second << 7), position + 2


def _key_value(data: bytes, start: int, end: int) -> tuple[str, Any] | None:
    # Runs once per attribute of every GenAI span: one-byte lengths are read inline.
    if start == end:
        return "", None  # an empty KeyValue, as protobuf reads it
    key_length = data[start + 1]
    if data[start] != _KEY_TAG or key_length >= 0x80 or start + 2 + key_length > end:
        return None
    position = start + 2 + key_length
    key = data[start + 2 : position].decode()
    if position == end:
        return key, None  # no value: an empty AnyValue
    if data[position] != _VALUE_TAG:
        return None
    value_length = data[position + 1]
    if value_length < 0x80:
        position += 2
    else:
        value_length, position = _length(data, position + 1)
    if position + value_length != end:
        return None
    if value_length == 0:
        return key, None
    kind = data[position]
    if kind == _STRING:
        length = data[position + 1]
        if length < 0x80:
            position += 2
        else:
            length, position = _length(data, position + 1)
        value: Any = data[position : position + length].decode()
        position += length
    elif kind == _INT:
        position += 1
        value = shift = 0
        while True:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
        if value >= 1 << 63:
            value -= _INT64_WRAP  # int64 is two's complement on the wire
    elif kind == _DOUBLE_TAG:
        value = _DOUBLE(data, position + 1)[0]
        position += 9
    elif kind == _BOOL and data[position + 1] in (0, 1):
        value = data[position + 1] == 1
        position += 2
    else:
        return None
    return (key, value) if position == end else None
