"""Build the cost warehouse from the lake: `build_warehouse(settings)` runs `dbt build`
(seeds, models and data tests; dbt's unit tests run with the test suite) and reports what
it built.

Usage
-----
    from llmledger.infra.settings import Settings
    from llmledger.orchestration.warehouse import build_warehouse

    result = build_warehouse(Settings.from_env())
    print(result.elapsed_seconds, result.row_counts["fct_llm_calls"])

Builds are incremental: the call fact and the daily marts rebuild only the days from the
newest built call minus the `lookback_days` dbt var (1) on, plus every day from the earliest
price row added, changed or removed in the catalogue since the last build (so correcting a
price reprices exactly the history it affects on the next build). `rebuild_from=date`
also rebuilds every day from that date on (e.g. spans that arrived later than the
look-back); `full_refresh=True` rebuilds every table from the whole lake (needed after
changing the models' SQL, e.g. a new pricing rule).

A failing model or test raises `WarehouseBuildError` naming the failing nodes; tests with
`severity: warn` (e.g. `unpriced_models_is_empty`) do not fail the build and are listed in
`BuildResult.warnings`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from llmledger.infra.settings import Settings
from llmledger.orchestration.lib.warehouse_dbt import BUILD_ARGS, WarehouseDbt
from llmledger.orchestration.prices.overrides import PriceOverridesError
from llmledger.orchestration.prices.refresh import validate_price_overrides

_FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


@dataclass(frozen=True)
class NodeResult:
    """One dbt node of the build: a seed, model, data test or unit test."""

    unique_id: str  # e.g. "model.llmledger.fct_llm_calls"
    status: str  # dbt's status: success, pass, warn, fail, error, skipped
    message: str | None
    row_count: int | None  # rows of the built table; None for views and tests

    @property
    def resource_type(self) -> str:
        return self.unique_id.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The node's name: a test's id ends with a hash, a unit test's starts with its model."""
        parts = self.unique_id.split(".")
        return parts[-1] if self.resource_type == "unit_test" else parts[2]


@dataclass(frozen=True)
class BuildResult:
    elapsed_seconds: float
    nodes: tuple[NodeResult, ...]

    @property
    def row_counts(self) -> dict[str, int]:
        """Rows per built table (seeds and table models), by node name."""
        return {node.name: node.row_count for node in self.nodes if node.row_count is not None}

    @property
    def warnings(self) -> tuple[NodeResult, ...]:
        return tuple(node for node in self.nodes if node.status == "warn")

    def __str__(self) -> str:
        lines = [f"warehouse built in {self.elapsed_seconds:.1f} s ({len(self.nodes)} dbt nodes)"]
        lines += [f"  {name}: {rows} rows" for name, rows in self.row_counts.items()]
        lines += [f"  warning: {node.name}: {node.message}" for node in self.warnings]
        return "\n".join(lines)


class WarehouseBuildError(RuntimeError):
    """dbt failed; `failed_nodes` lists the nodes that errored or failed."""

    def __init__(self, message: str, failed_nodes: tuple[NodeResult, ...]) -> None:
        super().__init__(message)
        self.failed_nodes = failed_nodes


def build_warehouse(
    settings: Settings,
    *,
    select: str | None = None,
    full_refresh: bool = False,
    rebuild_from: date | None = None,
) -> BuildResult:
    """Run `dbt build` (optionally `--select select`) against `settings.lake` into
    `settings.warehouse`, keeping dbt's artifacts and log under `settings.home / "dbt"`.

    `full_refresh` rebuilds every incremental table from the whole lake; `rebuild_from`
    rebuilds the days from that date on in addition to the usual look-back window."""
    # A broken overrides file fails here, naming its line, before dbt spends a minute.
    try:
        validate_price_overrides(settings.price_overrides)
    except PriceOverridesError as error:
        raise WarehouseBuildError(str(error), failed_nodes=()) from error
    dbt = WarehouseDbt.from_settings(settings)
    args = [*BUILD_ARGS, *(["--select", select] if select else [])]
    if full_refresh:
        args.append("--full-refresh")
    if rebuild_from is not None:
        args += ["--vars", json.dumps({"rebuild_from": rebuild_from.isoformat()})]
    # A stale file from an earlier build would blame the wrong nodes if this one stops early.
    (dbt.target_path / "run_results.json").unlink(missing_ok=True)
    started = time.monotonic()
    process = dbt.run(args)
    succeeded = process.returncode == 0
    elapsed = time.monotonic() - started

    results = _run_results(dbt.target_path / "run_results.json")
    failed = tuple(
        _node(result, None) for result in results if result["status"] in _FAILED_STATUSES
    )
    if failed or not succeeded:
        details = [f"{node.unique_id}: {node.status}: {node.message}" for node in failed]
        # Without failed nodes (e.g. a parse error) the reason is at the end of dbt's output.
        output_tail = "\n".join((process.stdout + process.stderr).strip().splitlines()[-15:])
        raise WarehouseBuildError(
            "dbt build failed\n" + "\n".join(details or [output_tail]), failed
        )
    row_counts = _table_row_counts(settings.warehouse, dbt.target_path)
    nodes = tuple(_node(result, row_counts.get(result["unique_id"])) for result in results)
    return BuildResult(elapsed_seconds=elapsed, nodes=nodes)


def _run_results(path: Path) -> list[dict[str, Any]]:
    # dbt writes no run_results.json when it stops before running nodes (e.g. a parse error).
    if not path.exists():
        return []
    results: list[dict[str, Any]] = json.loads(path.read_text())["results"]
    return results


def _node(result: dict[str, Any], row_count: int | None) -> NodeResult:
    return NodeResult(
        unique_id=result["unique_id"],
        status=result["status"],
        message=result.get("message"),
        row_count=row_count,
    )


def _table_row_counts(warehouse: Path, target_path: Path) -> dict[str, int]:
    """Rows of each seed and table model, by unique id. Views are skipped: counting one
    re-reads the lake."""
    nodes = json.loads((target_path / "manifest.json").read_text())["nodes"]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = set(
            connection.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        )
        counts: dict[str, int] = {}
        for unique_id, node in nodes.items():
            if (node["schema"], node["alias"]) in tables:
                relation = f'"{node["schema"]}"."{node["alias"]}"'
                row = connection.execute(f"select count(*) from {relation}").fetchone()
                counts[unique_id] = int(row[0]) if row else 0
    return counts
