"""Run the instrumentation overhead benchmark: one subprocess per configuration, rounds interleaved.

Each round visits every worker (one per instrumentation, plus the floor) in a fresh random
order, one at a time. A worker makes pairs of adjacent calls, one uninstrumented and one
instrumented, alternating which goes first, so machine noise lands on both halves of a pair
and on all configurations alike. Reported per configuration and mode: the median of the pairs'
differences ("added us"), and its ratio to the floor's, measured the same way (a bare span
with the attributes ours ends with, wrapped around the same calls).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.instrumentation.configs import CONFIGS, FLOOR
from benchmarks.instrumentation.stats import summarize, table
from benchmarks.instrumentation.worker import RESULT_PREFIX


class Worker:
    """A `benchmarks.instrumentation.worker` subprocess for one configuration (or the floor)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.instrumentation.worker", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run_round(self, calls: int) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(f"round {calls}\n")
        self._process.stdin.flush()
        for line in self._process.stdout:
            if line.startswith(RESULT_PREFIX):
                result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
                return result
        raise RuntimeError(f"benchmark worker {self.name} exited (code {self._process.wait()})")

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)


def run(configs: list[str], rounds: int, calls: int, seed: int = 0) -> dict[str, Any]:
    """Measure `configs` over `rounds` interleaved rounds of `calls` calls per mode."""
    workers = [Worker(name) for name in [*configs, FLOOR]]
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in [*configs, FLOOR]}
    order = random.Random(seed)
    try:
        for _ in range(rounds):
            for worker in order.sample(workers, len(workers)):
                results[worker.name].append(worker.run_round(calls))
    finally:
        for worker in workers:
            worker.close()
    summary = summarize(results, FLOOR)
    summary["parameters"] = {"rounds": rounds, "calls_per_round_and_mode": calls}
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instrumentation", description=__doc__
    )
    parser.add_argument("--rounds", type=int, default=12, help="interleaved rounds (default 12)")
    parser.add_argument(
        "--calls", type=int, default=60, help="calls per round and mode (default 60)"
    )
    peers = [name for name in CONFIGS if name != FLOOR]
    parser.add_argument(
        "--configs",
        default=",".join(peers),
        help=f"comma-separated subset of {', '.join(peers)} (the floor always runs)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    configs = [name for name in args.configs.split(",") if name]
    unknown = [name for name in configs if name not in peers]
    if unknown or args.rounds < 1 or args.calls < 1:
        parser.error(
            f"unknown configurations {unknown}" if unknown else "rounds and calls must be >= 1"
        )
    summary = run(configs, args.rounds, args.calls)
    print(table(summary, {name: CONFIGS[name].label for name in [*configs, FLOOR]}))
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
