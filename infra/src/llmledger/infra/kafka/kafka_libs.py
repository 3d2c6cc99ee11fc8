"""Fetches the Apache Kafka broker's jars from Maven Central once, into a per-user cache.

Kafka is not packaged for PyPI or Debian, so `kafka-pom.xml` (package data beside this package)
asks Maven for `org.apache.kafka:kafka_2.13` and a log4j backend and copies every runtime jar into
one folder, which `java -cp 'LIBS/*'` runs. The download is built in a scratch folder next to the
cache and renamed into place with a marker file inside, so an interrupted download is never
mistaken for a complete one.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from llmledger.infra.kafka.prerequisites import check_prerequisites
from llmledger.infra.settings import KAFKA_VERSION, Settings

COMPLETE_MARKER = ".llmledger-complete"
BROKER_JAR = f"kafka_2.13-{KAFKA_VERSION}.jar"
_MAVEN_TIMEOUT_SECONDS = 20 * 60


class KafkaLibsError(RuntimeError):
    """Maven could not fetch the Kafka broker's jars."""


def kafka_pom() -> bytes:
    """The Maven project that lists the broker's jars (package data of `llmledger.infra`)."""
    return resources.files("llmledger.infra").joinpath("kafka-pom.xml").read_bytes()


def is_complete(libs_dir: Path) -> bool:
    """Whether `libs_dir` holds a finished download (marker written last, broker jar present)."""
    return (libs_dir / COMPLETE_MARKER).is_file() and (libs_dir / BROKER_JAR).is_file()


def ensure_kafka_libs(libs_dir: Path | None = None) -> Path:
    """Return a folder holding every jar of the Kafka broker, downloading it with Maven if needed.

    `libs_dir` defaults to `Settings.from_env().kafka_libs` ($LLMLEDGER_KAFKA_LIBS, else
    `~/.cache/llmledger/kafka-4.3.1/libs`). A complete cache is reused without running Maven.
    Raises `KafkaPrerequisiteError` when Java 17+ (or, for a download, Maven) is missing and
    `KafkaLibsError` when Maven fails.
    """
    target = (libs_dir or Settings.from_env().kafka_libs).resolve()
    check_prerequisites(need_maven=not is_complete(target))
    if is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(target.parent / f".{target.name}.lock"):
        # Another process may have finished the download while this one waited for the lock.
        if not is_complete(target):
            _download_into(target)
    return target


@contextmanager
def _exclusive_lock(lock_file: Path) -> Iterator[None]:
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download_into(target: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-download-", dir=target.parent))
    try:
        # Maven writes `target/` next to the pom it is given, so it gets a copy in the scratch
        # folder: the installed package (and the source tree) stays untouched.
        pom = scratch / "pom.xml"
        pom.write_bytes(kafka_pom())
        fresh_libs = scratch / "libs"
        _run_maven(pom, fresh_libs)
        if not (fresh_libs / BROKER_JAR).is_file():
            raise KafkaLibsError(f"Maven finished but {BROKER_JAR} is not in {fresh_libs}.")
        (fresh_libs / COMPLETE_MARKER).write_text(f"Apache Kafka {KAFKA_VERSION}\n")
        if target.exists():
            # Left over from an interrupted earlier attempt (no marker): replace it whole.
            shutil.rmtree(target)
        fresh_libs.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_maven(pom: Path, output_dir: Path) -> None:
    command = ["mvn", "-q", "-B", "-f", str(pom), "package", f"-Dkafka.libs={output_dir}"]
    try:
        completed = subprocess.run(
            command,
            cwd=pom.parent,
            capture_output=True,
            text=True,
            timeout=_MAVEN_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise KafkaLibsError(f"Maven did not finish within {error.timeout:.0f} s.") from error
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-30:])
        raise KafkaLibsError(
            f"`{' '.join(command)}` failed with exit code {completed.returncode} "
            f"(is Maven Central reachable?):\n{tail}"
        )
