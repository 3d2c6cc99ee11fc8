"""Fixtures for comparing instrumentations: each one's spans for the same real SDK calls.

- `emit` / `coverage_tools`: the helper modules `peer_emit` and `peer_coverage`.
- `exports` (module): peer name -> the `ExportTraceServiceRequest` its subprocess produced,
  all four made in parallel against one provider simulator.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from llmledger.simulator import Simulator

_HERE = Path(__file__).parent
_EMIT_TIMEOUT_SECONDS = 120


def _load(name: str) -> ModuleType:
    # Test folders are not packages (pytest's importlib mode), so siblings load by path.
    spec = importlib.util.spec_from_file_location(f"tests_peers_{name}", _HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_EMIT = _load("peer_emit")
_COVERAGE = _load("peer_coverage")


@pytest.fixture(scope="session")
def emit() -> ModuleType:
    return _EMIT


@pytest.fixture(scope="session")
def coverage_tools() -> ModuleType:
    return _COVERAGE


@pytest.fixture(scope="session")
def exports(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, ExportTraceServiceRequest]]:
    out = tmp_path_factory.mktemp("peers")
    script = _HERE / "peer_emit.py"
    with Simulator() as sim:
        processes = {
            peer: subprocess.Popen(
                [sys.executable, str(script), peer, sim.openai_base_url, str(out / f"{peer}.pb")],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for peer in _EMIT.PEERS
        }
        for peer, process in processes.items():
            output, _ = process.communicate(timeout=_EMIT_TIMEOUT_SECONDS)
            assert process.returncode == 0, f"{peer} emitter failed:\n{output}"
    yield {
        peer: ExportTraceServiceRequest.FromString((out / f"{peer}.pb").read_bytes())
        for peer in _EMIT.PEERS
    }
