"""A bounded mutation fuzz of the C wire reader against protobuf (upb).

Valid spans and exports are damaged the ways hostile Kafka bytes are: bits flipped, bytes
inserted or cut, varints of more than 64 bits, lengths pointing past the end, invalid
UTF-8, group tags, zero-length keys, values nested past protobuf's depth limit. Whatever
the damage, the C reader reads a span as protobuf reads it or leaves it to protobuf, and
the wire walk gives the rows of a full decode or refuses the export. Fixed seeds keep a
failure reproducible; run under AddressSanitizer this also checks memory safety.
"""

from __future__ import annotations

import random
from contextlib import suppress
from typing import Any

import pytest
from google.protobuf.message import DecodeError
from llmledger_wire import length_fields, read_span, scan_scope
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from benchmarks.ingest.spans import build_message
from llmledger.pipelines.otlp import InvalidExportError, decode_protobuf
from llmledger.pipelines.span_extract import extract, resource_facts
from llmledger.pipelines.span_record import CONTENT_PREFIX_BYTES, record_from_span
from llmledger.pipelines.wire_scan import ScopeBatch, scan_export, scopes_from_request

ROUNDS = 1500
DAMAGE = [
    b"\x00", b"\x7f", b"\x80", b"\xff",
    b"\xff" * 9 + b"\x01", b"\xff" * 10 + b"\x7f", b"\x80" * 11,  # 64-bit edge, overflow, too long
    b"\xff\xff\xff\xff\x0f", b"\xff\xff\xff\xff\xff\xff\xff\x7f",  # lengths past any end
    b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\x80", b"\xf5",  # bad UTF-8
    b"\x0b", b"\x0c", b"\x0e", b"\x0f",  # group tags, invalid wire types
    b"\x0a\x00", b"\x12\x00", b"\x4a\x00", b"\x4a\x02\x0a\x00",  # empty keys, values, attributes
]  # fmt: skip


def varint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    return bytes([*out, number])


def length_delimited(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + varint(len(payload)) + payload


def nested_value(depth: int) -> bytes:
    """An AnyValue of arrays and kvlists `depth` levels deep (protobuf refuses past 100)."""
    value = AnyValue(int_value=3).SerializeToString()
    for level in range(depth):
        if level % 2:  # array_value { values: value }
            value = length_delimited(0x2A, length_delimited(0x0A, value))
        else:  # kvlist_value { values: { key: "k", value: value } }
            key_value = length_delimited(0x0A, b"k") + length_delimited(0x12, value)
            value = length_delimited(0x32, length_delimited(0x0A, key_value))
    return value


VALUES = [
    AnyValue(string_value="chat"),
    AnyValue(string_value=" gpt-4o "),
    AnyValue(string_value="é" * 70),
    AnyValue(int_value=-1),
    AnyValue(int_value=2**63 - 1),
    AnyValue(double_value=12.0),
    AnyValue(double_value=float("nan")),
    AnyValue(bool_value=True),
    AnyValue(bytes_value=b"\xff"),
    AnyValue(string_value="12"),
    AnyValue(array_value=ArrayValue(values=[AnyValue(int_value=1)])),
    AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key="a", value=AnyValue())])),
    AnyValue(),
]
KEYS = [
    "gen_ai.operation.name", "gen_ai.request.model", "gen_ai.provider.name", "llm.model_name",
    "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "llm.is_streaming",
    "gen_ai.prompt.0.content", "openinference.span.kind", "", "k" * 130,
]  # fmt: skip


