"""Incremental builds give the same warehouse as a full rebuild: new days, spans arriving
late within the look-back, and older spans rebuilt on request with `rebuild_from`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from llmledger.infra.settings import Settings
from llmledger.orchestration.warehouse import build_warehouse

TABLES = (
    "fct_llm_calls",
    "cost_by_feature_daily",
    "cost_by_user_daily",
    "cost_by_model_daily",
    "cost_by_team_monthly",
    "unpriced_models",
    "unit_economics_daily",
    "cache_savings_daily",
    "model_whatif_daily",
    "focus_cost_and_usage",
)
FIRST_DAY = date(2025, 11, 27)  # the history spans a month boundary
MODELS = (
    ("openai", "gpt-4o-mini-2024-07-18"),
    ("anthropic", "claude-sonnet-4-5"),
    ("google", "gemini-2.5-flash"),
    ("openai", "in-house-model"),
)


def _calls(make_lake_row: Any, prefix: str, day: date, count: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        provider, model = MODELS[n % len(MODELS)]
        rows.append(
            make_lake_row(
                f"{prefix}{day:%m%d}{n:03d}-01",
                datetime(day.year, day.month, day.day, n % 24, tzinfo=UTC),
                provider=provider,
                response_model=model,
                input_tokens=1_000 + 37 * n,
                cache_read_input_tokens=100 * (n % 3) or None,
                output_tokens=50 + n,
                feature=("chat", "search", None)[n % 3],
                team=("support", "search")[n % 2],
                user_id=f"u{n % 4}",
                session_id=f"s{n % 5}",
                kafka_offset=n,
            )
        )
    return rows


def _snapshot(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            table: sorted(connection.execute(f"select * from {table}").fetchall(), key=repr)
            for table in TABLES
        }


def _batch_calls(warehouse: Path) -> int:
    """Calls in the last build's batch: stg_lake__llm_calls is a view of the days it read."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (count,) = connection.execute("select count(*) from stg_lake__llm_calls").fetchone() or (0,)
        return int(count)


def test_incremental_builds_equal_a_full_rebuild(
    tmp_path: Path, write_lake: Any, make_lake_row: Any
) -> None:
    settings = Settings.from_env({"LLMLEDGER_HOME": str(tmp_path / "home")})
    history = [FIRST_DAY + timedelta(days=n) for n in range(6)]
    for day in history:
        write_lake(settings.lake, _calls(make_lake_row, "a", day, 12))
    build_warehouse(settings)

    newest = history[-1]
    new_day = newest + timedelta(days=1)
    within_lookback = newest - timedelta(days=1)  # lookback_days = 1
    too_late = history[0]
    write_lake(settings.lake, _calls(make_lake_row, "b", new_day, 9))
    write_lake(settings.lake, _calls(make_lake_row, "c", within_lookback, 2))
    write_lake(settings.lake, _calls(make_lake_row, "d", too_late, 1))
    build_warehouse(settings)

    # Only the look-back window and the new day were read from the lake.
    assert _batch_calls(settings.warehouse) == 2 * 12 + 9 + 2
    incremental = _snapshot(settings.warehouse)
    fact_ids = {row[0] for row in incremental["fct_llm_calls"]}
    assert {f"b{new_day:%m%d}000-01", f"c{within_lookback:%m%d}001-01"} <= fact_ids
    assert f"d{too_late:%m%d}000-01" not in fact_ids  # older than the look-back

    build_warehouse(settings, rebuild_from=too_late)
    rebuilt = _snapshot(settings.warehouse)
    build_warehouse(settings, full_refresh=True)
    full = _snapshot(settings.warehouse)

    assert rebuilt == full
    assert len(full["fct_llm_calls"]) == 6 * 12 + 9 + 2 + 1
    # The incremental fact was the full one minus the span that arrived too late.
    assert incremental["fct_llm_calls"] == [
        row for row in full["fct_llm_calls"] if row[0] != f"d{too_late:%m%d}000-01"
    ]


def test_a_build_without_new_data_changes_nothing(
    tmp_path: Path, write_lake: Any, make_lake_row: Any
) -> None:
    settings = Settings.from_env({"LLMLEDGER_HOME": str(tmp_path / "home")})
    for day in (FIRST_DAY, FIRST_DAY + timedelta(days=5)):
        write_lake(settings.lake, _calls(make_lake_row, "a", day, 8))
    build_warehouse(settings)
    before = _snapshot(settings.warehouse)

    build_warehouse(settings)

    assert _snapshot(settings.warehouse) == before
    # The gap before the newest day keeps the window to that day alone.
    assert _batch_calls(settings.warehouse) == 8
