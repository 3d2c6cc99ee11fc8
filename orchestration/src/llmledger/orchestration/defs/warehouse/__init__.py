"""The cost warehouse: dbt seeds, models and tests, rebuilt every hour."""

from __future__ import annotations

import dagster as dg

from llmledger.infra.settings import Settings
from llmledger.orchestration.defs.warehouse.assets import warehouse_dbt_assets
from llmledger.orchestration.defs.warehouse.resources import warehouse_resources
from llmledger.orchestration.defs.warehouse.schedules import warehouse_hourly

defs = dg.Definitions(
    assets=[warehouse_dbt_assets],
    schedules=[warehouse_hourly],
    resources=warehouse_resources(Settings.from_env()),
)
