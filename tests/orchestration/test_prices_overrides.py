"""The overrides file: validation names the line at fault; overrides cut and replace
catalogue rows for exactly their provider, model, tier, batch flag, days and prompt sizes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from llmledger.orchestration.prices.catalogue import PriceRow
from llmledger.orchestration.prices.merge import apply_overrides
from llmledger.orchestration.prices.overrides import PriceOverridesError, load_overrides

HEADER = (
    "provider,model,service_tier,is_batch,valid_from,valid_to,"
    "input_usd_per_mtok,output_usd_per_mtok,discount_percent\n"
)


def _file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "price_overrides.csv"
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines))
    return path


def _row(model: str = "gpt-4o", **changes: object) -> PriceRow:
    values: dict[str, object] = {
        "provider": "openai",
        "model": model,
        "service_tier": "default",
        "is_batch": False,
        "valid_from": date(2024, 1, 1),
        "valid_to": None,
        "prompt_tokens_above": None,
        "prompt_tokens_up_to": None,
        "input_usd_per_mtok": Decimal("2.5"),
        "cache_read_usd_per_mtok": Decimal("1.25"),
        "cache_write_5m_usd_per_mtok": None,
        "cache_write_1h_usd_per_mtok": None,
        "output_usd_per_mtok": Decimal(10),
        "source": "genai-prices 0.2.3",
    }
    values.update(changes)
    return PriceRow(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("openai,gpt-4o,,,2025-02-30,,1,2,", "valid_from '2025-02-30' is not a date"),
        ("openai,gpt-4o,,,2025-01-01,2024-12-01,1,2,", "valid_to 2024-12-01 must be after"),
        ("openai,gpt-4o,,,2025-01-01,,abc,2,", "input_usd_per_mtok 'abc' is not a decimal"),
        ("openai,gpt-4o,,,2025-01-01,,-1,2,", "must be a non-negative number"),
        ("openai,gpt-4o,,,2025-01-01,,,2,", "input_usd_per_mtok is required"),
        ("openai,gpt-4o,,,2025-01-01,,1,2,10", "either rates or discount_percent"),
        ("openai,*,,,2025-01-01,,,,120", "discount_percent 120 must be above 0"),
        ("openai,*,,,2025-01-01,,1,2,", "model '*' (every model) is only allowed"),
        ("openai,gpt-4o,,maybe,2025-01-01,,1,2,", "is_batch 'maybe' must be true or false"),
        ("Open AI,gpt-4o,,,2025-01-01,,1,2,", "provider 'open ai'"),
        ("openai,gpt-4o,,,2025-01-01,,1,2", "8 values for 9 columns"),
    ],
)
def test_a_bad_line_is_named_with_its_problem(tmp_path: Path, line: str, problem: str) -> None:
    path = _file(tmp_path, "# negotiated prices", "openai,gpt-4o-mini,,,2025-01-01,,0.1,0.4,", line)
    with pytest.raises(PriceOverridesError) as raised:
        load_overrides(path)
    assert raised.value.line == 4
    assert str(raised.value).startswith(f"{path}:4: ")
    assert problem in raised.value.problem


def test_unknown_columns_and_overlapping_rows_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("provider,model,valid_from,input_rate\n")
    with pytest.raises(PriceOverridesError, match=r"o\.csv:1: unknown column\(s\) input_rate"):
        load_overrides(path)
    path = _file(
        tmp_path,
        "openai,gpt-4o,,,2025-01-01,2025-06-01,1,2,",
        "openai,gpt-4o,default,false,2025-05-01,,1,2,",
    )
    with pytest.raises(PriceOverridesError, match=r":3: overlaps line 2"):
        load_overrides(path)


def test_a_missing_file_means_no_overrides(tmp_path: Path) -> None:
    assert load_overrides(tmp_path / "absent.csv") == ()


def test_a_price_replaces_the_catalogue_for_its_days_only(tmp_path: Path) -> None:
    overrides = load_overrides(_file(tmp_path, "openai,gpt-4o,,,2025-03-01,2025-04-01,2,8,"))
    rows = apply_overrides(
        [_row(), _row(is_batch=True), _row("gpt-4o-mini")], overrides, "override o.csv"
    )
    default = sorted(
        (r.valid_from, r.valid_to, r.input_usd_per_mtok, r.cache_read_usd_per_mtok, r.source)
        for r in rows
        if r.model == "gpt-4o" and not r.is_batch
    )
    assert default == [
        (date(2024, 1, 1), date(2025, 3, 1), Decimal("2.5"), Decimal("1.25"), "genai-prices 0.2.3"),
        (date(2025, 3, 1), date(2025, 4, 1), Decimal(2), None, "override o.csv:2"),
        (date(2025, 4, 1), None, Decimal("2.5"), Decimal("1.25"), "genai-prices 0.2.3"),
    ]
    untouched = [r for r in rows if r.is_batch or r.model == "gpt-4o-mini"]
    assert untouched == [_row(is_batch=True), _row("gpt-4o-mini")]


def test_a_percentage_off_a_provider_applies_to_every_model_tier_and_batch(tmp_path: Path) -> None:
    overrides = load_overrides(_file(tmp_path, "openai,*,,,2025-01-01,,,,20"))
    rows = apply_overrides(
        [_row(), _row("gpt-4o-mini", is_batch=True), _row(provider="anthropic")], overrides, "o"
    )
    discounted = {
        (r.provider, r.model, r.is_batch): (r.input_usd_per_mtok, r.cache_read_usd_per_mtok)
        for r in rows
        if r.valid_from == date(2025, 1, 1)
    }
    assert discounted == {
        ("openai", "gpt-4o", False): (Decimal(2), Decimal(1)),
        ("openai", "gpt-4o-mini", True): (Decimal(2), Decimal(1)),
    }
    assert [r for r in rows if r.provider == "anthropic"] == [_row(provider="anthropic")]


def test_a_price_for_small_prompts_keeps_the_long_context_band(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text(
        "provider,model,valid_from,prompt_tokens_up_to,input_usd_per_mtok,output_usd_per_mtok\n"
        "openai,gpt-4o,2025-01-01,200000,1,4\n"
    )
    base = _row(prompt_tokens_up_to=200_000)
    long_context = _row(prompt_tokens_above=200_000, input_usd_per_mtok=Decimal(5))
    rows = apply_overrides([base, long_context], load_overrides(path), "o")
    bands = sorted((r.valid_from, r.prompt_tokens_above or 0, r.input_usd_per_mtok) for r in rows)
    assert bands == [
        (date(2024, 1, 1), 0, Decimal("2.5")),
        (date(2024, 1, 1), 200_000, Decimal(5)),
        (date(2025, 1, 1), 0, Decimal(1)),
    ]
