"""The C entry points stay memory-safe whatever Python objects their callers hand them:
odd arguments raise, they never make the extension read outside an object."""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any

import pytest
from llmledger_wire import as_flag, as_text, extract_row


class OddStrip(str):
    """A str whose strip() does not give back a str."""

    def strip(self, chars: str | None = None) -> Any:
        return object()


def test_text_of_a_str_subclass_is_trimmed_as_str_trims_it() -> None:
    text = as_text(OddStrip("  gpt-4o "))
    assert type(text) is str
    assert text == "gpt-4o"


def test_flag_of_a_str_subclass_is_read_as_str_reads_it() -> None:
    assert as_flag(OddStrip(" TRUE ")) is True


RULES = (
    {},  # billable operations
    {},  # provider spellings
    lambda raw: None,  # count problem
    lambda slots, raw: None,  # raw usage reader
    encode_basestring_ascii,
    json.dumps,
    10**6,
)


@pytest.mark.parametrize("position", [0, 3, -1], ids=["first", "beyond", "negative"])
def test_a_plan_position_outside_the_record_raises(position: int) -> None:
    # A plan made for other keys than the record's: no operation alias, billable anyway,
    # one attribute left for attributes_json, at a position the record does not have.
    plan = ("otel", (), True, (), (), ((position, "k", '"k":'),), None)
    record = (b"\x01" * 16, b"\x02" * 8, b"", 0, 0, (), [])
    with pytest.raises(IndexError):
        extract_row(plan, record, (None, None, None), RULES)
