"""llmledger.orchestration: builds the cost warehouse with dbt and schedules it with Dagster.

- `build_warehouse(settings, select=None, full_refresh=False, rebuild_from=None)`: one
  `dbt build` (incremental; price overrides validated first), for the CLI and the demo.
- `prices`: the price catalogue from genai-prices, the curated seed and user overrides.
- `llmledger.orchestration.definitions.defs`: the Dagster code location (dbt assets and
  checks, hourly schedule). Both run dbt through `lib.warehouse_dbt.WarehouseDbt`.
"""

from llmledger.orchestration.warehouse import (
    BuildResult,
    NodeResult,
    WarehouseBuildError,
    build_warehouse,
)

__all__ = ["BuildResult", "NodeResult", "WarehouseBuildError", "build_warehouse"]
