"""10,000 random usages priced by the warehouse (one `dbt build`) and by genai-prices' own
calculator, then a price override with an effective date and a second build.

Usages are drawn across every provider of the catalogue, their service tiers and batch
variants, dates from 2024 to now, with cache reads, 5-minute and 1-hour cache writes, and
prompts around every long-context threshold. Each warehouse cost must equal
`genai_prices.calc_price(...)` within 1e-9 USD, or fall in one of the documented
categories of deliberate difference (`difference_reason`).
"""

from __future__ import annotations

import dataclasses
import random
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from genai_prices import Usage, calc_price
from genai_prices import types as gp
from genai_prices.data import providers as genai_providers

from llmledger.infra.settings import Settings
from llmledger.orchestration.warehouse import WarehouseBuildError, build_warehouse

CALLS = 10_000
TOLERANCE = Decimal("1e-9")
_SONNET_4 = re.compile(r"sonnet-4(-5)?(?!-?[0-9.])")


@dataclass(frozen=True)
class RandomCall:
    call_id: str
    at: datetime
    provider: str
    model: str
    tier: str | None
    batch: bool
    prompt: int
    cache_read: int
    cache_write: int
    cache_write_1h: int
    output: int


def _thresholds(model: gp.ModelInfo) -> list[int]:
    found: set[int] = set()
    prices = (
        model.prices
        if isinstance(model.prices, list)
        else [gp.ConditionalPrice(prices=model.prices)]
    )
    for price in [p.prices for p in prices] + [v.prices for v in model.price_variants or []]:
        for value in price.__dict__.values():
            if isinstance(value, gp.TieredPrices):
                found.update(tier.start for tier in value.tiers)
    return sorted(found)


def random_usages(seed: int = 5) -> list[RandomCall]:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 11, 20, tzinfo=UTC) - start).total_seconds()
    usages = []
    for number in range(CALLS):
        provider = rng.choice(genai_providers)  # every provider about equally often
        model = rng.choice(provider.models)
        variants = model.price_variants or []
        tiers = [None, "default"] + [
            v.when["service_tier"] for v in variants if "service_tier" in v.when
        ]
        has_batch = any(v.when.get("processing") == "batch" for v in variants)
        thresholds = _thresholds(model)
        prompt = rng.choice([rng.randint(0, 5_000), rng.randint(0, 150_000)])
        if thresholds and rng.random() < 0.5:  # just below, at, or above a threshold
            prompt = rng.choice(thresholds) + rng.choice([-1, 0, 1, rng.randint(2, 300_000)])
        read = rng.choice([0, rng.randint(0, prompt)])
        write = rng.choice([0, rng.randint(0, prompt - read)])
        usages.append(
            RandomCall(
                call_id=f"{number:08x}-0",
                at=start + timedelta(seconds=rng.uniform(0, span)),
                provider=provider.id,
                model=model.id,
                tier=rng.choice(tiers),
                batch=has_batch and rng.random() < 0.3,
                prompt=prompt,
                cache_read=read,
                cache_write=write,
                cache_write_1h=rng.choice([0, rng.randint(0, write)]),
                output=rng.randint(0, 20_000),
            )
        )
    return usages


