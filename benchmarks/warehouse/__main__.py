"""`python -m benchmarks.warehouse [--calls N] [--new-calls N] [--days N] [--workdir DIR]`:
generate a synthetic lake and time the warehouse's full and incremental builds."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from benchmarks.warehouse.run import run_benchmark


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.warehouse", description=__doc__)
    parser.add_argument("--calls", type=int, default=10_000_000, help="calls in the history")
    parser.add_argument("--new-calls", type=int, default=100_000, help="calls of the increment")
    parser.add_argument("--days", type=int, default=90, help="days the history spans")
    parser.add_argument("--workdir", type=Path, help="keep the lakes and warehouses here")
    args = parser.parse_args(argv)
    if args.calls <= 0 or args.new_calls <= 0 or args.days <= 0:
        parser.error("--calls, --new-calls and --days must be positive")
    if args.workdir is not None and args.workdir.exists():
        parser.error(f"--workdir {args.workdir} already exists")

    scratch = None if args.workdir else Path(tempfile.mkdtemp(prefix="llmledger-bench-"))
    workdir = args.workdir or scratch / "run"  # type: ignore[operator]
    try:
        report = run_benchmark(workdir, calls=args.calls, new_calls=args.new_calls, days=args.days)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    print(report.table())


if __name__ == "__main__":
    main()
