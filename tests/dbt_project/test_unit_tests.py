"""dbt's unit tests (the billing rules, fed fixed rows): the test suite runs them, since the
warehouse builds leave them out (`BUILD_ARGS`)."""

from __future__ import annotations

import json
from pathlib import Path

from llmledger.infra.settings import Settings
from llmledger.orchestration.lib.warehouse_dbt import WarehouseDbt
from llmledger.orchestration.warehouse import build_warehouse


def test_every_dbt_unit_test_passes(tmp_path: Path) -> None:
    settings = Settings.from_env({"LLMLEDGER_HOME": str(tmp_path / "home")})
    # Unit tests read their inputs' column types from the built tables: build them first.
    build = build_warehouse(settings)
    assert not any(node.resource_type == "unit_test" for node in build.nodes)

    dbt = WarehouseDbt.from_settings(settings)
    process = dbt.run(["test", "--select", "test_type:unit"])

    results = json.loads((dbt.target_path / "run_results.json").read_text())["results"]
    statuses = {result["unique_id"]: result["status"] for result in results}
    failing = {node: status for node, status in statuses.items() if status != "pass"}
    assert failing == {}, process.stdout[-3000:]
    assert process.returncode == 0
    # The manifest this very run parsed: every unit test the project declares ran.
    manifest = json.loads((dbt.target_path / "manifest.json").read_text())
    assert set(statuses) == set(manifest["unit_tests"])
    assert len(statuses) >= 11
