"""Which catalogue providers price a lake provider's calls: itself first, then the providers
it resells (Azure: OpenAI, Anthropic, ...; Vertex: Anthropic), as genai-prices falls back."""

from pathlib import Path
from typing import Any


def model(dbt: Any, session: Any) -> Any:
    from llmledger.orchestration.prices.tables import provider_aliases_table

    dbt.config(materialized="table")
    overrides = dbt.config.get("price_overrides") or None
    return provider_aliases_table(Path(overrides) if overrides else None)
