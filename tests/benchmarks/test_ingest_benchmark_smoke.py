"""The ingest benchmark runs end to end at a tiny size (its figures are not asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` lives beside the source roots
    sys.path.insert(0, str(ROOT))

from benchmarks.ingest.__main__ import main  # noqa: E402


def test_ingest_benchmark_smoke(kafka_bootstrap: str) -> None:
    results = main(["--fleet-spans", "2048", "--llm-spans", "1024", "--bootstrap", kafka_bootstrap])

    assert set(results) == {"fleet", "llm-only"}
    assert results["fleet"]["decode_only"]["spans"] == 2048
    assert results["llm-only"]["ingest"]["spans"] == 1024
    for phases in results.values():
        for figures in phases.values():
            assert figures["spans_per_second"] > 0 and figures["peak_rss_mib"] > 0
    # Every LLM span of the llm-only topic was counted into the lake's rate.
    assert results["llm-only"]["ingest"]["llm_spans_per_second"] > 0
