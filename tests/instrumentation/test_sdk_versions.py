"""The oldest supported SDK versions: the surface tests, rerun against each of them.

The environment has the newest SDKs; here each oldest supported release (the minimum in
instrumentation/pyproject.toml's extras) is installed once, with its dependencies, into a cached
folder (``~/.cache/llmledger/sdk-oldest/<package>-<version>``, or under
``$XDG_CACHE_HOME``) and put first on ``PYTHONPATH`` of one pytest subprocess per SDK, which
reruns that SDK's surface test files. Only the first run needs the package registry; without it
(and without a cached copy) the test is skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PYPROJECT = HERE.parents[1] / "instrumentation" / "pyproject.toml"
# extra name -> (import name, the surface test files it reruns)
SURFACE_TESTS = {
    "openai": (
        "openai",
        [
            "test_openai_chat.py",
            "test_openai_chat_events.py",
            "test_openai_chat_stream_end.py",
            "test_openai_responses.py",
            "test_openai_embeddings.py",
            "test_abandoned_streams.py",
        ],
    ),
    "anthropic": (
        "anthropic",
        ["test_anthropic_messages.py", "test_anthropic_stream.py", "test_abandoned_streams.py"],
    ),
    "google-genai": ("google.genai", ["test_google_genai.py"]),
}


def _oldest_supported(extra: str) -> str:
    """`package==version` from the extra's `package>=version` in pyproject.toml."""
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    [requirement] = extras[extra]
    package, separator, version = requirement.partition(">=")
    assert separator and version, f"extra {extra!r} should read 'package>=version'"
    return f"{package.strip()}=={version.strip()}"


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llmledger" / "sdk-oldest"


def _installed_folder(pinned: str) -> Path:
    """The cached install of `pinned`, installing it first if needed (else skip, saying why)."""
    folder = _cache_root() / pinned.replace("==", "-")
    if folder.is_dir():
        return folder
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip(f"{pinned} is not cached in {folder} and `uv` is not on PATH to install it")
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    installing = subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", sys.executable, "--target", partial, pinned],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if installing.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        pytest.skip(
            f"could not install {pinned} (registry unreachable?): {installing.stderr[-500:]}"
        )
    partial.rename(folder)  # only a complete install is ever cached
    return folder


@pytest.mark.parametrize("extra", sorted(SURFACE_TESTS))
def test_surface_tests_pass_with_the_oldest_supported_sdk(extra: str) -> None:
    pinned = _oldest_supported(extra)
    folder = _installed_folder(pinned)
    module, test_files = SURFACE_TESTS[extra]
    version = pinned.partition("==")[2]
    # One subprocess: check the old SDK is the one imported, then run its surface tests.
    program = (
        "import importlib.metadata, sys, pytest\n"
        f"found = importlib.metadata.version({pinned.partition('==')[0]!r})\n"
        f"assert found == {version!r}, found\n"
        f"import {module}\n"
        f"assert {module}.__file__.startswith({str(folder)!r}), {module}.__file__\n"
        "sys.exit(pytest.main(sys.argv[1:]))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]),
    }
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            program,
            *("-q", "-p", "no:cacheprovider", "--import-mode=importlib"),
            *(str(HERE / name) for name in test_files),
        ],
        cwd=HERE.parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    assert " passed" in finished.stdout
