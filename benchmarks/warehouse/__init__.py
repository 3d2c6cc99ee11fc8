"""Warehouse benchmark: `python -m benchmarks.warehouse` generates a synthetic lake (10
million calls over 90 days by default) and times a full build, then an incremental build
of 100,000 new calls on that history and on an empty one (see `run.py`)."""
