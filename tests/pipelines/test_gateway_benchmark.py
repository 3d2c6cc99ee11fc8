"""Smoke test: `python -m benchmarks.gateway` runs end to end at a tiny size.

Performance is not asserted (a handful of exports on a shared machine is noise); this proves
the benchmark measures both parts, each against its baseline, through the real broker.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINES = {
    "decode only": "x decode only",
    "decode + validate ids": "x decode only",
    "decode + validate + split": "x decode only",
    "bare producer": "x bare producer",
    "gateway intake, no HTTP": "x bare producer",
    "gateway over OTLP/HTTP": "x bare producer",
}


def test_the_benchmark_reports_every_rate_and_ratio(kafka_bootstrap: str) -> None:
    command = [sys.executable, "-m", "benchmarks.gateway", "--exports", "4", "--rounds", "1"]
    completed = subprocess.run(
        [*command, "--clients", "2", "--bootstrap", kafka_bootstrap],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    for name, baseline in LINES.items():
        match = re.search(
            rf"{re.escape(name)}\s+([\d,]+) spans/s\s+([\d.]+) {baseline}", completed.stdout
        )
        assert match is not None, (name, completed.stdout)
        assert int(match.group(1).replace(",", "")) > 0
        assert float(match.group(2)) > 0
