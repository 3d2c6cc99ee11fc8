"""One `dbt build` over a lake of known calls; every cost is recomputed here in Python.

Each call states which catalogue row should price it; the expected cost is computed with
`Decimal` from that row of seeds/model_prices.csv and the provider's billing rule
(/work/shared/reference/provider-billing.md), then compared exactly with the warehouse.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from llmledger.infra.settings import Settings
from llmledger.orchestration.lib.warehouse_dbt import WAREHOUSE_PROJECT
from llmledger.orchestration.warehouse import BuildResult, build_warehouse

MILLION = Decimal(1_000_000)
UNATTRIBUTED = "(unattributed)"


@dataclass(frozen=True)
class Call:
    call_id: str
    at: datetime
    provider: str
    model: str  # response model
    input: int | None
    output: int | None
    price: tuple[str, str, bool] | None  # expected catalogue (model, tier, batch); None = unpriced
    cache_read: int | None = None
    cache_write: int | None = None
    cache_write_1h: int | None = None
    reasoning: int | None = None
    tier: str | None = None
    batch: bool = False
    feature: str | None = "chat"
    team: str | None = "support"
    user: str | None = "u1"
    usage_missing: bool = False


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


CALLS = (
    Call(
        "a1-01",
        at("2025-11-03"),
        "openai",
        "gpt-4o-mini-2024-07-18",
        12_345,
        678,
        ("gpt-4o-mini", "default", False),
        cache_read=4_096,
    ),
    Call(
        "a2-01",
        at("2025-11-03"),
        "openai",
        "gpt-5-2025-08-07",
        50_000,
        9_000,
        ("gpt-5", "priority", False),
        cache_read=20_000,
        reasoning=6_000,
        tier="priority",
        feature="code-review",
        team="devtools",
        user="u2",
    ),
    Call(
        "a3-01",
        at("2025-11-04"),
        "openai",
        "gpt-5-mini",
        7_777,
        3_333,
        ("gpt-5-mini", "flex", False),
        cache_read=1_024,
        reasoning=2_000,
        tier="flex",
        feature="code-review",
        team="devtools",
        user="u2",
    ),
    Call(
        "a4-01",
        at("2025-11-04"),
        "anthropic",
        "claude-sonnet-4-5-20250929",
        90_000,
        1_500,
        ("claude-sonnet-4-5", "default", False),
        cache_read=40_000,
        cache_write=30_000,
        cache_write_1h=10_000,
        feature="reply-draft",
    ),
    Call(
        "a5-01",
        at("2025-11-04"),
        "anthropic",
        "claude-haiku-4-5",
        3_000,
        700,
        ("claude-haiku-4-5", "default", True),
        cache_read=1_000,
        cache_write=500,
        batch=True,
        feature="summarize",
        team="search",
        user="u3",
    ),
    Call(
        "a6-01",
        at("2025-11-05"),
        "google",
        "gemini-2.5-flash",
        20_000,
        4_000,
        ("gemini-2.5-flash", "default", False),
        cache_read=8_000,
        reasoning=3_000,
        feature="summarize",
        team="search",
        user="u3",
    ),
    Call(
        "a7-01",
        at("2025-11-05"),
        "google",
        "gemini-2.5-pro",
        100_000,
        10_000,
        ("gemini-2.5-pro", "default", True),
        cache_read=60_000,
        batch=True,
        feature="summarize",
        team="search",
        user="u3",
    ),
    Call(
        "b1-01",
        at("2025-06-09", 23),
        "openai",
        "o3-2025-04-16",
        10_000,
        5_000,
        ("o3", "default", False),
        cache_read=2_000,
        reasoning=4_000,
    ),
    Call(
        "b2-01",
        at("2025-06-10", 0),
        "openai",
        "o3-2025-04-16",
        10_000,
        5_000,
        ("o3", "default", False),
        cache_read=2_000,
        reasoning=4_000,
    ),
    Call(
        "c1-01",
        at("2025-11-03"),
        "openai",
        "ft:gpt-4.1-nano-2025-04-14:acme:intent:7fa1c2",
        1_200,
        5,
        None,
        feature="intent-classify",
    ),
    Call(
        "c2-01",
        at("2025-11-05"),
        "openai",
        "ft:gpt-4.1-nano-2025-04-14:acme:intent:7fa1c2",
        800,
        3,
        None,
        feature="intent-classify",
    ),
    Call(
        "d1-01",
        at("2025-11-05"),
        "openai",
        "gpt-4.1",
        2_000,
        300,
        ("gpt-4.1", "default", False),
        feature=None,
        team=None,
        user=None,
    ),
    Call(
        "e1-01",
        at("2025-11-05"),
        "openai",
        "text-embedding-3-small",
        5_000,
        None,
        ("text-embedding-3-small", "default", False),
        feature="search-index",
        team="search",
    ),
    Call(
        "f1-01",
        at("2025-11-05"),
        "openai",
        "gpt-4o",
        None,
        None,
        ("gpt-4o", "default", False),
        usage_missing=True,
    ),
)


def _catalogue() -> list[dict[str, str]]:
    with (WAREHOUSE_PROJECT.project_dir / "seeds" / "model_prices.csv").open() as file:
        return list(csv.DictReader(file))


def _price_row(call: Call) -> dict[str, str]:
    assert call.price is not None
    model, tier, batch = call.price
    day = call.at.date().isoformat()
    (row,) = (
        row
        for row in _catalogue()
        if (row["provider"], row["model"], row["service_tier"]) == (call.provider, model, tier)
        and (row["is_batch"] == "true") == batch
        and row["valid_from"] <= day
        and (not row["valid_to"] or day < row["valid_to"])
    )
    return row


def expected_cost(call: Call) -> Decimal | None:
    """The provider's billing rule, per token class, from the catalogue row's rates."""
    if call.price is None or call.usage_missing:
        return None
    row = _price_row(call)

    def rate(*columns: str) -> Decimal:
        return next(Decimal(row[c]) for c in columns if row[c]) / MILLION

    prompt, read = call.input or 0, call.cache_read or 0
    write, write_1h = call.cache_write or 0, call.cache_write_1h or 0
    output_cost = (call.output or 0) * rate("output_usd_per_mtok")  # reasoning is inside
    if call.provider == "anthropic":
        # Anthropic's own input_tokens excludes cache; our lake's total includes it.
        plain_input = prompt - read - write
        return (
            plain_input * rate("input_usd_per_mtok")
            + (write - write_1h) * rate("cache_write_5m_usd_per_mtok")
            + write_1h * rate("cache_write_1h_usd_per_mtok", "cache_write_5m_usd_per_mtok")
            + read * rate("cache_read_usd_per_mtok")
            + output_cost
        )
    # OpenAI and Gemini: cached tokens are a subset of the prompt, writes are plain input.
    return (
        (prompt - read) * rate("input_usd_per_mtok")
        + read * rate("cache_read_usd_per_mtok", "input_usd_per_mtok")
        + output_cost
    )


def _lake_rows(make_lake_row: Any) -> list[dict[str, Any]]:
    rows = []
    for offset, call in enumerate(CALLS):
        rows.append(
            make_lake_row(
                call.call_id,
                call.at,
                service_name="app",
                provider=call.provider,
                operation="embeddings" if call.output is None else "chat",
                request_model=call.model,
                response_model=call.model,
                input_tokens=call.input,
                cache_read_input_tokens=call.cache_read,
                cache_write_input_tokens=call.cache_write,
                cache_write_1h_input_tokens=call.cache_write_1h,
                output_tokens=call.output,
                reasoning_output_tokens=call.reasoning,
                service_tier=call.tier,
                is_batch=call.batch,
                is_usage_missing=call.usage_missing,
                feature=call.feature,
                team=call.team,
                user_id=call.user,
                kafka_offset=100 + offset,
            )
        )
    return rows


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, write_lake: Any, make_lake_row: Any
) -> Iterator[tuple[BuildResult, duckdb.DuckDBPyConnection, Settings]]:
    root = tmp_path_factory.mktemp("warehouse")
    settings = Settings.from_env({"LLMLEDGER_HOME": str(root / "home")})
    rows = _lake_rows(make_lake_row)
    write_lake(settings.lake, rows)
    # The same span delivered again later (a producer retry) with different counts: the
    # copy with the earliest offset must win.
    redelivered = dict(rows[0], output_tokens=999_999, kafka_offset=5_000)
    write_lake(settings.lake, [redelivered])
    result = build_warehouse(settings)
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        yield result, connection, settings


def _query(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return connection.execute(sql).fetchall()


def test_every_call_costs_exactly_what_the_provider_bills(built: Any) -> None:
    _, connection, _ = built
    costs = dict(_query(connection, "select call_id, cost_usd from fct_llm_calls"))
    assert costs == {call.call_id: expected_cost(call) for call in CALLS}


def test_price_matching_is_recorded_per_call(built: Any) -> None:
    _, connection, _ = built
    matched = {
        call_id: (priced_model, is_priced)
        for call_id, priced_model, is_priced in _query(
            connection, "select call_id, priced_model, is_priced from fct_llm_calls"
        )
    }
    assert matched == {
        call.call_id: (call.price[0] if call.price else None, call.price is not None)
        for call in CALLS
    }
    (price_id,) = _query(connection, "select price_id from fct_llm_calls where call_id = 'b1-01'")
    assert price_id == ("openai/o3/default/standard/2025-04-16",)


def test_costs_are_exact_decimals(built: Any) -> None:
    _, connection, _ = built
    for mart in (
        "fct_llm_calls",
        "cost_by_feature_daily",
        "cost_by_user_daily",
        "cost_by_model_daily",
        "cost_by_team_monthly",
    ):
        (cost_type,) = _query(connection, f"select distinct typeof(cost_usd) from {mart}")
        assert cost_type == ("DECIMAL(38,12)",), mart


def test_a_span_delivered_twice_is_counted_once_with_its_first_copy(built: Any) -> None:
    _, connection, _ = built
    rows = _query(connection, "select output_tokens from fct_llm_calls where call_id = 'a1-01'")
    assert rows == [(CALLS[0].output,)]


def _expected_by(key: Any) -> dict[Any, tuple[int, Decimal | None]]:
    totals: dict[Any, list[Any]] = defaultdict(lambda: [0, None])
    for call in CALLS:
        bucket = totals[key(call)]
        bucket[0] += 1
        cost = expected_cost(call)
        if cost is not None:
            bucket[1] = (bucket[1] or Decimal(0)) + cost
    return {k: (calls, cost) for k, (calls, cost) in totals.items()}


def test_daily_marts_sum_the_calls(built: Any) -> None:
    _, connection, _ = built
    by_feature = {
        (day, feature): (calls, cost)
        for day, feature, calls, cost in _query(
            connection, "select day, feature, calls, cost_usd from cost_by_feature_daily"
        )
    }
    assert by_feature == _expected_by(lambda c: (c.at.date(), c.feature or UNATTRIBUTED))
    by_user = {
        (day, user): (calls, cost)
        for day, user, calls, cost in _query(
            connection, "select day, user_id, calls, cost_usd from cost_by_user_daily"
        )
    }
    assert by_user == _expected_by(lambda c: (c.at.date(), c.user or UNATTRIBUTED))
    by_model = {
        (day, provider, model): (calls, cost)
        for day, provider, model, calls, cost in _query(
            connection,
            "select day, provider, model, calls, cost_usd from cost_by_model_daily",
        )
    }
    # Snapshots roll up under the catalogue model they were priced as.
    assert by_model == _expected_by(
        lambda c: (c.at.date(), c.provider, c.price[0] if c.price else c.model)
    )


def test_monthly_team_shares(built: Any) -> None:
    _, connection, _ = built
    rows = _query(
        connection, "select month, team, calls, cost_usd, share_of_total from cost_by_team_monthly"
    )
    expected = _expected_by(lambda c: (date(c.at.year, c.at.month, 1), c.team or UNATTRIBUTED))
    assert {(month, team): (calls, cost) for month, team, calls, cost, _ in rows} == expected
    month_totals: dict[date, Decimal] = defaultdict(Decimal)
    for (month, _), (_, cost) in expected.items():
        month_totals[month] += cost or 0
    for month, team, _, cost, share in rows:
        assert share == pytest.approx(float(cost / month_totals[month])), (month, team)
    for month in month_totals:
        assert sum(r[4] for r in rows if r[0] == month) == pytest.approx(1.0)


def test_unpriced_models_are_listed_and_warned_about(built: Any) -> None:
    result, connection, _ = built
    unpriced = [call for call in CALLS if call.price is None]
    rows = _query(
        connection,
        "select provider, model, calls, input_tokens, output_tokens, first_seen_at, last_seen_at"
        " from unpriced_models",
    )
    assert rows == [
        (
            "openai",
            unpriced[0].model,
            len(unpriced),
            sum(call.input or 0 for call in unpriced),
            sum(call.output or 0 for call in unpriced),
            min(call.at for call in unpriced).replace(tzinfo=None),
            max(call.at for call in unpriced).replace(tzinfo=None),
        )
    ]
    assert "unpriced_models_is_empty" in {node.name for node in result.warnings}


def test_build_result_reports_rows_per_table(built: Any) -> None:
    result, _, _ = built
    assert result.row_counts["fct_llm_calls"] == len(CALLS)
    assert result.row_counts["model_prices"] == len(_catalogue())
    assert result.elapsed_seconds > 0
    assert f"fct_llm_calls: {len(CALLS)} rows" in str(result)


def test_every_model_and_column_is_documented(built: Any) -> None:
    _, connection, settings = built
    manifest = json.loads((settings.home / "dbt" / "target" / "manifest.json").read_text())
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed"):
            continue
        built_columns = [
            name
            for (name,) in _query(
                connection,
                "select column_name from information_schema.columns"
                f" where table_name = '{node['alias']}'",
            )
        ]
        documented = {name: column["description"] for name, column in node["columns"].items()}
        assert node["description"], node["name"]
        assert set(documented) == set(built_columns), node["name"]
        assert all(documented.values()), node["name"]
