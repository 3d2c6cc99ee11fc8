"""The warehouse benchmark: a full build over a large lake, then the same batch of new
calls built incrementally on top of that history and on top of an empty one."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from benchmarks.warehouse.synthetic_lake import check_layout, write_calls
from llmledger.infra.settings import Settings
from llmledger.orchestration.warehouse import build_warehouse

FIRST_DAY = date(2025, 11, 1)
FULL_BUILD_TARGET_S = 60.0
INCREMENTAL_TARGET_S = 15.0
INCREMENTAL_RATIO_TARGET = 1.5


@dataclass(frozen=True)
class Measurement:
    step: str
    calls: int
    seconds: float


@dataclass(frozen=True)
class Report:
    generate: Measurement
    full: Measurement
    incremental: Measurement
    incremental_on_empty: Measurement

    @property
    def ratio(self) -> float:
        """The incremental build on top of the history, relative to the same on an empty one."""
        return self.incremental.seconds / self.incremental_on_empty.seconds

    def table(self) -> str:
        rows = [
            ("step", "calls", "seconds", "target"),
            (self.generate.step, f"{self.generate.calls:,}", f"{self.generate.seconds:.1f}", ""),
            (
                self.full.step,
                f"{self.full.calls:,}",
                f"{self.full.seconds:.1f}",
                f"<= {FULL_BUILD_TARGET_S:.0f} s",
            ),
            (
                self.incremental.step,
                f"{self.incremental.calls:,}",
                f"{self.incremental.seconds:.1f}",
                f"<= {INCREMENTAL_TARGET_S:.0f} s",
            ),
            (
                self.incremental_on_empty.step,
                f"{self.incremental_on_empty.calls:,}",
                f"{self.incremental_on_empty.seconds:.1f}",
                "",
            ),
            (
                "ratio: incremental on history / on empty",
                "",
                f"{self.ratio:.2f}",
                f"<= {INCREMENTAL_RATIO_TARGET}",
            ),
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows
        )


def run_benchmark(workdir: Path, *, calls: int, new_calls: int, days: int) -> Report:
    """Measure in `workdir` (which must not exist yet): `calls` over `days` days, then
    `new_calls` on the following day, on that history and on an empty one."""
    workdir.mkdir(parents=True)
    history = Settings.from_env({"LLMLEDGER_HOME": str(workdir / "history")})
    empty = Settings.from_env({"LLMLEDGER_HOME": str(workdir / "empty")})
    new_day = FIRST_DAY + timedelta(days=days)

    started = time.monotonic()
    write_calls(history.lake, calls=calls, first_day=FIRST_DAY, days=days, seed=1)
    generate = Measurement("generate the lake", calls, time.monotonic() - started)
    check_layout(history.lake)

    full = build_warehouse(history, full_refresh=True)
    write_calls(history.lake, calls=new_calls, first_day=new_day, days=1, seed=2)
    incremental = build_warehouse(history)

    # The same batch on an installation whose warehouse was built from an empty lake.
    build_warehouse(empty)
    write_calls(empty.lake, calls=new_calls, first_day=new_day, days=1, seed=2)
    incremental_on_empty = build_warehouse(empty)

    return Report(
        generate=generate,
        full=Measurement("full build", calls, full.elapsed_seconds),
        incremental=Measurement(
            "incremental build on the history", new_calls, incremental.elapsed_seconds
        ),
        incremental_on_empty=Measurement(
            "incremental build on an empty history", new_calls, incremental_on_empty.elapsed_seconds
        ),
    )
