"""The price catalogue, generated at build time by llmledger.orchestration.prices from the
installed genai-prices package, corrected by the curated seed and the user's overrides file
(config `price_overrides`; empty: none)."""

from pathlib import Path
from typing import Any


def model(dbt: Any, session: Any) -> Any:
    from llmledger.orchestration.prices.table_cache import cached_table

    dbt.config(materialized="table")
    overrides = dbt.config.get("price_overrides") or None
    curated = dbt.ref("model_prices").to_arrow_table().to_pylist()
    path = Path(overrides) if overrides else None

    def build() -> Any:
        from llmledger.orchestration.prices.tables import prices_table

        return prices_table(path, curated)

    # Unchanged inputs (genai-prices release, overrides, seed): the table of an earlier build.
    return cached_table("prices", path, curated, build)
