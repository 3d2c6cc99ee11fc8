"""The Apache Kafka that llmledger writes spans to: a real local broker, or an existing cluster.

Usage
-----
    from llmledger.infra.kafka import LocalKafka, ensure_topics, up

    bootstrap = up(Settings.from_env())          # `llmledger kafka up`
    ensure_topics(bootstrap, {"otlp_spans": 4})

Requires Java 17+ and (for the first, cached download of the broker's jars) Maven; see
`ensure_kafka_libs`. Configuration comes from `llmledger.infra.settings.Settings`.
"""

from llmledger.infra.kafka.kafka_libs import KafkaLibsError, ensure_kafka_libs
from llmledger.infra.kafka.lifecycle import KafkaStatus, bootstrap_servers_for, down, status, up
from llmledger.infra.kafka.local_kafka import LocalKafka
from llmledger.infra.kafka.prerequisites import KafkaPrerequisiteError, check_prerequisites
from llmledger.infra.kafka.processes import KafkaStartError
from llmledger.infra.kafka.topics import ensure_topics

__all__ = [
    "KafkaLibsError",
    "KafkaPrerequisiteError",
    "KafkaStartError",
    "KafkaStatus",
    "LocalKafka",
    "bootstrap_servers_for",
    "check_prerequisites",
    "down",
    "ensure_kafka_libs",
    "ensure_topics",
    "status",
    "up",
]
