"""Which catalogue providers price a lake provider's calls: itself first, then the providers
it resells (Azure: OpenAI, Anthropic, ...; Vertex: Anthropic), as genai-prices falls back."""

from pathlib import Path
from typing import Any


def model(dbt: Any, session: Any) -> Any:
    from llmledger.orchestration.prices.table_cache import cached_table

    dbt.config(materialized="table")
    overrides = dbt.config.get("price_overrides") or None
    path = Path(overrides) if overrides else None

    def build() -> Any:
        from llmledger.orchestration.prices.tables import provider_aliases_table

        return provider_aliases_table(path)

    # Unchanged inputs (genai-prices release, overrides): the table of an earlier build.
    return cached_table("provider_aliases", path, None, build)
