"""The Java/Maven check and its advice, run with a PATH that lacks the tools."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from llmledger.infra.kafka import KafkaPrerequisiteError, check_prerequisites, ensure_kafka_libs
from llmledger.infra.kafka.prerequisites import java_major_version


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_392"', 8),
        ("Error: could not find libjava.so", None),
    ],
)
def test_java_major_version(output: str, major: int | None) -> None:
    assert java_major_version(output) == major


def test_missing_java_and_maven_are_both_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(KafkaPrerequisiteError) as raised:
        check_prerequisites()
    message = str(raised.value)
    assert "`java` was not found on PATH" in message
    assert "`mvn` was not found on PATH" in message
    assert "apt-get install openjdk-17-jre-headless maven" in message
    assert "LLMLEDGER_KAFKA_BOOTSTRAP_SERVERS" in message


def test_ensure_kafka_libs_checks_before_touching_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(KafkaPrerequisiteError, match="java"):
        ensure_kafka_libs(tmp_path / "cache" / "libs")
    assert not (tmp_path / "cache").exists()


def test_old_java_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_java = tmp_path / "java"
    fake_java.write_text("#!/bin/sh\necho 'java version \"1.8.0_392\"' >&2\n")
    fake_java.chmod(fake_java.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(KafkaPrerequisiteError, match=r"needs Java 17\+, but .* is Java 8"):
        check_prerequisites(need_maven=False)


def test_installed_tools_pass() -> None:
    if shutil.which("java") is None or shutil.which("mvn") is None:
        pytest.skip("java or mvn is not installed here")
    check_prerequisites()
