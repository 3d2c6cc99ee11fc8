"""Spans that are model calls but cannot be billed as they are: the rejects dataset.

A span whose values are impossible is not priced (it would put a wrong number in the
ledger) and not dropped (the money was probably spent): it is written to
`<lake>/rejects/` with the reason, counted in `IngestStats.rows_rejected`, and visible in
the ingest status. `normalize_span` itself still returns such spans (unusable counts
NULL, kept in `attributes_json`); this check runs on its output in the consumer.
"""

from __future__ import annotations

from typing import Any, Final

from llmledger.pipelines.attribute_values import as_count

# No single model call reads or writes 100 million tokens; a larger count is corrupt data.
MAX_PLAUSIBLE_TOKENS: Final = 100_000_000
NEGATIVE_COUNT: Final = "negative_token_count"  # a token count below zero
ABSURD_COUNT: Final = "absurd_token_count"  # above MAX_PLAUSIBLE_TOKENS or int64

MISSING_MODEL: Final = "missing_model"  # neither a request nor a response model: no price
CACHE_EXCEEDS_INPUT: Final = "cache_exceeds_input"  # cache read + write > input tokens
REASONING_EXCEEDS_OUTPUT: Final = "reasoning_exceeds_output"
CACHE_1H_EXCEEDS_CACHE_WRITE: Final = "cache_1h_exceeds_cache_write"
REASONS: Final = (
    NEGATIVE_COUNT,
    ABSURD_COUNT,
    MISSING_MODEL,
    CACHE_EXCEEDS_INPUT,
    REASONING_EXCEEDS_OUTPUT,
    CACHE_1H_EXCEEDS_CACHE_WRITE,
)

# Positions in `span_extract.extract`'s values (the lake's column order).
_REQUEST_MODEL, _RESPONSE_MODEL = 9, 10
_INPUT, _CACHE_READ, _CACHE_WRITE, _CACHE_WRITE_1H, _OUTPUT, _REASONING = range(12, 18)


def reject_reason(values: tuple[Any, ...], count_problem: str | None) -> str | None:
    """Why a normalized span cannot be billed, or None when it can."""
    if count_problem is not None:
        return count_problem
    if values[_REQUEST_MODEL] is None and values[_RESPONSE_MODEL] is None:
        return MISSING_MODEL
    input_tokens, output_tokens = values[_INPUT], values[_OUTPUT]
    cache_write = values[_CACHE_WRITE]
    if input_tokens is not None and (values[_CACHE_READ] or 0) + (cache_write or 0) > input_tokens:
        return CACHE_EXCEEDS_INPUT
    reasoning = values[_REASONING]
    if output_tokens is not None and reasoning is not None and reasoning > output_tokens:
        return REASONING_EXCEEDS_OUTPUT
    cache_1h = values[_CACHE_WRITE_1H]
    if cache_1h is not None and cache_1h > (cache_write or 0):
        return CACHE_1H_EXCEEDS_CACHE_WRITE
    return None


def count_problem(raw: Any) -> str | None:
    """NEGATIVE_COUNT or ABSURD_COUNT for an impossible token-count attribute value."""
    coerced = as_count(raw)
    if coerced is not None:
        return ABSURD_COUNT if coerced > MAX_PLAUSIBLE_TOKENS else None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        number = float(raw)
    except ValueError:
        return None  # not a number at all: unusable, kept in attributes_json
    if number < 0:
        return NEGATIVE_COUNT
    return ABSURD_COUNT if number > MAX_PLAUSIBLE_TOKENS else None
