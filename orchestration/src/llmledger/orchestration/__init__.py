"""llmledger.orchestration: builds the cost warehouse with dbt and schedules it with Dagster.

- `build_warehouse(settings, select=None, full_refresh=False, rebuild_from=None)`: one
  `dbt build` (incremental; price overrides validated first), for the CLI and the demo.
- `prices`: the price catalogue from genai-prices, the curated seed and user overrides.
- `llmledger.orchestration.definitions.defs`: the Dagster code location (dbt assets and
  checks, hourly schedule). Both run dbt through `lib.warehouse_dbt.WarehouseDbt`.

The names below are imported on first use: the warehouse's dbt Python models import
`prices` inside every dbt run, and loading Dagster for them would add seconds to each build.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmledger.orchestration.warehouse import (
        BuildResult,
        NodeResult,
        WarehouseBuildError,
        build_warehouse,
    )

__all__ = ["BuildResult", "NodeResult", "WarehouseBuildError", "build_warehouse"]


def __getattr__(name: str) -> object:
    if name in __all__:
        return getattr(importlib.import_module("llmledger.orchestration.warehouse"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
