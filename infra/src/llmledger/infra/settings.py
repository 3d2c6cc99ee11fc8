"""The one place that reads llmledger's environment.

Every process (CLI, gateway, consumer, dbt build, Dagster) gets its configuration from
`Settings.from_env()`, so a variable means the same thing everywhere.

Configuration
-------------
LLMLEDGER_HOME                     state folder for local Kafka, lake, warehouse (`.state`)
LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS  an existing Kafka cluster; when set, no local broker starts
LLMLEDGER_TOPIC                    topic of OTLP export requests (default `otlp_spans`)
LLMLEDGER_DEAD_LETTER_TOPIC        undecodable messages (default `<topic>.dlq`)
LLMLEDGER_LAKE                     Parquet lake folder (default `$LLMLEDGER_HOME/lake`)
LLMLEDGER_WAREHOUSE                DuckDB file (default `$LLMLEDGER_HOME/warehouse.duckdb`)
LLMLEDGER_GATEWAY_HOST / _PORT     where `llmledger gateway` listens (127.0.0.1:4318)
LLMLEDGER_KAFKA_LIBS               cache of the broker's jars fetched by Maven
                                   (default `~/.cache/llmledger/kafka-4.3.1/libs`)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TOPIC = "otlp_spans"
KAFKA_VERSION = "4.3.1"


def default_kafka_libs() -> Path:
    """Per-user cache shared by every checkout, so the jars are downloaded once per machine."""
    return Path.home() / ".cache" / "llmledger" / f"kafka-{KAFKA_VERSION}" / "libs"


@dataclass(frozen=True)
class Settings:
    home: Path
    kafka_bootstrap_servers: str | None
    topic: str
    dead_letter_topic: str
    lake: Path
    warehouse: Path
    gateway_host: str
    gateway_port: int
    kafka_libs: Path = field(default_factory=default_kafka_libs)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("LLMLEDGER_HOME", ".state")).resolve()
        topic = env.get("LLMLEDGER_TOPIC", DEFAULT_TOPIC)
        return cls(
            home=home,
            kafka_bootstrap_servers=env.get("LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS") or None,
            topic=topic,
            dead_letter_topic=env.get("LLMLEDGER_DEAD_LETTER_TOPIC", f"{topic}.dlq"),
            lake=Path(env.get("LLMLEDGER_LAKE", str(home / "lake"))).resolve(),
            warehouse=Path(
                env.get("LLMLEDGER_WAREHOUSE", str(home / "warehouse.duckdb"))
            ).resolve(),
            gateway_host=env.get("LLMLEDGER_GATEWAY_HOST", "127.0.0.1"),
            gateway_port=int(env.get("LLMLEDGER_GATEWAY_PORT", "4318")),
            kafka_libs=Path(env.get("LLMLEDGER_KAFKA_LIBS") or default_kafka_libs()).resolve(),
        )

    @property
    def kafka_home(self) -> Path:
        """Where the locally started broker keeps its configuration and log segments."""
        return self.home / "kafka"
