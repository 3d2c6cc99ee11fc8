"""The unit-economics, cache-savings, what-if and FOCUS marts over a lake of known calls,
each number recomputed here with `Decimal` from seeds/model_prices.csv."""

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
import yaml  # type: ignore[import-untyped]

from llmledger.infra.settings import Settings
from llmledger.orchestration.lib.warehouse_dbt import WAREHOUSE_PROJECT
from llmledger.orchestration.warehouse import build_warehouse

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Call:
    call_id: str
    day: date
    provider: str
    model: str  # as reported, possibly a dated snapshot
    priced_as: str | None  # catalogue model; None = not in the catalogue
    input: int
    output: int
    cache_read: int = 0
    cache_write: int = 0
    cache_write_1h: int = 0
    batch: bool = False
    feature: str = "chat"
    team: str = "support"
    user: str | None = "u1"
    session: str | None = "s1"


D1, D2 = date(2025, 11, 3), date(2025, 11, 4)
CALLS = (
    Call("m1-01", D1, "openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini", 12_000, 500, 4_096),
    Call("m2-01", D1, "openai", "gpt-4o-mini", "gpt-4o-mini", 3_000, 200, user="u2", session="s2"),
    Call("m3-01", D1, "openai", "gpt-4o-mini", "gpt-4o-mini", 9_000, 900, 8_000, session="s1"),
    Call(
        "m4-01",
        D1,
        "anthropic",
        "claude-sonnet-4-5-20250929",
        "claude-sonnet-4-5",
        90_000,
        1_500,
        40_000,
        30_000,
        10_000,
        feature="reply",
        team="support",
        user="u3",
    ),
    Call(
        "m5-01",
        D1,
        "anthropic",
        "claude-haiku-4-5",
        "claude-haiku-4-5",
        3_000,
        700,
        1_000,
        500,
        batch=True,
        feature="reply",
        user=None,
        session=None,
    ),
    Call("m6-01", D2, "google", "gemini-2.5-flash", "gemini-2.5-flash", 20_000, 4_000, 8_000),
    Call(
        "m7-01",
        D2,
        "openai",
        "ft:gpt-4.1-nano-2025-04-14:acme:x:1",
        None,
        800,
        3,
        feature="reply",
        team="search",
    ),
    Call("m8-01", D2, "openai", "gpt-4.1", "gpt-4.1", 2_000, 300, team="search", user="u2"),
)


def _catalogue() -> list[dict[str, str]]:
    with (WAREHOUSE_PROJECT.project_dir / "seeds" / "model_prices.csv").open() as file:
        # Long-context bands (when the catalogue has them) never apply to these small prompts.
        return [row for row in csv.DictReader(file) if not row.get("prompt_tokens_above")]


def _price_row(provider: str, model: str, day: date, batch: bool) -> dict[str, str] | None:
    """The `default`-tier catalogue row in effect on `day`, if any."""
    rows = [
        row
        for row in _catalogue()
        if (row["provider"], row["model"], row["service_tier"]) == (provider, model, "default")
        and (row["is_batch"] == "true") == batch
        and row["valid_from"] <= day.isoformat()
        and (not row["valid_to"] or day.isoformat() < row["valid_to"])
    ]
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def _price_id(row: dict[str, str]) -> str:
    batch = "batch" if row["is_batch"] == "true" else "standard"
    return "/".join([row["provider"], row["model"], row["service_tier"], batch, row["valid_from"]])


def _rates(provider: str, model: str, day: date, batch: bool) -> dict[str, Decimal] | None:
    """Per-token rates by token type, with the warehouse's fallbacks: a missing cache rate
    bills those tokens as input."""
    row = _price_row(provider, model, day, batch)
    if row is None:
        return None

    def rate(*columns: str) -> Decimal:
        return next(Decimal(row[c]) for c in columns if row[c]) / MILLION

    return {
        "input": rate("input_usd_per_mtok"),
        "cache_read": rate("cache_read_usd_per_mtok", "input_usd_per_mtok"),
        "cache_write_5m": rate("cache_write_5m_usd_per_mtok", "input_usd_per_mtok"),
        "cache_write_1h": rate(
            "cache_write_1h_usd_per_mtok", "cache_write_5m_usd_per_mtok", "input_usd_per_mtok"
        ),
        "output": rate("output_usd_per_mtok"),
    }


