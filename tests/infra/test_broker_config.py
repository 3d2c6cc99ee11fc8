"""Generated broker configuration: cluster ids and server.properties."""

from __future__ import annotations

import base64
from pathlib import Path

from llmledger.infra.kafka.broker_config import (
    BrokerIdentity,
    new_cluster_id,
    server_properties,
)


def test_cluster_ids_are_16_random_bytes_never_starting_with_a_dash() -> None:
    ids = {new_cluster_id() for _ in range(2000)}
    assert len(ids) == 2000
    for cluster_id in ids:
        assert len(cluster_id) == 22 and "=" not in cluster_id
        assert not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_server_properties_single_node_on_loopback(tmp_path: Path) -> None:
    identity = BrokerIdentity(cluster_id="abc", port=40001, controller_port=40002)
    lines = server_properties(identity, tmp_path / "data").splitlines()
    properties = dict(line.split("=", 1) for line in lines)
    assert len(properties) == len(lines)  # no key given twice
    assert properties["process.roles"] == "broker,controller"
    assert properties["controller.quorum.bootstrap.servers"] == "127.0.0.1:40002"
    assert properties["listeners"] == "PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002"
    assert properties["log.dirs"] == str(tmp_path / "data")
    replication = {key: v for key, v in properties.items() if key.endswith("replication.factor")}
    min_isr = {key: v for key, v in properties.items() if key.endswith("min.isr")}
    assert set(replication.values()) == {"1"} and len(replication) == 4
    assert set(min_isr.values()) == {"1"} and len(min_isr) == 2
