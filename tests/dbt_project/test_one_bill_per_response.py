"""Several spans can describe one provider response (our instrumentation, the provider SDK's
own tracing, another instrumentation); the warehouse bills the response once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from llmledger.infra.settings import Settings
from llmledger.orchestration.warehouse import build_warehouse

from .conftest import LakeWriter, RowMaker

AT = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)
USAGE = {
    "provider": "anthropic",
    "operation": "chat",
    "request_model": "claude-haiku-4-5",
    "response_model": "claude-haiku-4-5-20251001",
    "input_tokens": 1000,
    "output_tokens": 100,
}


def test_spans_sharing_a_response_id_are_billed_once_preferring_ours(
    tmp_path: Path, write_lake: LakeWriter, make_lake_row: RowMaker
) -> None:
    settings = Settings.from_env({"LLMLEDGER_HOME": str(tmp_path)})
    write_lake(
        settings.lake,
        [
            make_lake_row("t1-sdk", AT, response_id="msg_1", convention="anthropic_sdk", **USAGE),
            make_lake_row(
                "t1-ours",
                AT,
                response_id="msg_1",
                convention="llmledger",
                feature="search",
                **USAGE,
            ),
            # Our span delivered again (a producer retry): it repeats both a call_id and a
            # response, and still counts once, as its first delivery.
            make_lake_row(
                "t1-ours",
                AT,
                response_id="msg_1",
                convention="llmledger",
                feature="redelivered",
                kafka_offset=9,
                **USAGE,
            ),
            # Same usage, another response: a second, real call.
            make_lake_row("t2-ours", AT, response_id="msg_2", convention="llmledger", **USAGE),
            # No response id (e.g. an instrumentation that does not record it): kept as is.
            make_lake_row("t3-other", AT, convention="openinference", **USAGE),
        ],
    )
    build_warehouse(settings)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        calls = con.execute(
            "select call_id, feature from fct_llm_calls order by call_id"
        ).fetchall()
    assert calls == [
        ("t1-ours", "search"),
        ("t2-ours", "(unattributed)"),
        ("t3-other", "(unattributed)"),
    ]