def _tokens(call: Call) -> dict[str, int]:
    return {
        "input": call.input - call.cache_read - call.cache_write,
        "cache_read": call.cache_read,
        "cache_write_5m": call.cache_write - call.cache_write_1h,
        "cache_write_1h": call.cache_write_1h,
        "output": call.output,
    }


def _cost_on(call: Call, provider: str, model: str) -> Decimal | None:
    rates = _rates(provider, model, call.day, call.batch)
    if rates is None:
        return None
    return sum((n * rates[kind] for kind, n in _tokens(call).items()), Decimal(0))


def cost(call: Call) -> Decimal | None:
    return None if call.priced_as is None else _cost_on(call, call.provider, call.priced_as)


def _sum(values: list[Decimal | None]) -> Decimal | None:
    known = [value for value in values if value is not None]
    return sum(known, Decimal(0)) if known else None


@pytest.fixture(scope="module")
def warehouse(
    tmp_path_factory: pytest.TempPathFactory, write_lake: Any, make_lake_row: Any
) -> Iterator[duckdb.DuckDBPyConnection]:
    settings = Settings.from_env({"LLMLEDGER_HOME": str(tmp_path_factory.mktemp("marts"))})
    write_lake(
        settings.lake,
        [
            make_lake_row(
                call.call_id,
                datetime(call.day.year, call.day.month, call.day.day, 12, tzinfo=UTC),
                provider=call.provider,
                operation="chat",
                request_model=call.model,
                response_model=call.model,
                input_tokens=call.input,
                cache_read_input_tokens=call.cache_read or None,
                cache_write_input_tokens=call.cache_write or None,
                cache_write_1h_input_tokens=call.cache_write_1h or None,
                output_tokens=call.output,
                is_batch=call.batch,
                feature=call.feature,
                team=call.team,
                user_id=call.user,
                session_id=call.session,
                kafka_offset=offset,
            )
            for offset, call in enumerate(CALLS)
        ],
    )
    build_warehouse(settings)
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        yield connection


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return connection.execute(sql).fetchall()


def _by_model(call: Call) -> tuple[date, str, str, str]:
    """The marts' grouping: snapshots under the catalogue model they are priced as."""
    return (call.day, call.feature, call.provider, call.priced_as or call.model)


def _group(key: Any) -> dict[Any, list[Call]]:
    groups: dict[Any, list[Call]] = defaultdict(list)
    for call in CALLS:
        groups[key(call)].append(call)
    return groups


