"""`python -m llmledger.pipelines.consumer_process`: the consumer as a process of its own.

    python -m llmledger.pipelines.consumer_process [--until-caught-up] [--group-id G]
        [--instance-id I] [--max-batch-rows N] [--max-batch-seconds S]

Configuration comes from `Settings.from_env()`. Runs `ingest.run` until caught up, or until
SIGTERM/SIGINT, which finish and commit the batches in hand: exit status 0. Used by the
crash tests (which kill it with SIGKILL) and by anyone who wants the consumer without the
CLI; `main` is what a CLI verb can call.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from llmledger.infra.settings import Settings
from llmledger.pipelines import ingest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m llmledger.pipelines.consumer_process")
    parser.add_argument("--until-caught-up", action="store_true")
    parser.add_argument("--group-id", default=ingest.DEFAULT_GROUP_ID)
    parser.add_argument("--instance-id", help="static group membership id (fast restarts)")
    parser.add_argument("--max-batch-rows", type=int, default=ingest.DEFAULT_MAX_BATCH_ROWS)
    parser.add_argument("--max-batch-seconds", type=float, default=ingest.DEFAULT_MAX_BATCH_SECONDS)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stats = ingest.run(
        Settings.from_env(),
        until_caught_up=args.until_caught_up,
        group_id=args.group_id,
        group_instance_id=args.instance_id,
        max_batch_rows=args.max_batch_rows,
        max_batch_seconds=args.max_batch_seconds,
    )
    print(stats, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
