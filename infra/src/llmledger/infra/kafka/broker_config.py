"""Configuration files of a single-node KRaft broker (broker and controller in one JVM).

Everything a test or a laptop needs and nothing more: listeners on 127.0.0.1 only, every internal
topic with one replica, few partitions for the internal topics (their defaults of 50 cost start-up
time and file handles), and no delay before the first consumer group rebalance.
"""

from __future__ import annotations

import base64
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

HOST = "127.0.0.1"
IDENTITY_FILE = "broker.json"


@dataclass(frozen=True)
class BrokerIdentity:
    """What must stay the same across restarts of one data folder.

    The controller's address is written into the metadata log when storage is formatted, so the
    ports are chosen once and kept with the cluster id.
    """

    cluster_id: str
    port: int
    controller_port: int

    @property
    def bootstrap_servers(self) -> str:
        return f"{HOST}:{self.port}"

    def save(self, folder: Path) -> None:
        (folder / IDENTITY_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> BrokerIdentity | None:
        path = folder / IDENTITY_FILE
        if not path.is_file():
            return None
        fields = json.loads(path.read_text())
        return cls(
            cluster_id=str(fields["cluster_id"]),
            port=int(fields["port"]),
            controller_port=int(fields["controller_port"]),
        )


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, url-safe base64 without padding (as kafka-storage).

    Like Kafka's own `Uuid.randomUuid`, ids starting with "-" are drawn again: the storage
    tool's argument parser would read one as an option.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode("ascii")
        if not cluster_id.startswith("-"):
            return cluster_id


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def is_port_free(port: int) -> bool:
    """Whether the broker could listen on `port` (connections left in TIME_WAIT by a broker
    that was just stopped do not count: the JVM binds with SO_REUSEADDR too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def server_properties(identity: BrokerIdentity, log_dir: Path) -> str:
    """The broker's `server.properties`."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"{HOST}:{identity.controller_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listeners": f"PLAINTEXT://{HOST}:{identity.port},CONTROLLER://{HOST}:{identity.controller_port}",
        "advertised.listeners": (
            f"PLAINTEXT://{HOST}:{identity.port},CONTROLLER://{HOST}:{identity.controller_port}"
        ),
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(log_dir),
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "4",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "share.coordinator.state.topic.num.partitions": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
        "num.partitions": "1",
        # A laptop-sized broker: few threads, small segments and indexes, a week of retention.
        "num.network.threads": "2",
        "num.io.threads": "4",
        "background.threads": "4",
        "num.recovery.threads.per.data.dir": "1",
        "log.segment.bytes": str(16 * 1024 * 1024),
        "log.index.size.max.bytes": str(1024 * 1024),
        "log.retention.hours": "168",
        "log.retention.check.interval.ms": "300000",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def log4j_properties() -> str:
    """log4j2 configuration sending the broker's log to stdout, which is redirected to a file."""
    return (
        "status = warn\n"
        "appender.stdout.type = Console\n"
        "appender.stdout.name = STDOUT\n"
        "appender.stdout.layout.type = PatternLayout\n"
        "appender.stdout.layout.pattern = [%d] %p %m (%c)%n\n"
        "rootLogger.level = INFO\n"
        "rootLogger.appenderRef.stdout.ref = STDOUT\n"
        # Every client and server logs its full configuration at INFO (~2,000 lines per start);
        # server.properties is beside the log for that.
        "logger.config.name = org.apache.kafka.common.config.AbstractConfig\n"
        "logger.config.level = WARN\n"
        "logger.state.name = state.change.logger\n"
        "logger.state.level = WARN\n"
    )
