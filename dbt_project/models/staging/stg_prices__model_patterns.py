"""How reported model names find catalogue models: genai-prices' match rules as RE2 regexes,
plus exact names for models only the curated seed or the overrides file price."""

from pathlib import Path
from typing import Any


def model(dbt: Any, session: Any) -> Any:
    from llmledger.orchestration.prices.table_cache import cached_table

    dbt.config(materialized="table")
    overrides = dbt.config.get("price_overrides") or None
    curated = dbt.ref("model_prices").to_arrow_table().to_pylist()
    path = Path(overrides) if overrides else None

    def build() -> Any:
        from llmledger.orchestration.prices.tables import model_patterns_table

        return model_patterns_table(path, curated)

    # Unchanged inputs (genai-prices release, overrides, seed): the table of an earlier build.
    return cached_table("model_patterns", path, curated, build)
