"""The one way llmledger runs dbt: the CLI's `build_warehouse` (`WarehouseDbt.run`) and
Dagster's dbt assets (`WarehouseDbt.cli`) both go through `WarehouseDbt`, with the same
project, environment and artifact folder, so a build means the same thing everywhere.

dbt reads the lake and warehouse locations with `env_var()` (the source's external
location, the profile's path), while the values come from `Settings`. dagster-dbt starts
dbt as a subprocess that inherits this process's environment and offers no way to pass
one, so the variables are set around the moment the subprocess starts (under a lock) and
restored right after. `run` starts dbt itself with the environment passed explicitly:
outside Dagster nothing needs dagster-dbt's event stream, and skipping it saves the
`dbt --version` call and in-process adapter set-up dagster-dbt makes per invocation
(several seconds, more than an incremental build's own work).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject

from llmledger.infra.settings import Settings

_ENVIRONMENT_LOCK = threading.Lock()

BUILD_ARGS: Final = ("build", "--exclude-resource-type", "unit_test")
"""A warehouse build: seeds, models and data tests. dbt's unit tests check the SQL, not the
data, so they run with the test suite (`dbt test --select test_type:unit`), not in every
hourly build, where they would add seconds without ever finding anything new."""


def find_dbt_project_dir() -> Path:
    """The dbt project lives at the repository root, beside the Python source roots."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "dbt_project" / "dbt_project.yml").is_file():
            return folder / "dbt_project"
    raise FileNotFoundError(f"no dbt_project/dbt_project.yml above {Path(__file__).parent}")


WAREHOUSE_PROJECT = DbtProject(project_dir=find_dbt_project_dir())
"""The dbt project, declared once. Its manifest (`target/manifest.json` inside the project)
describes the assets; builds write their artifacts under `$LLMLEDGER_HOME/dbt` instead."""


def _dbt_executable() -> Path:
    # The `dbt` installed beside this interpreter, whether or not its bin folder is on PATH.
    return Path(sys.executable).with_name("dbt")


def warehouse_environment(
    lake: Path | str, warehouse: Path | str, price_overrides: Path | str = ""
) -> dict[str, str]:
    """The variables the dbt project reads with `env_var()` ("" overrides: none)."""
    return {
        "LLMLEDGER_LAKE": os.fspath(lake),
        "LLMLEDGER_WAREHOUSE": os.fspath(warehouse),
        "LLMLEDGER_PRICE_OVERRIDES": os.fspath(price_overrides),
        "PATH": os.pathsep.join([str(_dbt_executable().parent), os.environ.get("PATH", "")]),
    }


@contextmanager
def _process_environment(overrides: Mapping[str, str]) -> Iterator[None]:
    with _ENVIRONMENT_LOCK:
        saved = {name: os.environ.get(name) for name in overrides}
        os.environ.update(overrides)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def prepare_manifest(settings: Settings) -> Path:
    """Make sure `WAREHOUSE_PROJECT.manifest_path` exists and return it.

    Under `dagster dev` the project is re-parsed on every load (`prepare_if_dev`). Elsewhere
    the manifest is parsed only when missing (a fresh clone) or older than a project file
    (a stale manifest would name assets that no longer match the models), so a deployment
    that prepared it beforehand (this function, or `dagster-dbt project prepare-and-package`)
    never runs `dbt parse` while loading its definitions.
    """
    environment = warehouse_environment(
        settings.lake, settings.warehouse, settings.price_overrides or ""
    )
    with _process_environment(environment):
        WAREHOUSE_PROJECT.prepare_if_dev()
        if _manifest_is_stale(WAREHOUSE_PROJECT.manifest_path, WAREHOUSE_PROJECT.project_dir):
            WAREHOUSE_PROJECT.preparer.prepare(WAREHOUSE_PROJECT)
    return WAREHOUSE_PROJECT.manifest_path


def _manifest_is_stale(manifest: Path, project_dir: Path) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = ("dbt_project.yml", "models", "macros", "seeds", "tests")
    return any(
        path.stat().st_mtime > built
        for name in sources
        for path in (
            [project_dir / name] if name.endswith(".yml") else (project_dir / name).rglob("*")
        )
        if path.is_file()
    )


class WarehouseDbt(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Runs dbt commands against one lake and one DuckDB warehouse."""

    lake: str
    warehouse: str
    artifacts_dir: str
    price_overrides: str = ""  # path of the validated overrides file; "" for none

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseDbt:
        return cls(
            lake=str(settings.lake),
            warehouse=str(settings.warehouse),
            artifacts_dir=str(settings.home / "dbt"),
            price_overrides=str(settings.price_overrides or ""),
        )

    @property
    def target_path(self) -> Path:
        """Where dbt writes run_results.json, the compiled SQL and dbt.log."""
        return Path(self.artifacts_dir) / "target"

    def cli(
        self,
        args: Sequence[str],
        *,
        context: dg.AssetExecutionContext | None = None,
        raise_on_error: bool = True,
    ) -> DbtCliInvocation:
        """Start `dbt <args>`; stream or wait on the returned invocation.

        With a Dagster `context`, dagster-dbt narrows the command to the selected assets and
        turns dbt's events into materializations and asset check results.
        """
        Path(self.warehouse).parent.mkdir(parents=True, exist_ok=True)
        with _process_environment(
            warehouse_environment(self.lake, self.warehouse, self.price_overrides)
        ):
            dbt = DbtCliResource(
                project_dir=WAREHOUSE_PROJECT, dbt_executable=str(_dbt_executable())
            )
            return dbt.cli(
                list(args),
                context=context,
                raise_on_error=raise_on_error,
                target_path=self.target_path,
            )

    def run(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """Run `dbt <args>` to completion in a subprocess and return it (output captured);
        dbt's results are in `target_path / "run_results.json"`."""
        Path(self.warehouse).parent.mkdir(parents=True, exist_ok=True)
        environment = os.environ | warehouse_environment(
            self.lake, self.warehouse, self.price_overrides
        )
        command = [
            str(_dbt_executable()),
            *args,
            "--project-dir",
            str(WAREHOUSE_PROJECT.project_dir),
            "--profiles-dir",
            str(WAREHOUSE_PROJECT.profiles_dir),
            "--target-path",
            str(self.target_path),
            "--log-path",
            str(self.target_path),
        ]
        return subprocess.run(
            command,
            env=environment,
            cwd=WAREHOUSE_PROJECT.project_dir,
            capture_output=True,
            text=True,
            check=False,
        )
