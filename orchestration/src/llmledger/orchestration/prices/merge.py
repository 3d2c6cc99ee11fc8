"""Apply overrides (the curated seed, then the user's file) to the generated catalogue.

A discount multiplies the matching rates for the days it covers (several discounts on the
same price multiply); a price replaces every row of its provider, model, service tier and
batch flag for the days and prompt sizes it covers. Rows are cut at the override's dates
and prompt-size bounds, so the rest of a catalogue row keeps its price.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from llmledger.orchestration.prices.catalogue import RATE_COLUMNS, PriceRow
from llmledger.orchestration.prices.overrides import PriceOverride

_NO_TOKENS = -1  # below any prompt size: the lower bound of the base band


def apply_overrides(
    catalogue: Iterable[PriceRow], overrides: Iterable[PriceOverride], origin: str
) -> list[PriceRow]:
    """`origin` names the overrides in each row's `source`, e.g. `price_overrides.csv`."""
    rows = list(catalogue)
    overrides = list(overrides)
    for discount in (o for o in overrides if o.discount_percent is not None):
        rows = [part for row in rows for part in _discounted(row, discount, origin)]
    for price in (o for o in overrides if o.discount_percent is None):
        rows = [part for row in rows for part in _split(row, price)[0]]
        rows.append(_override_row(price, origin))
    return rows


def _band(above: int | None, up_to: int | None) -> tuple[int, float]:
    return (_NO_TOKENS if above is None else above, float("inf") if up_to is None else up_to)


def _split(row: PriceRow, override: PriceOverride) -> tuple[list[PriceRow], PriceRow | None]:
    """The parts of `row` outside the override's days and prompt sizes, and the part inside
    (None when the override does not apply to the row)."""
    provider, model, tier, is_batch = override.key
    row_from, row_to = row.valid_from, row.valid_to or date.max
    from_, to = max(row_from, override.valid_from), min(row_to, override.valid_to or date.max)
    row_low, row_high = _band(row.prompt_tokens_above, row.prompt_tokens_up_to)
    ov_low, ov_high = _band(override.prompt_tokens_above, override.prompt_tokens_up_to)
    low, high = max(row_low, ov_low), min(row_high, ov_high)
    applies = (
        row.provider == provider
        and model in ("*", row.model)
        and tier in (None, row.service_tier)
        and is_batch in (None, row.is_batch)
        and from_ < to
        and low < high
    )
    if not applies:
        return [row], None

    def part(start: date, end: date, lower: float, upper: float) -> PriceRow:
        return replace(
            row,
            valid_from=start,
            valid_to=None if end == date.max else end,
            prompt_tokens_above=None if lower == _NO_TOKENS else int(lower),
            prompt_tokens_up_to=None if upper == float("inf") else int(upper),
        )

    outside = []
    if row_from < from_:
        outside.append(part(row_from, from_, row_low, row_high))
    if to < row_to:
        outside.append(part(to, row_to, row_low, row_high))
    if row_low < low:
        outside.append(part(from_, to, row_low, low))
    if high < row_high:
        outside.append(part(from_, to, high, row_high))
    return outside, part(from_, to, low, high)


def _discounted(row: PriceRow, discount: PriceOverride, origin: str) -> Iterator[PriceRow]:
    outside, inside = _split(row, discount)
    yield from outside
    if inside is None:
        return
    assert discount.discount_percent is not None
    factor = (Decimal(100) - discount.discount_percent) / Decimal(100)
    rates: dict[str, Any] = {}
    for column in RATE_COLUMNS:
        rate = getattr(inside, column)
        rates[column] = None if rate is None else (rate * factor).normalize()
    percent = discount.discount_percent
    yield replace(
        inside, **rates, source=f"{inside.source}, less {percent}% ({origin}:{discount.line})"
    )


def _override_row(price: PriceOverride, origin: str) -> PriceRow:
    note = f" {price.note}" if price.note else ""
    return PriceRow(
        provider=price.provider,
        model=price.model,
        service_tier=price.service_tier or "default",
        is_batch=bool(price.is_batch),
        valid_from=price.valid_from,
        valid_to=price.valid_to,
        prompt_tokens_above=price.prompt_tokens_above,
        prompt_tokens_up_to=price.prompt_tokens_up_to,
        source=f"{origin}:{price.line}{note}",
        **price.rates,  # type: ignore[arg-type]
    )
