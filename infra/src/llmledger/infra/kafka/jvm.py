"""Command lines for Kafka's JVM tools: storage formatting and the broker itself."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from llmledger.infra.kafka.processes import KafkaStartError

# C1-only JIT and the serial collector halve the JVM's start-up on a small machine (measured:
# ready in ~3 s instead of ~7 s); a local broker never needs C2's peak throughput.
FAST_START_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData")
_FORMAT_TIMEOUT_SECONDS = 120.0


def java_command(
    libs: Path, heap: str, log4j_config: Path, main_class: str, *args: str
) -> list[str]:
    """`java ... -cp 'LIBS/*' main_class args` with a bounded heap and fast start-up flags."""
    java = shutil.which("java") or "java"
    return [
        java,
        f"-Xmx{heap}",
        *FAST_START_JVM_FLAGS,
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j_config}",
        "-cp",
        f"{libs}/*",
        main_class,
        *args,
    ]


def format_storage(
    libs: Path, heap: str, log4j_config: Path, properties: Path, cluster_id: str
) -> None:
    """Format the KRaft storage of a standalone (single-voter) controller once."""
    command = java_command(
        libs, heap, log4j_config, "kafka.tools.StorageTool", "format", "--standalone",
        "-t", cluster_id, "-c", str(properties),
    )  # fmt: skip
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=_FORMAT_TIMEOUT_SECONDS, check=False
    )
    if completed.returncode != 0:
        raise KafkaStartError(
            f"Formatting Kafka storage for {properties} failed:\n"
            + (completed.stdout + completed.stderr).strip()
        )
