"""What `llmledger kafka up|down|status` do, on top of `LocalKafka`.

A detached broker keeps its state in `Settings.kafka_home`; when
LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS names an existing cluster, nothing is started or stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llmledger.infra.kafka.broker_config import BrokerIdentity
from llmledger.infra.kafka.local_kafka import LocalKafka
from llmledger.infra.settings import Settings


@dataclass(frozen=True)
class KafkaStatus:
    """The state of the Kafka that llmledger uses.

    `external` is True when LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS is set; then `running` is not
    probed (it reports True: the cluster is someone else's to run) and `pid`/`data_folder` are None.
    `bootstrap_servers` is None only for a local broker that was never started.
    """

    running: bool
    bootstrap_servers: str | None
    pid: int | None
    data_folder: Path | None
    external: bool


def _local_broker(settings: Settings) -> LocalKafka:
    return LocalKafka(settings.kafka_home, libs_dir=settings.kafka_libs, detached=True)


def up(settings: Settings) -> str:
    """Start the local broker in the background unless it already runs; return bootstrap servers.

    With an external cluster configured, start nothing and return its bootstrap servers.
    """
    if settings.kafka_bootstrap_servers:
        return settings.kafka_bootstrap_servers
    return _local_broker(settings).start()


def down(settings: Settings) -> bool:
    """Stop the local broker; True if one was running. Never touches an external cluster."""
    if settings.kafka_bootstrap_servers:
        return False
    if BrokerIdentity.load(settings.kafka_home) is None:
        return False
    return _local_broker(settings).stop()


def status(settings: Settings) -> KafkaStatus:
    """Whether the broker runs, where, and whether it is local or external."""
    if settings.kafka_bootstrap_servers:
        return KafkaStatus(True, settings.kafka_bootstrap_servers, None, None, external=True)
    if BrokerIdentity.load(settings.kafka_home) is None:
        return KafkaStatus(False, None, None, settings.kafka_home, external=False)
    broker = _local_broker(settings)
    pid = broker.pid()
    return KafkaStatus(
        pid is not None, broker.bootstrap_servers, pid, broker.data_dir, external=False
    )


def bootstrap_servers_for(settings: Settings) -> str | None:
    """The bootstrap servers to use: the external cluster's, else the running local broker's."""
    if settings.kafka_bootstrap_servers:
        return settings.kafka_bootstrap_servers
    current = status(settings)
    return current.bootstrap_servers if current.running else None
