"""The run store: every finished run on disk, keyed by (canonical scenario, seed, model version).

Layout under the store's directory (default ``results/store`` below the working directory;
``SIM_STORE_DIR`` moves it, ``SIM_STORE=off`` turns it off)::

    <model version>/<scenario key>/scenario.json     the canonical scenario, for `sim store info`
    <model version>/<scenario key>/<seed>.parquet    one run: the monthly series as a Parquet
                                                     table, the summary as JSON in its metadata
    <model version>/<scenario key>/ensemble-<seeds hash>.parquet
                                                     an ensemble's bands as a Parquet table, its
                                                     run summaries, summary and death months as
                                                     JSON in the metadata

* **Model version**: a SHA-256 of every source file of ``sim/config``, ``sim/model`` and
  ``sim/analysis`` plus the runner, ensemble, executor and store modules of ``sim/experiment``
  (what a run, its summary and an ensemble are made of) and the numpy, pandas and Mesa versions.
  Any code change gives a new version, so a stale run is never served; `sim store clear
  --stale` deletes the old ones.
* **Scenario key**: a SHA-256 of the scenario's levers as canonical JSON (sorted keys), without
  what does not reach the model (``name``, ``description``, ``seeds``, ``expect``).
* **Atomic**: each run is written to a temporary file in its folder, fsynced and renamed, so a
  run killed mid-write (SIGKILL included) leaves either the whole run or nothing; leftovers of
  temporary files are ignored and removed by `sim store clear`.

Reading a run back gives the same series (values and dtypes) and summary as computing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sim.config import Scenario
from sim.experiment.executors import CompactRun

STORE_ENV = "SIM_STORE"  # "off" (or 0/false/no) disables the store
STORE_DIR_ENV = "SIM_STORE_DIR"  # where the store lives
DEFAULT_DIR = Path("results") / "store"
OFF_VALUES = frozenset({"off", "0", "false", "no"})
NOT_RUN_FIELDS = frozenset({"name", "description", "seeds", "expect"})
SUMMARY_META = b"sim.summary"
RUN_SUFFIX = ".parquet"
VERSIONED_SOURCES = (
    "config",
    "model",
    "analysis",
    "experiment/runner.py",
    "experiment/ensemble.py",
    "experiment/executors.py",
    "experiment/store.py",
)
ENSEMBLE_META = b"sim.ensemble"
VERSIONED_PACKAGES = ("numpy", "pandas", "mesa")


@cache
def model_version() -> str:
    """SHA-256 (first 16 hex digits) of the code and library versions a run depends on."""
    from importlib.metadata import version

    packages = "".join(f"{name}=={version(name)}\0" for name in VERSIONED_PACKAGES)
    return source_version(Path(__file__).resolve().parent.parent, packages)


def source_version(root: Path, extra: str = "") -> str:
    """SHA-256 (16 hex digits) of ``VERSIONED_SOURCES`` under ``root`` (a ``sim`` package)."""
    digest = hashlib.sha256(extra.encode())
    for source in VERSIONED_SOURCES:
        path = root / source
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def canonical_scenario(scenario: Scenario) -> str:
    """The scenario's levers as canonical JSON: what the model reads, sorted keys."""
    data = scenario.model_dump(mode="json", exclude=set(NOT_RUN_FIELDS))
    if not data.get("schedule"):
        data.pop("schedule", None)  # no schedule: the key of a run from before schedules existed
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def scenario_key(scenario: Scenario) -> str:
    return hashlib.sha256(canonical_scenario(scenario).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class StoreInfo:
    path: Path
    version: str
    runs: int
    scenarios: int
    stale_runs: int
    stale_versions: int
    bytes: int


class RunStore:
    """Finished runs on disk; see the module docstring for the layout and guarantees."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.version = model_version()

    def _folder(self, scenario: Scenario) -> Path:
        return self.path / self.version / scenario_key(scenario)

    def _file(self, scenario: Scenario, seed: int) -> Path:
        return self._folder(scenario) / f"{int(seed)}{RUN_SUFFIX}"

    def has(self, scenario: Scenario, seed: int) -> bool:
        return self._file(scenario, seed).is_file()

    def seeds(self, scenario: Scenario) -> set[int]:
        """Seeds of ``scenario`` already stored under the current model version."""
        folder = self._folder(scenario)
        if not folder.is_dir():
            return set()
        return {int(p.stem) for p in folder.glob(f"*{RUN_SUFFIX}") if p.stem.isdigit()}

    def get(self, scenario: Scenario, seed: int) -> CompactRun | None:
        """The stored run, or None when there is none (or it cannot be read: it is recomputed)."""
        import pyarrow.parquet as pq

        file = self._file(scenario, seed)
        try:
            table = pq.read_table(file)
        except (FileNotFoundError, OSError, ValueError):
            return None
        summary = json.loads(table.schema.metadata[SUMMARY_META])
        columns = {name: table.column(name).to_numpy() for name in table.column_names}
        return CompactRun(seed=int(seed), summary=summary, columns=columns)

    def get_many(self, scenario: Scenario, seeds: Iterable[int]) -> dict[int, CompactRun]:
        stored = self.seeds(scenario)
        found = {}
        for seed in seeds:
            if seed in stored and (run := self.get(scenario, seed)) is not None:
                found[seed] = run
        return found

    def put(self, scenario: Scenario, run: CompactRun) -> None:
        """Write one run atomically (temporary file, fsync, rename)."""
        import pyarrow as pa

        folder = self._folder(scenario)
        folder.mkdir(parents=True, exist_ok=True)
        about = folder / "scenario.json"
        if not about.exists():
            _atomic_write_bytes(about, canonical_scenario(scenario).encode())
        table = pa.table({name: pa.array(values) for name, values in run.columns.items()})
        summary = json.dumps(run.summary, default=_plain)  # key order kept
        table = table.replace_schema_metadata({SUMMARY_META: summary.encode()})
        self._write_table(table, self._file(scenario, run.seed))

    def _ensemble_file(self, scenario: Scenario, seeds: Sequence[int]) -> Path:
        digest = hashlib.sha256(",".join(str(int(s)) for s in seeds).encode()).hexdigest()[:16]
        return self._folder(scenario) / f"ensemble-{digest}{RUN_SUFFIX}"

    def get_ensemble(self, scenario: Scenario, seeds: Sequence[int]) -> dict[str, Any] | None:
        """An ensemble stored by ``put_ensemble``: ``rows`` (run summaries, seed first, in seed
        order), ``bands``, ``summary``, ``death_months``; None when absent or unreadable."""
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(self._ensemble_file(scenario, seeds))
            data = json.loads(table.schema.metadata[ENSEMBLE_META])
        except (FileNotFoundError, OSError, ValueError, KeyError):
            return None
        if data.get("seeds") != [int(s) for s in seeds]:
            return None
        data["bands"] = table.to_pandas()
        return data

    def put_ensemble(
        self,
        scenario: Scenario,
        seeds: Sequence[int],
        rows: list[dict[str, Any]],
        bands: Any,
        summary: dict[str, Any],
        death_months: list[int],
    ) -> None:
        import pyarrow as pa

        meta = {
            "seeds": [int(s) for s in seeds],
            "rows": rows,
            "summary": summary,
            "death_months": death_months,
        }
        table = pa.Table.from_pandas(bands, preserve_index=False)
        metadata = dict(table.schema.metadata or {})
        metadata[ENSEMBLE_META] = json.dumps(meta, default=_plain).encode()
        table = table.replace_schema_metadata(metadata)
        self._write_table(table, self._ensemble_file(scenario, seeds))

    def _write_table(self, table: Any, path: Path) -> None:
        import pyarrow.parquet as pq

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=RUN_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as handle:
                pq.write_table(table, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def info(self) -> StoreInfo:
        runs = scenarios = stale = size = 0
        versions = set()
        if self.path.is_dir():
            for file in self.path.rglob("*"):
                if not file.is_file():
                    continue
                size += file.stat().st_size
                if not _is_run_file(file):
                    continue
                version = file.relative_to(self.path).parts[0]
                if version == self.version:
                    runs += 1
                else:
                    stale += 1
                    versions.add(version)
            current = self.path / self.version
            scenarios = sum(1 for p in current.iterdir() if p.is_dir()) if current.is_dir() else 0
        return StoreInfo(self.path, self.version, runs, scenarios, stale, len(versions), size)

    def clear(self, stale_only: bool = False) -> int:
        """Delete every stored run (or only other model versions'); returns the runs deleted."""
        if not self.path.is_dir():
            return 0
        deleted = 0
        for folder in self.path.iterdir():
            if not folder.is_dir() or (stale_only and folder.name == self.version):
                continue
            deleted += sum(1 for p in folder.rglob(f"*{RUN_SUFFIX}") if _is_run_file(p))
            shutil.rmtree(folder)
        return deleted


def default_store() -> RunStore | None:
    """The store the environment asks for: None when ``SIM_STORE`` is off, else the folder in
    ``SIM_STORE_DIR`` (default ``results/store``)."""
    if os.environ.get(STORE_ENV, "").strip().lower() in OFF_VALUES:
        return None
    return RunStore(os.environ.get(STORE_DIR_ENV) or DEFAULT_DIR)


def _is_run_file(path: Path) -> bool:
    return path.suffix == RUN_SUFFIX and path.stem.isdigit()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()  # numpy scalar
    raise TypeError(f"cannot store a {type(value).__name__} in a run summary")
