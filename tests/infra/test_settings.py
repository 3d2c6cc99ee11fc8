from __future__ import annotations

from pathlib import Path

import pytest

from llmledger.infra.settings import Settings


def test_defaults_live_under_home(tmp_path: Path) -> None:
    settings = Settings.from_env({"LLMLEDGER_HOME": str(tmp_path)})
    assert (settings.lake, settings.warehouse) == (tmp_path / "lake", tmp_path / "warehouse.duckdb")
    assert (settings.topic, settings.dead_letter_topic) == ("otlp_spans", "otlp_spans.dlq")
    assert settings.kafka_bootstrap_servers is None


def test_price_overrides_default_file_is_used_only_when_present(tmp_path: Path) -> None:
    assert Settings.from_env({"LLMLEDGER_HOME": str(tmp_path)}).price_overrides is None
    (tmp_path / "price_overrides.csv").write_text("provider,model\n")
    found = Settings.from_env({"LLMLEDGER_HOME": str(tmp_path)}).price_overrides
    assert found == tmp_path / "price_overrides.csv"


def test_a_named_price_overrides_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"LLMLEDGER_PRICE_OVERRIDES=.*no such file"):
        Settings.from_env(
            {
                "LLMLEDGER_HOME": str(tmp_path),
                "LLMLEDGER_PRICE_OVERRIDES": str(tmp_path / "typo.csv"),
            }
        )
