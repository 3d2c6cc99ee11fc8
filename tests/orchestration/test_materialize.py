"""Materializing the dbt assets builds the warehouse from a lake, like the CLI does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from llmledger.infra.settings import Settings
from llmledger.orchestration.defs.warehouse.assets import warehouse_dbt_assets
from llmledger.orchestration.lib.warehouse_dbt import WarehouseDbt
from llmledger.pipelines.lake_schema import LLM_CALLS_DATASET, LLM_CALLS_SCHEMA


def _write_tiny_lake(lake: Path) -> None:
    base = dict.fromkeys(LLM_CALLS_SCHEMA.names) | {
        "trace_id": "t1",
        "started_at": datetime(2025, 11, 3, 9, tzinfo=UTC),
        "provider": "openai",
        "input_tokens": 1_000,
        "output_tokens": 100,
        "kafka_topic": "otlp_spans",
        "kafka_partition": 0,
    }
    rows = [
        base
        | {"call_id": "t1-s1", "span_id": "s1", "response_model": "gpt-4o-mini", "kafka_offset": 0},
        base
        | {
            "call_id": "t1-s2",
            "span_id": "s2",
            "response_model": "in-house-model",
            "kafka_offset": 1,
        },
    ]
    folder = lake / LLM_CALLS_DATASET / "day=2025-11-03"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=LLM_CALLS_SCHEMA), folder / "p-0-0-1.parquet")


def test_materializing_the_dbt_assets_builds_the_marts(tmp_path: Path) -> None:
    settings = Settings.from_env({"LLMLEDGER_HOME": str(tmp_path)})
    _write_tiny_lake(settings.lake)

    result = dg.materialize(
        [warehouse_dbt_assets],
        resources={"dbt": WarehouseDbt.from_settings(settings)},
        instance=dg.DagsterInstance.ephemeral(),
    )

    assert result.success
    materialized = {
        str(event.asset_key.to_user_string() if event.asset_key else None)
        for event in result.get_asset_materialization_events()
    }
    assert {"fct_llm_calls", "cost_by_model_daily", "unpriced_models"} <= materialized
    checks = {
        evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()
    }
    # The unknown model makes the WARN check fail without failing the run.
    assert checks["unpriced_models_is_empty"].passed is False
    assert checks["unpriced_models_is_empty"].severity == dg.AssetCheckSeverity.WARN
    assert checks["unique_fct_llm_calls_call_id"].passed is True
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        priced = connection.execute(
            "select call_id, is_priced from fct_llm_calls order by call_id"
        ).fetchall()
    assert priced == [("t1-s1", True), ("t1-s2", False)]
