"""The warehouse on an empty lake, on a broken lake, and the contracts it relies on."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml  # type: ignore[import-untyped]

from llmledger.infra.settings import Settings
from llmledger.orchestration.lib.warehouse_dbt import WAREHOUSE_PROJECT
from llmledger.orchestration.warehouse import WarehouseBuildError, build_warehouse
from llmledger.pipelines.lake_schema import LLM_CALLS_DATASET, LLM_CALLS_SCHEMA

MARTS = (
    "fct_llm_calls",
    "cost_by_feature_daily",
    "cost_by_user_daily",
    "cost_by_model_daily",
    "cost_by_team_monthly",
    "unpriced_models",
)
DUCKDB_TYPE_OF = {
    pa.string(): "varchar",
    pa.int64(): "bigint",
    pa.int32(): "integer",
    pa.bool_(): "boolean",
    pa.timestamp("us", tz="UTC"): "timestamptz",
}


def _settings(root: Path) -> Settings:
    return Settings.from_env({"LLMLEDGER_HOME": str(root / "home")})


def test_an_empty_lake_builds_empty_marts(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert not settings.lake.exists()

    result = build_warehouse(settings)

    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        for mart in MARTS:
            assert connection.execute(f"select count(*) from {mart}").fetchone() == (0,), mart
    assert result.row_counts["fct_llm_calls"] == 0
    assert result.warnings == ()


def test_a_lake_file_without_the_contract_columns_fails_naming_the_model(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    folder = settings.lake / LLM_CALLS_DATASET / "day=2025-11-03"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"unrelated": [1]}), folder / "otlp_spans-0-0-0.parquet")

    with pytest.raises(WarehouseBuildError, match="stg_lake__llm_calls") as raised:
        build_warehouse(settings, select="stg_lake__llm_calls")

    assert [node.name for node in raised.value.failed_nodes] == ["stg_lake__llm_calls"]


def test_inconsistent_token_counts_are_priced_as_reported_and_warned_about(
    tmp_path: Path, write_lake: Any, make_lake_row: Any
) -> None:
    settings = _settings(tmp_path)
    at = datetime(2025, 11, 3, 12, tzinfo=UTC)
    common = {"provider": "anthropic", "response_model": "claude-sonnet-4-5"}
    write_lake(
        settings.lake,
        [
            make_lake_row("t1-1", at, input_tokens=10, cache_read_input_tokens=20, **common),
            make_lake_row("t2-1", at, output_tokens=5, reasoning_output_tokens=9, **common),
            make_lake_row(
                "t3-1", at, cache_write_input_tokens=1, cache_write_1h_input_tokens=2, **common
            ),
            make_lake_row("t4-1", at, input_tokens=10, output_tokens=5, **common),
        ],
    )

    result = build_warehouse(settings)

    assert result.row_counts["fct_llm_calls"] == 4
    assert {node.name: node.message for node in result.warnings} == {
        "fct_llm_calls_cache_within_input": "Got 1 result, configured to warn if != 0",
        "fct_llm_calls_reasoning_within_output": "Got 1 result, configured to warn if != 0",
        "fct_llm_calls_1h_writes_within_writes": "Got 1 result, configured to warn if != 0",
        # More cache reads than input leaves a negative uncached part, priced as reported.
        "fct_llm_calls_cost_is_not_negative": "Got 1 result, configured to warn if != 0",
    }


def test_the_lake_source_documents_the_lake_schema() -> None:
    """The empty-lake relation is typed from these declarations, so they must match."""
    sources = yaml.safe_load(
        (WAREHOUSE_PROJECT.project_dir / "models" / "staging" / "__sources.yml").read_text()
    )
    (lake,) = (source for source in sources["sources"] if source["name"] == "lake")
    (table,) = (table for table in lake["tables"] if table["name"] == LLM_CALLS_DATASET)
    declared = [(column["name"], column["data_type"]) for column in table["columns"]]
    assert declared == [(field.name, DUCKDB_TYPE_OF[field.type]) for field in LLM_CALLS_SCHEMA]


def test_catalogue_prices_fit_the_warehouse_precision() -> None:
    """The seed loads prices as DECIMAL(18,6): a seventh decimal would be rounded away."""
    with (WAREHOUSE_PROJECT.project_dir / "seeds" / "model_prices.csv").open() as file:
        rows: list[dict[str, Any]] = list(csv.DictReader(file))
    prices = [
        Decimal(value)
        for row in rows
        for column, value in row.items()
        if column.endswith("_usd_per_mtok") and value
    ]
    assert prices
    assert all(price == price.quantize(Decimal("0.000001")) for price in prices)