def test_unit_economics_per_feature_and_day(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(
        warehouse,
        "select day, feature, calls, active_users, sessions, cost_usd, cost_per_call_usd,"
        " cost_per_active_user_usd, cost_per_session_usd from unit_economics_daily",
    )
    expected = {}
    for (day, feature), calls in _group(lambda c: (c.day, c.feature)).items():
        total = _sum([cost(c) for c in calls])
        priced = sum(1 for c in calls if cost(c) is not None)
        users = len({c.user for c in calls if c.user})
        sessions = len({c.session for c in calls if c.session})
        expected[(day, feature)] = (len(calls), users, sessions, total, priced)
    assert {(r[0], r[1]): r[2:6] for r in rows} == {k: v[:4] for k, v in expected.items()}
    for day, feature, _, users, sessions, total, per_call, per_user, per_session in rows:
        priced = expected[(day, feature)][4]
        if total is None:
            assert (per_call, per_user, per_session) == (None, None, None)
            continue
        assert per_call == pytest.approx(float(total / priced))
        assert per_user == (pytest.approx(float(total / users)) if users else None)
        assert per_session == (pytest.approx(float(total / sessions)) if sessions else None)


def test_cache_savings_compare_with_all_input_uncached(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = _rows(
        warehouse,
        "select day, feature, provider, model, calls, cache_hit_calls, cache_read_input_tokens,"
        " cost_usd, cost_without_cache_usd, savings_usd, cache_hit_rate"
        " from cache_savings_daily",
    )
    expected = {}
    for key, calls in _group(_by_model).items():
        actual = _sum([cost(c) for c in calls])
        uncached: list[Decimal | None] = []
        for call in calls:
            rates = call.priced_as and _rates(call.provider, call.priced_as, call.day, call.batch)
            # Without caching every prompt token is plain input; the output is unchanged.
            uncached.append(rates and call.input * rates["input"] + call.output * rates["output"])
        without = _sum(uncached)
        expected[key] = (
            len(calls),
            sum(1 for c in calls if c.cache_read),
            sum(c.cache_read for c in calls),
            actual,
            without,
            None if without is None or actual is None else without - actual,
        )
    assert {r[:4]: r[4:10] for r in rows} == expected
    groups = _group(_by_model)
    for row in rows:
        calls = groups[row[:4]]
        hit_rate = sum(c.cache_read for c in calls) / sum(c.input for c in calls)
        assert row[10] == pytest.approx(hit_rate)


def test_what_if_prices_the_same_usage_on_each_candidate(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    candidates = [
        tuple(c.split("/"))
        for c in yaml.safe_load((WAREHOUSE_PROJECT.project_dir / "dbt_project.yml").read_text())[
            "vars"
        ]["whatif_candidate_models"]
    ]
    rows = _rows(
        warehouse,
        "select day, feature, provider, model, candidate_provider, candidate_model, calls,"
        " unpriced_calls, cost_usd, whatif_cost_usd from model_whatif_daily",
    )
    expected = {}
    for (day, feature, provider, model), calls in _group(_by_model).items():
        for candidate_provider, candidate_model in candidates:
            whatif = [_cost_on(c, candidate_provider, candidate_model) for c in calls]
            expected[(day, feature, provider, model, candidate_provider, candidate_model)] = (
                len(calls),
                sum(1 for c in calls if cost(c) is None),
                _sum([cost(c) for c in calls]),
                None if None in whatif else _sum(whatif),
            )
    assert {r[:6]: r[6:] for r in rows} == expected


def test_focus_export_rows_add_up_to_the_calls_cost(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = _rows(
        warehouse,
        'select cast("ChargePeriodStart" as date), "SkuPriceId", "Tags", "x_TokenType",'
        ' "ConsumedQuantity", "ConsumedUnit", "PricingQuantity", "ListUnitPrice",'
        ' "BilledCost", "EffectiveCost", "ListCost", "ChargeCategory", "BillingCurrency",'
        ' "BillingPeriodStart", "ChargePeriodEnd" from focus_cost_and_usage',
    )
    expected: dict[tuple[Any, ...], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for call in CALLS:
        if call.priced_as is None:
            continue
        row = _price_row(call.provider, call.priced_as, call.day, call.batch)
        rates = _rates(call.provider, call.priced_as, call.day, call.batch)
        assert row is not None and rates is not None
        tags = json.dumps({"feature": call.feature, "team": call.team})
        for kind, tokens in _tokens(call).items():
            if tokens:
                sku_price_id = f"{_price_id(row)}#{kind}"
                totals = expected[(call.day, sku_price_id, tags, kind, rates[kind])]
                totals[0] += tokens
                totals[1] += tokens * rates[kind]
    actual = {
        (day, sku_price, json.dumps(json.loads(tags)), kind, unit_price): [quantity, billed]
        for day, sku_price, tags, kind, quantity, _, _, unit_price, billed, *_ in rows
    }
    assert actual == expected
    for row in rows:
        assert row[4] == row[6] and row[8] == row[9] == row[10]
        assert (row[5], row[11], row[12]) == ("Token", "Usage", "USD")
        assert row[13] == datetime(row[0].year, row[0].month, 1)
        assert (row[14] - datetime(row[0].year, row[0].month, row[0].day)).days == 1
