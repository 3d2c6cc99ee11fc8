"""Checks that the tools a local Kafka broker needs are installed, with advice when they are not.

The broker is Apache Kafka from Maven Central run on the local JVM, so it needs Java 17+ to run
and Maven to fetch its jars the first time. Both are looked up on PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess

MINIMUM_JAVA_MAJOR = 17

_INSTALL_ADVICE = (
    "Install them, e.g. `apt-get install openjdk-17-jre-headless maven` on Debian/Ubuntu "
    "or `brew install openjdk@17 maven` on macOS, and make sure `java` and `mvn` are on PATH. "
    "Or skip the local broker: set LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS to an existing Kafka cluster "
    "(for example the one in infra/compose/docker-compose.yml)."
)

# `java -version` prints e.g. `openjdk version "17.0.15" 2025-04-15` or, before Java 9, "1.8.0_392".
_JAVA_VERSION = re.compile(r'version "(?P<first>\d+)(?:\.(?P<second>\d+))?')


class KafkaPrerequisiteError(RuntimeError):
    """Java or Maven is missing or too old to run the local Kafka broker."""


def java_major_version(version_output: str) -> int | None:
    """The Java feature release (8, 11, 17, 21, ...) named in `java -version` output, if any."""
    match = _JAVA_VERSION.search(version_output)
    if match is None:
        return None
    first = int(match["first"])
    if first == 1 and match["second"] is not None:
        return int(match["second"])
    return first


def _java_problem() -> str | None:
    java = shutil.which("java")
    if java is None:
        return f"Java {MINIMUM_JAVA_MAJOR}+ is required but `java` was not found on PATH."
    try:
        completed = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`{java} -version` could not be run: {error}."
    # The JVM prints its version on stderr.
    output = completed.stderr + completed.stdout
    major = java_major_version(output)
    if major is None:
        first_line = output.strip().splitlines()[0] if output.strip() else "no output"
        return f"Could not tell the Java version of {java} ({first_line!r})."
    if major < MINIMUM_JAVA_MAJOR:
        return f"Kafka 4 needs Java {MINIMUM_JAVA_MAJOR}+, but {java} is Java {major}."
    return None


def _maven_problem() -> str | None:
    if shutil.which("mvn") is None:
        return "Maven is required to download the Kafka broker but `mvn` was not found on PATH."
    return None


def check_prerequisites(*, need_maven: bool = True) -> None:
    """Raise `KafkaPrerequisiteError` naming every missing tool and how to install it.

    `need_maven=False` skips the Maven check, for when the broker's jars are already cached.
    """
    problems = [_java_problem()]
    if need_maven:
        problems.append(_maven_problem())
    found = [problem for problem in problems if problem is not None]
    if found:
        raise KafkaPrerequisiteError(
            "Cannot run a local Kafka broker: " + " ".join(found) + " " + _INSTALL_ADVICE
        )
