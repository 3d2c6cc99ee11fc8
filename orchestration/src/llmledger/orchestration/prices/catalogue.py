"""The price catalogue, generated from the installed `genai-prices` package.

genai-prices describes each model with conditional prices (start dates), request-context
variants (service tier, batch) and threshold tiers. `catalogue_rows()` flattens that into
one row per provider, model, service tier, batch flag, validity period and prompt-size
band, with flat per-million rates, so the warehouse prices a call with a plain as-of join.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from genai_prices import data as genai_data
from genai_prices import types as gp
from genai_prices.data import providers as genai_providers

SOURCE = "genai-prices"
EPOCH = date(1970, 1, 1)
"""genai-prices applies a model's first price to any earlier call; so does the catalogue."""
ANTHROPIC_LONG_CONTEXT_RETIRED = date(2026, 4, 30)
_SONNET_4_WITH_LONG_CONTEXT_BETA = re.compile(r"sonnet-4(-5)?(?!-?[0-9.])")
_DATE_SUFFIX = re.compile(r"[-@]\d{8}")
_RATE_KEYS = {
    "input_usd_per_mtok": "input_mtok",
    "cache_read_usd_per_mtok": "cache_read_mtok",
    "cache_write_5m_usd_per_mtok": "cache_write_mtok",
    "cache_write_1h_usd_per_mtok": "cache_write_1h_mtok",
    "output_usd_per_mtok": "output_mtok",
}
RATE_COLUMNS = tuple(_RATE_KEYS)
_RATE_SCALE = Decimal("1e-12")  # float-derived rates (openrouter) carry 18 digits


@dataclass(frozen=True)
class PriceRow:
    """One flat price: rates in USD per million tokens, NULL cache rates bill as input."""

    provider: str
    model: str
    service_tier: str
    is_batch: bool
    valid_from: date
    valid_to: date | None
    prompt_tokens_above: int | None  # the band applies when the whole prompt is larger
    prompt_tokens_up_to: int | None  # ... and at most this large (NULL: unbounded)
    input_usd_per_mtok: Decimal
    cache_read_usd_per_mtok: Decimal | None
    cache_write_5m_usd_per_mtok: Decimal | None
    cache_write_1h_usd_per_mtok: Decimal | None
    output_usd_per_mtok: Decimal
    source: str


def package_version() -> str:
    return version("genai-prices")


def package_installed_at() -> datetime:
    """When the installed genai-prices data was written (UTC, naive): the catalogue's
    refresh time, since upgrading the package is what refreshes it."""
    data_file = Path(genai_data.__file__)
    return datetime.fromtimestamp(data_file.stat().st_mtime, UTC).replace(tzinfo=None)


@lru_cache(maxsize=1)
def catalogue_rows() -> tuple[PriceRow, ...]:
    """Every price row of the installed genai-prices data (cached per process)."""
    source = f"{SOURCE} {package_version()}"
    rows: list[PriceRow] = []
    for provider in genai_providers:
        for model in provider.models:
            rows.extend(_merge_unchanged_periods(_model_rows(provider.id, model, source)))
    return tuple(rows)


def _merge_unchanged_periods(rows: Iterator[PriceRow]) -> list[PriceRow]:
    """A variant's start date splits every row of the model; where nothing changed, the
    periods are joined again so a price row means a price."""
    merged: list[PriceRow] = []
    open_rows: dict[tuple[object, ...], int] = {}
    for row in rows:
        key = (row.service_tier, row.is_batch, row.prompt_tokens_above, row.prompt_tokens_up_to)
        previous = merged[open_rows[key]] if key in open_rows else None
        if previous and previous.valid_to == row.valid_from and _same_rates(previous, row):
            merged[open_rows[key]] = replace(previous, valid_to=row.valid_to)
        else:
            open_rows[key] = len(merged)
            merged.append(row)
    return merged


def _same_rates(left: PriceRow, right: PriceRow) -> bool:
    return all(getattr(left, c) == getattr(right, c) for c in RATE_COLUMNS)


