"""One benchmark subprocess: a single configuration, timed round by round on request.

Instrumenting several libraries in one process can leave patches behind, so each configuration
lives in its own process and the parent interleaves their rounds. Protocol: the parent writes
``round <calls>`` lines to stdin; the worker answers each with one ``RESULT <json>`` line on
stdout. Within a round, each mode makes `calls` pairs of calls, one uninstrumented and one
instrumented (which comes first alternates), and reports each pair's nanoseconds.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Final

from benchmarks.instrumentation.calls import Call, make_calls, make_client
from benchmarks.instrumentation.configs import CONFIGS, Config
from benchmarks.instrumentation.floor import BareSpanInstrumentor, tight_loop_ns
from benchmarks.instrumentation.patch_switch import PatchSwitch

RESULT_PREFIX: Final = "RESULT "
_WARMUP_PAIRS: Final = 3


def _timed(call: Call) -> int:
    start = time.perf_counter_ns()
    call()
    return time.perf_counter_ns() - start


def time_pairs(call: Call, switch: PatchSwitch, count: int) -> list[tuple[int, int]]:
    """`count` (uninstrumented ns, instrumented ns) pairs of adjacent calls."""
    pairs = []
    for index in range(_WARMUP_PAIRS + count):
        if index % 2:
            switch.on()
            instrumented = _timed(call)
            switch.off()
            baseline = _timed(call)
        else:
            baseline = _timed(call)
            switch.on()
            instrumented = _timed(call)
            switch.off()
        if index >= _WARMUP_PAIRS:
            pairs.append((baseline, instrumented))
    return pairs


class Worker:
    """The state of one configuration's process across rounds."""

    def __init__(self, config: Config) -> None:
        self.config = config
        # One provider for the process's life: some instrumentations keep the tracer they were
        # first given, whatever provider a later `instrument()` passes.
        self.provider = config.tracer_provider()
        self.instrumentor = config.make_instrumentor()
        self.switch = PatchSwitch(self.instrumentor, self.provider)
        self.calls = make_calls(make_client())

    def round(self, count: int) -> dict[str, Any]:
        with self.config.call_context():
            result: dict[str, Any] = {
                mode: time_pairs(call, self.switch, count) for mode, call in self.calls.items()
            }
        if isinstance(self.instrumentor, BareSpanInstrumentor):
            attributes = self.instrumentor.attributes
            result["tight_loop"] = tight_loop_ns(self.provider, attributes, count)
        return result


def main(name: str) -> None:
    if name not in CONFIGS:
        raise SystemExit(f"unknown configuration {name!r}")
    worker = Worker(CONFIGS[name])
    for line in sys.stdin:
        command, _, argument = line.partition(" ")
        if command != "round":
            raise SystemExit(f"unknown command {line!r}")
        sys.stdout.write(RESULT_PREFIX + json.dumps(worker.round(int(argument))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
