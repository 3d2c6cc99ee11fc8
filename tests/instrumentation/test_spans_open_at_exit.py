"""A stream the app still holds unfinished when the process exits has its span exported.

Its span would otherwise end only when the stream is freed, after the tracer provider shut down
at exit; it ends first, as abandoned, with the response facts seen and without usage.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from llmledger.instrumentation import attributes as attr
from llmledger.simulator import Simulator


def test_span_of_a_stream_open_at_exit_is_exported(sim: Simulator) -> None:
    app = Path(__file__).with_name("_exit_with_open_stream.py")
    child = subprocess.run(
        [sys.executable, str(app), sim.openai_base_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    first_chunk_id, *exported = child.stdout.splitlines()
    [span] = [json.loads(line) for line in exported]
    attributes = span["attributes"]
    assert attributes[attr.PROVIDER_NAME] == "openai"
    assert attributes[attr.RESPONSE_ID] == first_chunk_id
    assert attributes[attr.STREAM_ABANDONED] is True
    assert attributes[attr.USAGE_MISSING] is True
    assert attr.USAGE_INPUT_TOKENS not in attributes
