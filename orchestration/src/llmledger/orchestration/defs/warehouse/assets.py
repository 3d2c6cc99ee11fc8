"""Every dbt seed, model and test of the warehouse as Dagster assets and asset checks.

No `from __future__ import annotations` here: Dagster inspects the real annotation types of
the asset function (context and resources).
"""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, dbt_assets

from llmledger.infra.settings import Settings
from llmledger.orchestration.lib.warehouse_dbt import (
    BUILD_ARGS,
    WAREHOUSE_PROJECT,
    WarehouseDbt,
    prepare_manifest,
)


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups the dbt assets under `warehouse` in the asset graph."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "warehouse"


@dbt_assets(
    manifest=prepare_manifest(Settings.from_env()),
    project=WAREHOUSE_PROJECT,
    dagster_dbt_translator=WarehouseTranslator(),
)
def warehouse_dbt_assets(context: dg.AssetExecutionContext, dbt: WarehouseDbt) -> Iterator[Any]:
    """`dbt build` of the selected models: seeds, models and data tests."""
    yield from dbt.cli(list(BUILD_ARGS), context=context).stream()
