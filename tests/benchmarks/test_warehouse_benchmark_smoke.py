"""The warehouse benchmark's one command runs end to end at a tiny size (its timings are
not checked: they say nothing on a machine shared with other work)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_benchmark_command_builds_and_reports(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    arguments = ["--calls", "20000", "--new-calls", "2000", "--days", "5"]
    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks.warehouse", *arguments, "--workdir", str(workdir)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    for step in ("full build", "incremental build on the history", "on an empty history", "ratio"):
        assert step in finished.stdout
    # The synthetic lake is in the consumer's layout: one folder per UTC day of the calls.
    lake = workdir / "history" / "lake" / "llm_calls"
    assert len(list(lake.iterdir())) == 5 + 1
    count, distinct_ids, misfiled = duckdb.sql(
        "select count(*), count(distinct call_id), count(*) filter (where"
        " strftime(started_at at time zone 'UTC', 'day=%Y-%m-%d')"
        " != regexp_extract(filename, '(day=[0-9-]+)', 1))"
        f" from read_parquet('{lake}/*/*.parquet', filename = true)"
    ).fetchall()[0]
    assert (count, distinct_ids, misfiled) == (22_000, 22_000, 0)
    for history, calls in (("history", 22_000), ("empty", 2_000)):
        warehouse = workdir / history / "warehouse.duckdb"
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            assert connection.execute("select count(*) from fct_llm_calls").fetchone() == (calls,)