def _model_rows(provider: str, model: gp.ModelInfo, source: str) -> Iterator[PriceRow]:
    variants = model.price_variants or []
    tiers = {"default"} | {v.when["service_tier"] for v in variants if "service_tier" in v.when}
    batch_flags = [False] + [True] * any(v.when.get("processing") == "batch" for v in variants)
    starts = sorted({EPOCH} | set(_start_dates(model)))
    for tier in sorted(tiers):
        for is_batch in batch_flags:
            context = {"service_tier": tier} | ({"processing": "batch"} if is_batch else {})
            for valid_from, valid_to in zip(starts, [*starts[1:], None], strict=True):
                # Noon: date constraints only look at the day; time-of-day (off-peak) prices
                # are not modelled and noon is within every provider's standard hours.
                prices = model.get_prices(datetime.combine(valid_from, time(12), UTC), context)
                # Models billed only per request, image or audio have no token price;
                # a missing output price means output is free (embeddings).
                if prices.input_mtok is None:
                    continue
                for lower, upper, rates in _bands(prices):
                    row = PriceRow(
                        provider, model.id, tier, is_batch, valid_from, valid_to, lower, upper,
                        **rates, source=source,
                    )  # fmt: skip
                    yield from _retire_long_context(row)


def _start_dates(model: gp.ModelInfo) -> Iterator[date]:
    conditionals = model.prices if isinstance(model.prices, list) else []
    for constraint in [c.constraint for c in conditionals] + [
        v.constraint for v in model.price_variants or []
    ]:
        if isinstance(constraint, gp.StartDateConstraint):
            yield constraint.start_date


def _bands(prices: gp.ModelPrice) -> Iterator[tuple[int | None, int | None, dict[str, Any]]]:
    """Split threshold tiers into prompt-size bands: crossing a threshold reprices the
    whole request, so each band is a flat price."""
    values = {column: getattr(prices, key) for column, key in _RATE_KEYS.items()}
    thresholds = sorted(
        {t.start for v in values.values() if isinstance(v, gp.TieredPrices) for t in v.tiers}
    )
    lowers: list[int | None] = [None, *thresholds]
    uppers: list[int | None] = [*thresholds, None]
    for lower, upper in zip(lowers, uppers, strict=True):
        rates = {c: _rate_in_band(v, lower) for c, v in values.items()}
        yield (
            lower,
            upper,
            rates | {"output_usd_per_mtok": rates["output_usd_per_mtok"] or Decimal(0)},
        )


def _rate_in_band(value: Decimal | gp.TieredPrices | None, lower: int | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, gp.TieredPrices):
        rate = value.base
        for tier in value.tiers:
            if lower is not None and lower >= tier.start:
                rate = tier.price
        value = rate
    exponent = value.as_tuple().exponent
    return (
        value.quantize(_RATE_SCALE).normalize()
        if isinstance(exponent, int) and exponent < -12
        else value
    )


def _retire_long_context(row: PriceRow) -> Iterator[PriceRow]:
    """Anthropic retired the Sonnet 4 / 4.5 long-context surcharge on 2026-04-30 (genai-prices
    0.2.3 still applies it): from then on the base band covers every prompt size."""
    is_sonnet_4 = _SONNET_4_WITH_LONG_CONTEXT_BETA.search(_DATE_SUFFIX.sub("", row.model))
    has_bands = row.prompt_tokens_above is not None or row.prompt_tokens_up_to is not None
    if (
        not (is_sonnet_4 and has_bands)
        or (row.valid_to or date.max) <= ANTHROPIC_LONG_CONTEXT_RETIRED
    ):
        yield row
        return
    if row.valid_from < ANTHROPIC_LONG_CONTEXT_RETIRED:
        yield replace(row, valid_to=ANTHROPIC_LONG_CONTEXT_RETIRED)
    if row.prompt_tokens_above is None:  # the base band, now unbounded
        yield replace(
            row,
            valid_from=max(row.valid_from, ANTHROPIC_LONG_CONTEXT_RETIRED),
            prompt_tokens_up_to=None,
            source=f"{row.source} (long-context tier retired {ANTHROPIC_LONG_CONTEXT_RETIRED})",
        )
