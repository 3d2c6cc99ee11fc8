"""Price tables kept between builds: served only for exactly the same inputs."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from llmledger.orchestration.prices.table_cache import cache_dir, cached_table
from llmledger.orchestration.prices.tables import prices_table


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


class CountingBuild:
    def __init__(self, value: int) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> pa.Table:
        self.calls += 1
        return pa.table({"rate": pa.array([self.value], pa.decimal128(18, 12))})


def test_the_same_inputs_read_the_table_back_without_building(tmp_path: Path) -> None:
    build = CountingBuild(3)
    first = cached_table("prices", None, [{"model": "m"}], build)
    again = cached_table("prices", None, [{"model": "m"}], CountingBuild(4))

    assert build.calls == 1
    assert again.equals(first)
    assert again.schema == first.schema


def test_changed_overrides_or_seed_rows_build_anew(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("provider,model\nopenai,a\n")
    cached_table("prices", overrides, [{"model": "m"}], CountingBuild(1))

    overrides.write_text("provider,model\nopenai,b\n")
    after_override = CountingBuild(2)
    table = cached_table("prices", overrides, [{"model": "m"}], after_override)
    other_seed = CountingBuild(5)
    cached_table("prices", overrides, [{"model": "n"}], other_seed)

    assert after_override.calls == 1
    assert table.column("rate").to_pylist() == [pa.scalar(2, pa.decimal128(18, 12)).as_py()]
    assert other_seed.calls == 1


def test_a_damaged_entry_is_rebuilt() -> None:
    cached_table("aliases", None, None, CountingBuild(1))
    (entry,) = cache_dir().glob("aliases-*.parquet")
    entry.write_bytes(b"not parquet")

    rebuild = CountingBuild(1)
    table = cached_table("aliases", None, None, rebuild)

    assert rebuild.calls == 1
    assert table.num_rows == 1


def test_the_catalogue_survives_the_round_trip_exactly() -> None:
    def build() -> pa.Table:
        return prices_table(None, [])

    made = cached_table("prices", None, [], build)
    read_back = cached_table("prices", None, [], lambda: pytest.fail("built twice"))

    assert read_back.schema == made.schema
    assert read_back.equals(made)
    assert made.num_rows > 1000
