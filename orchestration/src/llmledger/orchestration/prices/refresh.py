"""`llmledger prices refresh`: regenerate the catalogue from the installed genai-prices
package, check the overrides, and write the effective catalogue as CSV for inspection."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.csv as pa_csv

from llmledger.orchestration.prices import catalogue, matching
from llmledger.orchestration.prices.overrides import load_overrides
from llmledger.orchestration.prices.tables import CURATED_SEED, prices_table


@dataclass(frozen=True)
class CatalogueSummary:
    package_version: str
    providers: int
    models: int
    price_rows: int
    overrides: int
    written_to: Path

    def __str__(self) -> str:
        return (
            f"genai-prices {self.package_version}: {self.providers} providers, "
            f"{self.models} models, {self.price_rows} price rows "
            f"({self.overrides} overrides) -> {self.written_to}"
        )


def validate_price_overrides(path: Path | None) -> int:
    """Check the overrides file before dbt runs; raises `PriceOverridesError` naming the
    file and line at fault. Returns how many overrides it holds (0: no file)."""
    return len(load_overrides(path)) if path is not None else 0


def refresh_prices(home: Path, overrides_path: Path | None, seed_dir: Path) -> CatalogueSummary:
    """Regenerate the catalogue (dropping this process's cached copy) and write
    `home/prices/price_catalogue.csv`; the next warehouse build prices with it."""
    catalogue.catalogue_rows.cache_clear()
    matching.model_patterns.cache_clear()
    count = validate_price_overrides(overrides_path)
    table = prices_table(overrides_path, read_curated_seed(seed_dir / CURATED_SEED))
    target = home / "prices" / "price_catalogue.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    pa_csv.write_csv(table, target)
    rows = catalogue.catalogue_rows()
    return CatalogueSummary(
        package_version=catalogue.package_version(),
        providers=len({row.provider for row in rows}),
        models=len({(row.provider, row.model) for row in rows}),
        price_rows=table.num_rows,
        overrides=count,
        written_to=target,
    )


def read_curated_seed(path: Path) -> list[dict[str, Any]]:
    """The seed's rows typed as dbt loads them."""
    with path.open(newline="") as file:
        return [
            {
                **row,
                "is_batch": row["is_batch"] == "true",
                "valid_from": date.fromisoformat(row["valid_from"]),
                "valid_to": date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                "prompt_tokens_above": _int(row.get("prompt_tokens_above")),
                "prompt_tokens_up_to": _int(row.get("prompt_tokens_up_to")),
                **{c: Decimal(row[c]) if row[c] else None for c in catalogue.RATE_COLUMNS},
            }
            for row in csv.DictReader(file)
        ]


def _int(text: str | None) -> int | None:
    return int(text) if text else None