def seed_span(rng: random.Random) -> bytes:
    attributes = [KeyValue(key="gen_ai.operation.name", value=AnyValue(string_value="chat"))]
    attributes += [
        KeyValue(key=rng.choice(KEYS), value=rng.choice(VALUES)) for _ in range(rng.randint(0, 6))
    ]
    span = Span(
        trace_id=rng.randbytes(16),
        span_id=rng.randbytes(8),
        parent_span_id=rng.choice([b"", rng.randbytes(8)]),
        name="chat",
        start_time_unix_nano=rng.randrange(2**64),
        end_time_unix_nano=rng.choice([0, rng.randrange(2**64)]),
        flags=0x101,
        status=Status(code=Status.STATUS_CODE_ERROR, message="x"),
        events=[Span.Event(name="e", attributes=attributes[:2])],
        links=[Span.Link(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, attributes=attributes[:1])],
        attributes=attributes,
    ).SerializeToString()
    key = rng.choice([b"gen_ai.prompt.0.content", b"gen_ai.usage.input_tokens"])
    depth = rng.choice([0, 0, 31, 33, 99, 120])
    if depth:  # one more attribute, its value nested `depth` levels
        key_value = length_delimited(0x0A, key) + length_delimited(0x12, nested_value(depth))
        span += length_delimited(0x4A, key_value)
    return span


def export_of(spans: list[bytes]) -> bytes:
    scope_spans = length_delimited(0x0A, length_delimited(0x0A, b"scope"))
    scope_spans += b"".join(length_delimited(0x12, span) for span in spans)
    return length_delimited(0x0A, length_delimited(0x12, scope_spans))


def damage(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4])):
        at = rng.randint(0, len(out))
        change = rng.randrange(5)
        if change == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif change == 1:
            out[at:at] = rng.choice(DAMAGE)
        elif change == 2 and out:  # a byte (often a length) replaced by a huge varint
            out[min(at, len(out) - 1) : min(at, len(out) - 1) + 1] = rng.choice(DAMAGE[4:9])
        elif change == 3:
            del out[at : at + rng.randint(1, 12)]
        else:
            del out[at:]
    return bytes(out)


def rows(batches: list[ScopeBatch]) -> list[Any]:
    """The billable spans' rows (a full decode makes every span a candidate)."""
    extracted = (
        extract(record, batch.scope_name, resource_facts(batch.resource))
        for batch in batches
        for record in batch.candidates
    )
    return [row for row in extracted if row is not None]


def check_span(data: bytes) -> None:
    from_bytes = read_span(data, CONTENT_PREFIX_BYTES)
    try:
        span = Span.FromString(data)
    except DecodeError:
        assert from_bytes is None, data  # what protobuf refuses is never read here
        return
    if from_bytes is not None:  # repr: NaN values compare unequal to themselves
        assert repr(from_bytes) == repr(record_from_span(span)), data


def check_export(rng: random.Random, data: bytes) -> None:
    try:
        scanned = rows(scan_export(data))
    except InvalidExportError:
        scanned = None
    try:
        full = rows(scopes_from_request(decode_protobuf(data)))
    except InvalidExportError:
        full = None
    if scanned is not None and full is not None:
        assert repr(scanned) == repr(full), data
    start, end = sorted(rng.randint(-2, len(data) + 2) for _ in range(2))
    for call in (
        lambda: length_fields(data, start, end),
        lambda: scan_scope(data, start, end, (b"", b"\x0a", data[:3]), (b"", b"gen_ai")),
    ):
        with suppress(ValueError, IndexError):  # broken structure, bounds outside the data
            call()


@pytest.mark.parametrize("seed", range(4))
def test_damaged_spans_are_read_as_protobuf_reads_them_or_left_to_it(seed: int) -> None:
    rng = random.Random(seed)
    spans = [seed_span(rng) for _ in range(20)]
    for _ in range(ROUNDS):
        span = damage(rng, rng.choice(spans))
        check_span(span)
        check_export(rng, export_of([span, rng.choice(spans)]))


@pytest.mark.parametrize("seed", range(2))
def test_damaged_exports_scan_to_the_rows_of_a_full_decode_or_are_refused(seed: int) -> None:
    rng = random.Random(seed)
    exports = [build_message(rng, 0, llm_every=2, spans=8)[0] for _ in range(5)]
    for _ in range(ROUNDS):
        check_export(rng, damage(rng, rng.choice(exports)))
