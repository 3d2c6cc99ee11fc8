"""The catalogue generated from genai-prices: every model with a token price has rows, each
row reproduces genai-prices' own resolution of the prices for its day and context, and the
long-context tiers become prompt-size bands."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal

from genai_prices import types as gp
from genai_prices.data import providers

from llmledger.orchestration.prices.catalogue import catalogue_rows, package_version
from llmledger.orchestration.prices.matching import clause_regexes, model_patterns


def _rows_by_model() -> dict[tuple[str, str], list[object]]:
    found: dict[tuple[str, str], list[object]] = defaultdict(list)
    for row in catalogue_rows():
        found[(row.provider, row.model)].append(row)
    return found


def test_every_model_with_a_token_price_is_in_the_catalogue() -> None:
    rows = _rows_by_model()
    priced = {
        (provider.id, model.id)
        for provider in providers
        for model in provider.models
        if model.get_prices(datetime.now(UTC)).input_mtok is not None
    }
    assert len(priced) > 2_000
    assert priced <= set(rows)
    assert all(
        row.source.startswith(f"genai-prices {package_version()}") for row in catalogue_rows()
    )


def test_each_row_holds_genai_prices_resolution_for_its_first_day() -> None:
    models = {(p.id, m.id): m for p in providers for m in p.models}
    for row in catalogue_rows()[::7]:
        context = {"service_tier": row.service_tier}
        if row.is_batch:
            context["processing"] = "batch"
        prices = models[(row.provider, row.model)].get_prices(
            datetime.combine(row.valid_from, time(12), UTC), context
        )
        expected = prices.input_mtok
        if isinstance(expected, gp.TieredPrices):
            expected = expected.base
            for tier in expected_tiers(prices.input_mtok):
                if row.prompt_tokens_above is not None and row.prompt_tokens_above >= tier.start:
                    expected = tier.price
        if "retired" in row.source:
            continue  # the Sonnet 4 / 4.5 correction, tested below
        # Float-derived rates (e.g. 1.0399999999999998) are kept to 12 decimals.
        assert abs(row.input_usd_per_mtok - expected) <= Decimal("1e-12"), row


def expected_tiers(value: object) -> list[gp.Tier]:
    return value.tiers if isinstance(value, gp.TieredPrices) else []


def test_gemini_pro_long_context_reprices_the_whole_request_above_200k() -> None:
    bands = sorted(
        (
            row.prompt_tokens_above or 0,
            row.prompt_tokens_up_to,
            row.input_usd_per_mtok,
            row.output_usd_per_mtok,
            row.cache_read_usd_per_mtok,
        )
        for row in catalogue_rows()
        if (row.provider, row.model, row.service_tier, row.is_batch)
        == ("google", "gemini-2.5-pro", "default", False)
        and row.valid_to is None
    )
    assert bands == [
        (0, 200_000, Decimal("1.25"), Decimal(10), Decimal("0.125")),
        (200_000, None, Decimal("2.5"), Decimal(15), Decimal("0.25")),
    ]


def test_the_sonnet_4_5_long_context_tier_ends_on_2026_04_30() -> None:
    rows = [
        row
        for row in catalogue_rows()
        if (row.provider, row.model, row.service_tier, row.is_batch)
        == ("anthropic", "claude-sonnet-4-5", "default", False)
    ]
    long_context = [row for row in rows if row.prompt_tokens_above is not None]
    assert [(r.valid_to, r.input_usd_per_mtok, r.output_usd_per_mtok) for r in long_context] == [
        (date(2026, 4, 30), Decimal(6), Decimal("22.5"))
    ]
    after = [row for row in rows if row.valid_from >= date(2026, 4, 30)]
    assert after and all(row.prompt_tokens_up_to is None for row in after)
    assert all(row.input_usd_per_mtok == Decimal(3) for row in after)


def test_match_rules_become_disjunctive_normal_form() -> None:
    clause = gp.ClauseAnd(
        and_=[
            gp.ClauseOr(or_=[gp.ClauseEquals(equals="A.b"), gp.ClauseStartsWith(starts_with="c")]),
            gp.ClauseEndsWith(ends_with="-v1"),
        ]
    )
    assert clause_regexes(clause) == [
        [("equals", "a.b"), ("ends_with", "-v1")],
        [("starts_with", "c"), ("ends_with", "-v1")],
    ]
    negated = [p for p in model_patterns() if p.is_negated]
    assert negated and all(
        p.match_kind == "regex" and p.pattern.startswith("^(?:") for p in negated
    )
