from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from llmledger.cli.main import build_parser, main
from llmledger.cli.report import format_table, format_usd, run_sql


def test_money_is_shown_exactly_rounded_and_unpriced_is_not_zero() -> None:
    assert format_usd(Decimal("1234.5678")) == "$1,234.57"
    assert format_usd(None) == "unpriced"


def test_table_aligns_text_left_and_numbers_right() -> None:
    table = format_table(
        ["model", "calls", "cost_usd"], [("gpt-4o", 1200, Decimal("3.5")), ("x", 7, None)]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["model", "calls", "cost_usd"]
    assert lines[1].startswith("gpt-4o ") and lines[1].endswith("$3.50")
    assert lines[2].startswith("x      ") and "     7" in lines[2] and lines[2].endswith("unpriced")


def test_sql_reads_the_warehouse(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table t as select 'a' as team, 2.50::decimal(18, 6) as cost_usd")
    out: list[str] = []
    run_sql(warehouse, "select * from t", out.append)
    assert out[0].splitlines()[1].split() == ["a", "$2.50"]


def test_every_verb_parses() -> None:
    parser = build_parser()
    for argv in (
        ["kafka", "up"],
        ["gateway", "--port", "4318", "--grpc-port", "off"],
        ["ingest", "--until-caught-up", "--group-id", "g", "--instance-id", "i"],
        ["ingest", "--status"],
        ["compact"],
        ["prices", "refresh"],
        ["build", "--full-refresh", "--rebuild-from", "2026-10-01"],
        ["report"],
        ["sql", "select 1"],
        ["simulator", "--port", "1"],
        ["demo", "--calls", "9"],
    ):
        assert parser.parse_args(argv).handler is not None


def test_cli_reports_errors_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMLEDGER_WAREHOUSE", str(tmp_path / "missing" / "w.duckdb"))
    assert main(["sql", "select 1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("llmledger sql: ") and len(err.strip().splitlines()) == 1


def test_gateway_and_ingest_say_how_to_get_a_kafka(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMLEDGER_HOME", str(tmp_path))
    monkeypatch.delenv("LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    for verb in ("gateway", "ingest"):
        assert main([verb]) == 1
        assert (
            "run `llmledger kafka up` or set LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS"
            in capsys.readouterr().err
        )


def test_cli_default_consumer_group_is_the_consumers() -> None:
    from llmledger.cli.main import INGEST_GROUP_ID
    from llmledger.pipelines.ingest import DEFAULT_GROUP_ID

    assert INGEST_GROUP_ID == DEFAULT_GROUP_ID
    assert build_parser().parse_args(["ingest"]).group_id == DEFAULT_GROUP_ID
