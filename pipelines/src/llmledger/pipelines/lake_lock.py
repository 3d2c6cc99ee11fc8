"""The lake's reader/writer lock between consumers and compaction.

Consumers hold it shared while they write files and delete superseded ones; compaction
holds it exclusively while it swaps a day folder. Without it, a file a consumer renamed
into a folder just after compaction listed that folder would vanish with the old folder,
after its offsets were committed. `flock` locks die with their process, so a consumer
killed with SIGKILL never leaves the lake locked. Readers (dbt, DuckDB) take no lock.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".lake.lock"


@contextmanager
def lake_lock(lake: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold `<lake>/.lake.lock` shared (writers) or exclusive (compaction) inside the block."""
    lake.mkdir(parents=True, exist_ok=True)
    with (lake / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
