"""`ensure_kafka_libs`: a real Maven download, repaired when half-finished, then reused."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from llmledger.infra.kafka import ensure_kafka_libs
from llmledger.infra.kafka.kafka_libs import BROKER_JAR, COMPLETE_MARKER
from llmledger.infra.settings import Settings


def _counting_maven(bin_dir: Path, calls: Path) -> None:
    real_mvn = shutil.which("mvn")
    if real_mvn is None:
        pytest.skip("Maven is not installed here")
    bin_dir.mkdir()
    wrapper = bin_dir / "mvn"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\nexec "{real_mvn}" "$@"\n')
    wrapper.chmod(0o755)


def test_download_replaces_a_half_finished_one_and_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "mvn-calls.txt"
    _counting_maven(tmp_path / "bin", calls)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    libs = tmp_path / "cache" / "libs"
    libs.mkdir(parents=True)
    (libs / "half-written.jar").write_bytes(b"interrupted")  # no completion marker

    assert ensure_kafka_libs(libs) == libs
    assert len(calls.read_text().splitlines()) == 1
    assert (libs / COMPLETE_MARKER).is_file() and (libs / BROKER_JAR).is_file()
    assert not (libs / "half-written.jar").exists()
    assert len(list(libs.glob("*.jar"))) > 20
    # Scratch folders are cleaned up; only the cache and its lock file remain.
    assert sorted(path.name for path in libs.parent.iterdir()) == [".libs.lock", "libs"]
    # Maven's target/ went to the scratch folder, never beside the packaged pom.
    assert not (Path(__file__).parents[2] / "infra/src/llmledger/infra/target").exists()

    assert ensure_kafka_libs(libs) == libs
    assert len(calls.read_text().splitlines()) == 1


def test_complete_cache_needs_no_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    java = shutil.which("java")
    if java is None:
        pytest.skip("Java is not installed here")
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / BROKER_JAR).write_bytes(b"stands in for the jar")
    (libs / COMPLETE_MARKER).write_text("done\n")
    java_only = tmp_path / "bin"
    java_only.mkdir()
    (java_only / "java").symlink_to(java)
    monkeypatch.setenv("PATH", str(java_only))
    assert ensure_kafka_libs(libs) == libs


def test_cache_location_comes_from_settings(tmp_path: Path) -> None:
    chosen = Settings.from_env({"LLMLEDGER_KAFKA_LIBS": str(tmp_path / "jars")})
    assert chosen.kafka_libs == tmp_path / "jars"
    default = Settings.from_env({}).kafka_libs
    assert default == Path.home() / ".cache/llmledger/kafka-4.3.1/libs"