def genai_cost(usage: RandomCall) -> tuple[Decimal | None, str | None]:
    """genai-prices' price of the usage, and the model it chose (None: not found)."""
    context = {"service_tier": usage.tier or "default"}
    if usage.batch:
        context["processing"] = "batch"
    tokens = Usage(
        input_tokens=usage.prompt,
        cache_read_tokens=usage.cache_read,
        cache_write_tokens=usage.cache_write,
        cache_write_1h_tokens=usage.cache_write_1h,
        output_tokens=usage.output,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = calc_price(
                tokens,
                usage.model,
                provider_id=usage.provider,
                genai_request_timestamp=usage.at,
                price_context=context,
            )
    except LookupError:
        return None, None
    return result.total_price, result.model.id


def difference_reason(
    usage: RandomCall, row: dict[str, Any], genai_model: str | None
) -> str | None:
    """Why the warehouse deliberately differs from genai-prices for this call, if it does."""
    if row["price_origin"] == "curated":
        return "curated seed row (hand-checked price genai-prices dates later or lacks)"
    if genai_model is None and row["priced_model"] == usage.model:
        return "genai-prices' rules do not accept this model id itself; the warehouse matches it"
    if genai_model is not None and row["priced_model"] not in (None, genai_model):
        return "an exact model id wins over an earlier genai-prices match rule"
    found = next(
        m
        for p in genai_providers
        if p.id == usage.provider
        for m in p.models
        if m.id == usage.model
    )
    conditionals = found.prices if isinstance(found.prices, list) else []
    if any(isinstance(c.constraint, gp.TimeOfDateConstraint) for c in conditionals):
        return "time-of-day (off-peak) prices are not modelled: the standard price applies"
    if any(getattr(c.prices, "requests_kcount", None) for c in conditionals) or getattr(
        found.prices, "requests_kcount", None
    ):
        return "per-request fees are not token prices"
    if (
        _SONNET_4.search(re.sub(r"[-@]\d{8}", "", row["priced_model"] or ""))
        and usage.at.date() >= date(2026, 4, 30)
        and usage.prompt > 200_000
    ):
        return "Anthropic retired the Sonnet 4/4.5 long-context surcharge on 2026-04-30"
    if row["price_id"] is None and found.get_prices(usage.at).input_mtok is None:
        return "no input token price (per-request, image or audio-only model)"
    return None


def _lake_rows(make_lake_row: Any, usages: list[RandomCall]) -> Iterator[dict[str, Any]]:
    for offset, usage in enumerate(usages):
        yield make_lake_row(
            usage.call_id,
            usage.at,
            provider=usage.provider,
            operation="chat",
            response_model=usage.model,
            input_tokens=usage.prompt,
            cache_read_input_tokens=usage.cache_read,
            cache_write_input_tokens=usage.cache_write,
            cache_write_1h_input_tokens=usage.cache_write_1h,
            output_tokens=usage.output,
            service_tier=usage.tier,
            is_batch=usage.batch,
            kafka_offset=offset,
        )


def _priced(settings: Settings) -> dict[str, dict[str, Any]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        cursor = connection.execute(
            "select call_id, cost_usd, price_id, priced_model, price_origin, price_source"
            " from fct_llm_calls"
        )
        names = [column[0] for column in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


@pytest.fixture(scope="module")
def warehouse(
    tmp_path_factory: pytest.TempPathFactory, write_lake: Any, make_lake_row: Any
) -> tuple[Settings, list[RandomCall], dict[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("pricing")
    settings = Settings.from_env({"LLMLEDGER_HOME": str(root / "home")})
    usages = random_usages()
    write_lake(settings.lake, _lake_rows(make_lake_row, usages))
    build_warehouse(settings)
    return settings, usages, _priced(settings)


def test_every_cost_equals_genai_prices_or_has_a_documented_reason(warehouse: Any) -> None:
    _, usages, priced = warehouse
    reasons: Counter[str] = Counter()
    unexplained = []
    for usage in usages:
        row = priced[usage.call_id]
        expected, genai_model = genai_cost(usage)
        ours = row["cost_usd"]
        same = (ours is None and expected is None) or (
            ours is not None and expected is not None and abs(ours - expected) <= TOLERANCE
        )
        if same:
            reasons["equal"] += 1
            continue
        reason = difference_reason(usage, row, genai_model)
        if reason is None:
            unexplained.append((usage, row, expected, genai_model))
        reasons[reason or "unexplained"] += 1
    print(dict(reasons))
    assert not unexplained[:10], unexplained[:10]
    assert reasons["equal"] > 0.9 * CALLS


def test_the_random_usages_cover_every_provider_tier_and_batch(warehouse: Any) -> None:
    _, usages, priced = warehouse
    assert {u.provider for u in usages} == {p.id for p in genai_providers}
    assert {u.tier for u in usages} >= {None, "default", "priority", "flex", "fast"}
    assert any(u.batch for u in usages)
    long_context = [u for u in usages if "above-" in (priced[u.call_id]["price_id"] or "")]
    assert len(long_context) > 100


def test_a_price_override_with_an_effective_date_reprices_exactly_the_affected_calls(
    warehouse: Any, tmp_path: Path
) -> None:
    settings, usages, before = warehouse
    target = next(
        u
        for u in usages
        if (before[u.call_id]["price_id"] or "").startswith("openai/")
        and "/default/standard/" in before[u.call_id]["price_id"]
        and u.at.date() >= date(2025, 6, 1)
    )
    effective = date(2025, 6, 1)
    overrides = tmp_path / "price_overrides.csv"
    overrides.write_text(
        "provider,model,service_tier,is_batch,valid_from,input_usd_per_mtok,"
        "cache_read_usd_per_mtok,output_usd_per_mtok,note\n"
        f"openai,{before[target.call_id]['priced_model']},,,{effective},0.5,0.05,2,negotiated\n"
    )
    build_warehouse(dataclasses.replace(settings, price_overrides=overrides))
    after = _priced(settings)

    model = before[target.call_id]["priced_model"]
    affected_calls = 0
    for usage in usages:
        old, new = before[usage.call_id], after[usage.call_id]
        # The override prices the default tier, not batch, from its effective date on.
        affected = old["price_id"] is not None and (
            old["price_id"].startswith(f"openai/{model}/default/standard/")
            and usage.at.date() >= effective
        )
        if affected:
            affected_calls += 1
            expected = (
                Decimal(usage.prompt - usage.cache_read) * Decimal("0.5")
                + Decimal(usage.cache_read) * Decimal("0.05")
                + Decimal(usage.output) * Decimal(2)
            ) / Decimal(1_000_000)
            assert new["cost_usd"] == expected, usage
            assert new["price_id"] == f"openai/{model}/default/standard/{effective}"
            assert new["price_source"] == "override price_overrides.csv:2 negotiated"
        else:
            assert (new["cost_usd"], new["price_id"]) == (old["cost_usd"], old["price_id"]), usage
    assert affected_calls > 0


def test_a_broken_overrides_file_fails_the_build_naming_the_line(
    warehouse: Any, tmp_path: Path
) -> None:
    settings, _, _ = warehouse
    overrides = tmp_path / "broken.csv"
    overrides.write_text(
        "provider,model,valid_from,input_usd_per_mtok,output_usd_per_mtok\n"
        "# a comment line still counts\n"
        "openai,gpt-4o,2025-01-01,2.5,10\n"
        "openai,gpt-4o-mini,2025-13-01,0.1,0.4\n"
    )
    with pytest.raises(WarehouseBuildError, match=r"broken\.csv:4: valid_from '2025-13-01'"):
        build_warehouse(dataclasses.replace(settings, price_overrides=overrides))
