"""The price tables the warehouse reads, as Arrow tables.

dbt's Python models (`stg_prices__*` in the dbt project) call these at build time, so
every build prices with the installed genai-prices data and the current overrides file;
nothing generated is kept in git.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from llmledger.orchestration.prices.catalogue import (
    RATE_COLUMNS,
    PriceRow,
    catalogue_rows,
    package_installed_at,
    package_version,
)
from llmledger.orchestration.prices.matching import model_patterns, provider_aliases
from llmledger.orchestration.prices.merge import apply_overrides
from llmledger.orchestration.prices.overrides import PriceOverride, load_overrides

_RATE = pa.decimal128(18, 12)
PRICES_SCHEMA = pa.schema(
    [
        ("price_id", pa.string()),
        ("provider", pa.string()),
        ("model", pa.string()),
        ("service_tier", pa.string()),
        ("is_batch", pa.bool_()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("prompt_tokens_above", pa.int64()),
        ("prompt_tokens_up_to", pa.int64()),
        *((column, _RATE) for column in RATE_COLUMNS),
        ("source", pa.string()),
        ("price_origin", pa.string()),  # genai-prices, curated or override
        ("package_version", pa.string()),
        ("refreshed_at", pa.timestamp("us")),
    ]
)


CURATED_SEED = "model_prices.csv"


def price_rows(
    overrides_path: Path | None, curated: Sequence[Mapping[str, Any]] = ()
) -> list[PriceRow]:
    """The generated catalogue, corrected by the curated seed rows (hand-checked prices with
    their sources, e.g. batch and priority prices genai-prices only dates from when it
    learnt them), then by the user's overrides file (validated first)."""
    rows = apply_overrides(catalogue_rows(), curated_overrides(curated), f"curated {CURATED_SEED}")
    if overrides_path is None:
        return rows
    return apply_overrides(rows, load_overrides(overrides_path), f"override {overrides_path.name}")


def curated_overrides(seed_rows: Sequence[Mapping[str, Any]]) -> list[PriceOverride]:
    """The dbt seed's rows (as dbt loaded them) as price overrides; `line` is the CSV line."""
    return [
        PriceOverride(
            line=number,
            provider=row["provider"],
            model=row["model"],
            service_tier=row["service_tier"],
            is_batch=bool(row["is_batch"]),
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            rates={c: None if row[c] is None else Decimal(row[c]) for c in RATE_COLUMNS},
            discount_percent=None,
            note=row["source"],
            prompt_tokens_above=row.get("prompt_tokens_above"),
            prompt_tokens_up_to=row.get("prompt_tokens_up_to"),
        )
        for number, row in enumerate(seed_rows, start=2)
    ]


def prices_table(
    overrides_path: Path | None, curated: Sequence[Mapping[str, Any]] = ()
) -> pa.Table:
    # The package's install time, not the build's: a stable provenance, and a catalogue
    # that only changes when the package (or an override) does.
    refreshed_at = package_installed_at()
    records = [
        asdict(row)
        | {
            "price_id": _price_id(row),
            "price_origin": row.source.split(" ", 1)[0],
            "package_version": package_version(),
            "refreshed_at": refreshed_at,
        }
        for row in price_rows(overrides_path, curated)
    ]
    return pa.Table.from_pylist(records, schema=PRICES_SCHEMA)


def _price_id(row: PriceRow) -> str:
    parts = [row.provider, row.model, row.service_tier, "batch" if row.is_batch else "standard"]
    parts.append(row.valid_from.isoformat())
    if row.prompt_tokens_above is not None:
        parts.append(f"above-{row.prompt_tokens_above}")
    return "/".join(parts)


def model_patterns_table(
    overrides_path: Path | None, curated: Sequence[Mapping[str, Any]] = ()
) -> pa.Table:
    """genai-prices' match rules, preceded by exact-name rules for the overrides' own models
    (a fine-tuned or self-hosted model, a snapshot priced apart)."""
    overrides = [*curated_overrides(curated)]
    overrides += load_overrides(overrides_path) if overrides_path else ()
    known = {(p.provider, p.model) for p in model_patterns()}
    records = [asdict(p) for p in model_patterns()]
    for provider, model in _new_models(overrides, known):
        records.append(
            {
                "provider": provider,
                "model": model,
                "model_rank": -1,
                "conjunction": 0,
                "match_kind": "equals",
                "pattern": model.lower(),
                "is_negated": False,
            }
        )
    return pa.Table.from_pylist(records)


def provider_aliases_table(overrides_path: Path | None) -> pa.Table:
    overrides = load_overrides(overrides_path) if overrides_path else ()
    records = [asdict(a) for a in provider_aliases()]
    known = {a.price_provider for a in provider_aliases()}
    for provider in sorted({o.provider for o in overrides} - known):
        alias = {"provider_pattern": f"^{re.escape(provider)}$", "price_provider": provider}
        records.append(alias | {"provider_rank": 0})
    return pa.Table.from_pylist(records)


def _new_models(
    overrides: Sequence[PriceOverride], known: set[tuple[str, str]]
) -> list[tuple[str, str]]:
    found = {(o.provider, o.model) for o in overrides if o.model != "*"} - known
    return sorted(found)
