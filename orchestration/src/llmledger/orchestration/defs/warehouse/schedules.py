"""When the warehouse is rebuilt."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import build_schedule_from_dbt_selection

from llmledger.orchestration.defs.warehouse.assets import warehouse_dbt_assets

# The lake gains files continuously; hourly keeps the marts at most an hour behind at the
# cost of one ~10 s dbt build.
warehouse_hourly: dg.ScheduleDefinition = build_schedule_from_dbt_selection(
    [warehouse_dbt_assets],
    job_name="warehouse_build",
    cron_schedule="0 * * * *",
    dbt_select="fqn:*",
    schedule_name="warehouse_hourly",
)
