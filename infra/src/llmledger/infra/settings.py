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
LLMLEDGER_GATEWAY_GRPC_PORT        OTLP/gRPC port of `llmledger gateway` (4317; `off` disables it)
LLMLEDGER_GATEWAY_TOKEN            when set, exporters must send `Authorization: Bearer <token>`
LLMLEDGER_GATEWAY_TLS_CERT / _KEY  PEM files: serve HTTPS and gRPC over TLS (both or neither)
LLMLEDGER_GATEWAY_MAX_BODY_BYTES   largest accepted export, decompressed (1000000)
LLMLEDGER_GATEWAY_DELIVERY_TIMEOUT_S  wait for Kafka's ack before a retryable error (5 s)
LLMLEDGER_GATEWAY_RETRY_AFTER_S    retry delay told to exporters when Kafka cannot take data (2)
LLMLEDGER_GATEWAY_MAX_INFLIGHT_BYTES  bytes awaiting Kafka acks beyond which exports get 429
                                   (67108864)
LLMLEDGER_PRICE_OVERRIDES          custom prices CSV (default `$LLMLEDGER_HOME/price_overrides.csv`
                                   when present); a named file must exist
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
DEFAULT_GATEWAY_GRPC_PORT = 4317


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
    gateway_grpc_port: int | None = DEFAULT_GATEWAY_GRPC_PORT
    gateway_token: str | None = None
    gateway_tls_cert: Path | None = None
    gateway_tls_key: Path | None = None
    gateway_max_body_bytes: int = 1_000_000  # librdkafka's default message.max.bytes
    gateway_delivery_timeout_s: float = 5.0  # below the OTLP exporters' 10 s request timeout
    gateway_retry_after_s: int = 2
    gateway_max_inflight_bytes: int = 64 * 1024 * 1024
    price_overrides: Path | None = None  # negotiated / custom prices, see orchestration.prices

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
            gateway_grpc_port=_grpc_port(env.get("LLMLEDGER_GATEWAY_GRPC_PORT")),
            gateway_token=env.get("LLMLEDGER_GATEWAY_TOKEN") or None,
            gateway_tls_cert=_optional_path(env.get("LLMLEDGER_GATEWAY_TLS_CERT")),
            gateway_tls_key=_optional_path(env.get("LLMLEDGER_GATEWAY_TLS_KEY")),
            gateway_max_body_bytes=int(env.get("LLMLEDGER_GATEWAY_MAX_BODY_BYTES", "1000000")),
            gateway_delivery_timeout_s=float(env.get("LLMLEDGER_GATEWAY_DELIVERY_TIMEOUT_S", "5")),
            gateway_retry_after_s=int(env.get("LLMLEDGER_GATEWAY_RETRY_AFTER_S", "2")),
            gateway_max_inflight_bytes=int(
                env.get("LLMLEDGER_GATEWAY_MAX_INFLIGHT_BYTES", str(64 * 1024 * 1024))
            ),
            price_overrides=_price_overrides(env.get("LLMLEDGER_PRICE_OVERRIDES"), home),
        )

    @property
    def kafka_home(self) -> Path:
        """Where the locally started broker keeps its configuration and log segments."""
        return self.home / "kafka"


def _price_overrides(value: str | None, home: Path) -> Path | None:
    """A named file must exist (a typo must not silently drop negotiated prices); the
    default `<home>/price_overrides.csv` is used only when present."""
    if value:
        path = Path(value).resolve()
        if not path.is_file():
            raise ValueError(f"LLMLEDGER_PRICE_OVERRIDES={value}: no such file")
        return path
    default = home / "price_overrides.csv"
    return default if default.is_file() else None


def _grpc_port(value: str | None) -> int | None:
    """`off` (or empty) disables the gRPC listener; unset means port 4317."""
    if value is None:
        return DEFAULT_GATEWAY_GRPC_PORT
    if value.strip().lower() in ("", "off", "none", "disabled"):
        return None
    return int(value)


def _optional_path(value: str | None) -> Path | None:
    return Path(value).resolve() if value else None
