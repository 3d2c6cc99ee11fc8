"""The Dagster code location loads, validates and schedules the warehouse build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from llmledger.orchestration.definitions import defs


def test_definitions_are_loadable() -> None:
    dg.Definitions.validate_loadable(defs)


def test_the_warehouse_job_runs_hourly() -> None:
    schedule = defs.resolve_schedule_def("warehouse_hourly")
    assert schedule.cron_schedule == "0 * * * *"
    assert schedule.job_name == "warehouse_build"


def test_every_mart_is_an_asset_with_its_dbt_tests_as_checks() -> None:
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"fct_llm_calls", "cost_by_team_monthly", "unpriced_models", "model_prices"} <= keys
    checks = {check.name for check in graph.asset_check_keys}
    assert "unpriced_models_is_empty" in checks


def test_dagster_cli_validates_the_code_location(tmp_path: Path) -> None:
    environment = dict(os.environ, LLMLEDGER_HOME=str(tmp_path), DAGSTER_HOME=str(tmp_path))
    dagster = Path(sys.executable).with_name("dagster")
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "llmledger.orchestration.definitions"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Validation successful" in completed.stdout + completed.stderr
