"""`refresh_prices` regenerates the catalogue with the seed and overrides applied."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from llmledger.orchestration.lib.warehouse_dbt import WAREHOUSE_PROJECT
from llmledger.orchestration.prices.overrides import PriceOverridesError
from llmledger.orchestration.prices.refresh import refresh_prices, validate_price_overrides


def test_refresh_writes_the_effective_catalogue(tmp_path: Path) -> None:
    overrides = tmp_path / "price_overrides.csv"
    overrides.write_text(
        "provider,model,valid_from,input_usd_per_mtok,output_usd_per_mtok,note\n"
        "selfhosted,llama-acme-70b,2025-01-01,0.2,0.6,our GPU cluster\n"
    )
    summary = refresh_prices(tmp_path / "home", overrides, WAREHOUSE_PROJECT.project_dir / "seeds")
    with summary.written_to.open() as file:
        rows = list(csv.DictReader(file))
    assert summary.price_rows == len(rows) > 3_000
    assert summary.providers >= 47 and summary.models > 2_000 and summary.overrides == 1
    (own,) = (row for row in rows if row["provider"] == "selfhosted")
    assert (own["model"], own["input_usd_per_mtok"], own["price_origin"]) == (
        "llama-acme-70b",
        "0.200000000000",
        "override",
    )
    assert own["source"] == "override price_overrides.csv:2 our GPU cluster"
    curated = [row for row in rows if row["price_origin"] == "curated"]
    assert {row["model"] for row in curated} >= {"gpt-4o-mini", "claude-haiku-4-5"}


def test_validation_before_the_build_names_the_line(tmp_path: Path) -> None:
    overrides = tmp_path / "o.csv"
    overrides.write_text("provider,model,valid_from,discount_percent\nopenai,*,2025-01-01,0\n")
    with pytest.raises(PriceOverridesError, match=r"o\.csv:2: discount_percent 0 must be above 0"):
        validate_price_overrides(overrides)
    assert validate_price_overrides(None) == 0
