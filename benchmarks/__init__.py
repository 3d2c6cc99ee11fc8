"""Benchmarks, one package per area, each run as ``python -m benchmarks.<area>``."""
