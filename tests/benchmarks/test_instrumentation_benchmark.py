"""Smoke test: the instrumentation benchmark runs end to end at a tiny size and reports sanely.

Performance itself is not asserted (timings on a shared machine are noise at this size); this
proves the benchmark measures what it claims: every configuration, every mode, and a floor.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
# The benchmark's interface, as the README documents it.
CONFIGURATIONS = {"llmledger", "official", "openllmetry", "openinference", "floor"}
MODES = {"non_streaming", "streaming", "streaming_usage"}


def test_benchmark_runs_every_configuration_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    command = [sys.executable, "-m", "benchmarks.instrumentation", "--rounds", "1"]
    completed = subprocess.run(
        [*command, "--calls", "2", "--json", str(out)],
        cwd=_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    figures = json.loads(out.read_text())
    assert set(figures["configurations"]) == CONFIGURATIONS
    for name, modes in figures["configurations"].items():
        assert set(modes) == MODES, name
        for mode in MODES:
            assert modes[mode]["baseline_us"] > 0, (name, mode)
    assert figures["floor_tight_loop_us"] > 0
    # Ratios are to the floor's own added time, mode by mode.
    for mode in MODES:
        assert figures["configurations"]["floor"][mode]["ratio_to_floor"] == 1.0
    assert "added us" in completed.stdout


def test_benchmark_rejects_an_unknown_configuration() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.instrumentation", "--configs", "nonesuch"],
        cwd=_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "unknown configurations ['nonesuch']" in completed.stderr
