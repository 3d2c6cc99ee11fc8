"""The one way llmledger runs dbt: the CLI's `build_warehouse` and Dagster's dbt assets both
go through `WarehouseDbt.cli`, so a build means the same thing everywhere.

dbt reads the lake and warehouse locations with `env_var()` (the source's external
location, the profile's path), while the values come from `Settings`. dagster-dbt starts
dbt as a subprocess that inherits this process's environment and offers no way to pass
one, so the variables are set around the moment the subprocess starts (under a lock) and
restored right after.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject

from llmledger.infra.settings import Settings

_ENVIRONMENT_LOCK = threading.Lock()


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


def warehouse_environment(lake: Path | str, warehouse: Path | str) -> dict[str, str]:
    """The variables the dbt project reads with `env_var()`."""
    return {
        "LLMLEDGER_LAKE": os.fspath(lake),
        "LLMLEDGER_WAREHOUSE": os.fspath(warehouse),
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
    the manifest is parsed only when missing (a fresh clone), so a deployment that prepared
    it beforehand (this function, or `dagster-dbt project prepare-and-package`) never runs
    `dbt parse` while loading its definitions.
    """
    with _process_environment(warehouse_environment(settings.lake, settings.warehouse)):
        WAREHOUSE_PROJECT.prepare_if_dev()
        if not WAREHOUSE_PROJECT.manifest_path.exists():
            WAREHOUSE_PROJECT.preparer.prepare(WAREHOUSE_PROJECT)
    return WAREHOUSE_PROJECT.manifest_path


class WarehouseDbt(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Runs dbt commands against one lake and one DuckDB warehouse."""

    lake: str
    warehouse: str
    artifacts_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseDbt:
        return cls(
            lake=str(settings.lake),
            warehouse=str(settings.warehouse),
            artifacts_dir=str(settings.home / "dbt"),
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
        with _process_environment(warehouse_environment(self.lake, self.warehouse)):
            dbt = DbtCliResource(
                project_dir=WAREHOUSE_PROJECT, dbt_executable=str(_dbt_executable())
            )
            return dbt.cli(
                list(args),
                context=context,
                raise_on_error=raise_on_error,
                target_path=self.target_path,
            )
