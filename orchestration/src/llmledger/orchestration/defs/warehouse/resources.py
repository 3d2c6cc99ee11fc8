"""Resources of the warehouse domain, configured from llmledger's settings."""

from __future__ import annotations

from llmledger.infra.settings import Settings
from llmledger.orchestration.lib.warehouse_dbt import WarehouseDbt


def warehouse_resources(settings: Settings) -> dict[str, WarehouseDbt]:
    return {"dbt": WarehouseDbt.from_settings(settings)}
