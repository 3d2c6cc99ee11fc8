"""Price tables kept between builds, keyed by everything they are made from.

Every warehouse build needs the price tables, but generating them means importing
genai-prices and walking its 2,000-odd models: about 3 s, more than the rest of an hourly
build's own work. The tables depend only on the installed genai-prices release, the code
of this package, the overrides file and the curated seed rows, so a table is stored under
a hash of exactly those, and a build whose inputs are unchanged reads it back (Parquet,
milliseconds) without importing genai-prices. Any change to an input is a new key, so a
stale table is never served: correcting a price still reprices on the next build.
Entries are shared by every checkout of the same user, like the Kafka jars.

Usage (in a dbt Python model)
-----
    from llmledger.orchestration.prices.table_cache import cached_table

    table = cached_table("prices", overrides_path, curated_rows, build=lambda: ...)
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_PACKAGE_DIR = Path(__file__).parent
_KEEP_SECONDS = 7 * 24 * 3600  # entries unused for a week are someone's old inputs


def cache_dir() -> Path:
    return Path.home() / ".cache" / "llmledger" / "price-tables"


def table_key(
    name: str, overrides_path: Path | None, curated_rows: Sequence[Mapping[str, Any]] | None
) -> str:
    """The hash of every input of table `name` (the curated rows' repr covers their types)."""
    digest = hashlib.sha256(name.encode())
    digest.update(metadata.version("genai-prices").encode())
    for source in sorted(_PACKAGE_DIR.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    digest.update(b"\0overrides\0")
    if overrides_path is not None:
        digest.update(overrides_path.read_bytes())
    digest.update(b"\0curated\0" + repr(curated_rows).encode())
    return digest.hexdigest()[:32]


def cached_table(
    name: str,
    overrides_path: Path | None,
    curated_rows: Sequence[Mapping[str, Any]] | None,
    build: Callable[[], pa.Table],
) -> pa.Table:
    """Table `name` for these inputs: read back if an earlier build made it, else `build()`
    it and keep it. An unreadable entry (a crash mid-write cannot leave one, see below) is
    rebuilt."""
    path = cache_dir() / f"{name}-{table_key(name, overrides_path, curated_rows)}.parquet"
    try:
        table = pq.read_table(path)
        os.utime(path)  # recently used: kept by the clean-up below
        return table
    except (OSError, pa.ArrowInvalid):
        pass
    table = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written under a name of its own and renamed: concurrent builds never see half a file.
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        pq.write_table(table, partial)
        partial.replace(path)
        _forget_unused(path.parent)
    except OSError:
        pass  # a read-only home still builds, only without the shortcut
    return table


def _forget_unused(folder: Path) -> None:
    cutoff = time.time() - _KEEP_SECONDS
    for entry in folder.glob("*.parquet"):
        try:
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
        except OSError:
            continue
