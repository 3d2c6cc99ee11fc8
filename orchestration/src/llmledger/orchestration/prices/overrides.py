"""The user's price overrides file: negotiated prices, self-hosted or fine-tuned models, a
percentage off a provider, each with an effective period.

Format (CSV with a header; `#` starts a comment line; only the columns needed):

    provider,model,service_tier,is_batch,valid_from,valid_to,input_usd_per_mtok,
    cache_read_usd_per_mtok,cache_write_5m_usd_per_mtok,cache_write_1h_usd_per_mtok,
    output_usd_per_mtok,discount_percent,note

A row with rates (input and output required) is a price for `provider`/`model` on the
service tier (default `default`) and batch flag (default `false`) from `valid_from` to
`valid_to` (exclusive; empty = open-ended). A row with `discount_percent` and no rates
takes that percentage off the catalogue prices of `model` (`*`: every model of the
provider), on one tier / batch flag or, left empty, all of them.

`load_overrides(path)` validates everything and raises `PriceOverridesError` naming the
file, the line and the problem.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from llmledger.orchestration.prices.catalogue import RATE_COLUMNS

COLUMNS = (
    "provider", "model", "service_tier", "is_batch", "valid_from", "valid_to",
    "prompt_tokens_above", "prompt_tokens_up_to", *RATE_COLUMNS, "discount_percent", "note",
)  # fmt: skip
_NAME = re.compile(r"^[a-z0-9_.\-]+$")
_MAX_RATE = Decimal(1_000_000)


class PriceOverridesError(ValueError):
    """The overrides file is invalid; the message names the file and line."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = path, line, problem


@dataclass(frozen=True)
class PriceOverride:
    """One validated line. `rates` is empty for a discount; None tier/batch = all."""

    line: int
    provider: str
    model: str
    service_tier: str | None
    is_batch: bool | None
    valid_from: date
    valid_to: date | None
    rates: dict[str, Decimal | None]
    discount_percent: Decimal | None
    note: str
    prompt_tokens_above: int | None = None  # a long-context band: prompts above this size
    prompt_tokens_up_to: int | None = None  # ... and at most this size

    @property
    def band(self) -> tuple[int | None, int | None]:
        return (self.prompt_tokens_above, self.prompt_tokens_up_to)

    @property
    def key(self) -> tuple[str, str, str | None, bool | None]:
        return (self.provider, self.model, self.service_tier, self.is_batch)


def load_overrides(path: Path) -> tuple[PriceOverride, ...]:
    """Validated overrides of `path`; a missing file means no overrides."""
    if not path.is_file():
        return ()
    with path.open(newline="", encoding="utf-8") as file:
        lines = [
            (n, line) for n, line in enumerate(file, start=1) if not line.lstrip().startswith("#")
        ]
    reader = csv.reader(line for _, line in lines)
    rows = list(reader)
    if not rows:
        return ()
    header_line, header = lines[0][0], [name.strip().lower() for name in rows[0]]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise PriceOverridesError(path, header_line, f"unknown column(s) {', '.join(unknown)}; "
                                  f"expected some of {', '.join(COLUMNS)}")  # fmt: skip
    for required in ("provider", "model", "valid_from"):
        if required not in header:
            raise PriceOverridesError(path, header_line, f"missing column {required}")
    overrides = []
    for (line, _), values in zip(lines[1:], rows[1:], strict=True):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise PriceOverridesError(path, line, f"{len(values)} values for {len(header)} columns")
        fields = {name: value.strip() for name, value in zip(header, values, strict=True)}
        try:
            overrides.append(_override(line, fields))
        except ValueError as error:
            raise PriceOverridesError(path, line, str(error)) from None
    _reject_overlaps(path, overrides)
    return tuple(overrides)


def _override(line: int, fields: dict[str, str]) -> PriceOverride:
    provider, model = fields["provider"].lower(), fields["model"]
    if not _NAME.match(provider):
        raise ValueError(f"provider {provider!r}: lower-case letters, digits, '.', '_', '-'")
    if not model:
        raise ValueError("model is empty")
    rates = {column: _rate(fields, column) for column in RATE_COLUMNS}
    discount = _decimal(fields, "discount_percent")
    valid_from = _date(fields, "valid_from")
    valid_to = _date(fields, "valid_to") if fields.get("valid_to") else None
    if valid_from is None:
        raise ValueError("valid_from is required (YYYY-MM-DD)")
    if valid_to is not None and valid_to <= valid_from:
        raise ValueError(f"valid_to {valid_to} must be after valid_from {valid_from}")
    tier = fields.get("service_tier", "").lower() or None
    if tier is not None and not _NAME.match(tier):
        raise ValueError(f"service_tier {tier!r} is not a tier name")
    is_batch = _bool(fields.get("is_batch", ""))
    band = (_count(fields, "prompt_tokens_above"), _count(fields, "prompt_tokens_up_to"))
    if None not in band and band[1] <= band[0]:  # type: ignore[operator]
        raise ValueError("prompt_tokens_up_to must be above prompt_tokens_above")
    if discount is not None:
        if any(rate is not None for rate in rates.values()):
            raise ValueError("a row sets either rates or discount_percent, not both")
        if not Decimal(0) < discount <= Decimal(100):
            raise ValueError(f"discount_percent {discount} must be above 0 and at most 100")
        return PriceOverride(line, provider, model, tier, is_batch, valid_from, valid_to,
                             {}, discount, fields.get("note", ""), *band)  # fmt: skip
    if model == "*":
        raise ValueError("model '*' (every model) is only allowed with discount_percent")
    for required in ("input_usd_per_mtok", "output_usd_per_mtok"):
        if rates[required] is None:
            raise ValueError(f"{required} is required for a price (or set discount_percent)")
    return PriceOverride(line, provider, model, tier or "default", bool(is_batch), valid_from,
                         valid_to, rates, None, fields.get("note", ""), *band)  # fmt: skip


def _decimal(fields: dict[str, str], column: str) -> Decimal | None:
    text = fields.get(column, "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{column} {text!r} is not a decimal number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{column} {text!r} must be a non-negative number")
    return value


def _rate(fields: dict[str, str], column: str) -> Decimal | None:
    value = _decimal(fields, column)
    if value is not None and (value >= _MAX_RATE or value.as_tuple().exponent < -12):  # type: ignore[operator]
        raise ValueError(f"{column} {value} must be below 1,000,000 with at most 12 decimals")
    return value


def _count(fields: dict[str, str], column: str) -> int | None:
    text = fields.get(column, "")
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{column} {text!r} must be a whole number of tokens")
    return int(text)


def _date(fields: dict[str, str], column: str) -> date | None:
    text = fields.get(column, "")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a date (YYYY-MM-DD)") from None


def _bool(text: str) -> bool | None:
    lowered = text.lower()
    if lowered in ("", "*"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError(f"is_batch {text!r} must be true or false")


def _reject_overlaps(path: Path, overrides: list[PriceOverride]) -> None:
    # Two rows for the same prices and days would make the price depend on row order.
    seen: dict[tuple[object, ...], list[PriceOverride]] = {}
    for override in overrides:
        kind = (override.discount_percent is None, *override.key, *override.band)
        for other in seen.get(kind, []):
            if override.valid_from < (other.valid_to or date.max) and other.valid_from < (
                override.valid_to or date.max
            ):
                raise PriceOverridesError(
                    path, override.line, f"overlaps line {other.line} for the same prices"
                )
        seen.setdefault(kind, []).append(override)
