"""The run store: exact round trip, served instead of recomputed, keyed by code version, resumes
a killed sweep without losing or redoing a finished run, opt-out, `sim store info|clear`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.config import preset
from sim.experiment.ensemble import run_ensemble
from sim.experiment.executors import CompactRun
from sim.experiment.runner import run
from sim.experiment.runs import RunCounts
from sim.experiment.store import (
    RunStore,
    canonical_scenario,
    default_store,
    scenario_key,
    source_version,
)

SCENARIO = preset("sales_led").with_overrides({"months": 18})
SIM_ROOT = Path(__file__).resolve().parent.parent / "sim"


def test_round_trip_is_exact(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    result = run(SCENARIO, seed=5)
    store.put(SCENARIO, CompactRun.from_result(result, 5))
    back = store.get(SCENARIO, 5)
    assert back is not None
    pd.testing.assert_frame_equal(result.series, back.series, check_exact=True)
    assert list(back.summary) == list(result.summary) and back.summary == result.summary
    assert store.seeds(SCENARIO) == {5}
    assert [p.name for p in tmp_path.rglob(".tmp-*")] == []


def test_second_ensemble_is_served_and_identical(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    fresh = run_ensemble(SCENARIO, seeds=4, progress=False)
    first, second = RunCounts(), RunCounts()
    stored = run_ensemble(SCENARIO, seeds=4, progress=False, store=store, counts=first)
    again = run_ensemble(SCENARIO, seeds=4, progress=False, store=store, counts=second)
    assert (first.computed, first.stored) == (4, 0)
    assert (second.computed, second.stored) == (0, 4)
    for ens in (stored, again):
        pd.testing.assert_frame_equal(fresh.summaries, ens.summaries, check_exact=True)
        pd.testing.assert_frame_equal(fresh.bands, ens.bands, check_exact=True)
        assert json.dumps(fresh.summary, default=str) == json.dumps(ens.summary, default=str)
    pd.testing.assert_frame_equal(fresh.runs[2].series, again.runs[2].series, check_exact=True)
    # a different seed set reuses the runs it shares
    third = RunCounts()
    run_ensemble(SCENARIO, seeds=[2, 3, 4], progress=False, store=store, counts=third)
    assert (third.computed, third.stored) == (1, 2)


def test_scenario_key_ignores_what_the_model_does_not_read() -> None:
    renamed = SCENARIO.model_copy(update={"name": "other", "description": "x", "seeds": 3})
    assert scenario_key(renamed) == scenario_key(SCENARIO)
    changed = SCENARIO.with_overrides({"sales.contingent_acceptance": 0.31})
    assert scenario_key(changed) != scenario_key(SCENARIO)
    assert json.loads(canonical_scenario(SCENARIO))["months"] == 18


def test_a_code_change_gives_a_new_version_and_never_serves_old_runs(tmp_path: Path) -> None:
    copy = tmp_path / "sim"
    for part in ("config", "model", "analysis", "experiment"):
        shutil.copytree(SIM_ROOT / part, copy / part)
    before = source_version(copy)
    assert source_version(copy) == before
    target = copy / "model" / "ledger.py"
    target.write_text(target.read_text() + "\n# a change\n")
    assert source_version(copy) != before

    store = RunStore(tmp_path / "store")
    store.put(SCENARIO, CompactRun.from_result(run(SCENARIO, seed=1), 1))
    newer = RunStore(tmp_path / "store")
    newer.version = "another-version"
    assert newer.seeds(SCENARIO) == set() and newer.get(SCENARIO, 1) is None
    info = newer.info()
    assert (info.runs, info.stale_runs) == (0, 1)
    assert newer.clear(stale_only=True) == 1 and store.seeds(SCENARIO) == set()


def test_corrupt_or_partial_files_are_recomputed(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run_ensemble(SCENARIO, seeds=2, progress=False, store=store)
    folder = next(p for p in (tmp_path / store.version).iterdir() if p.is_dir())
    (folder / "0.parquet").write_bytes(b"not parquet")
    (folder / ".tmp-abc.parquet").write_bytes(b"half a file")
    for ensemble_file in folder.glob("ensemble-*"):
        ensemble_file.unlink()
    counts = RunCounts()
    run_ensemble(SCENARIO, seeds=2, progress=False, store=store, counts=counts)
    assert (counts.computed, counts.stored) == (1, 1)


def test_opt_out_and_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SIM_STORE", "off")
    assert default_store() is None
    monkeypatch.setenv("SIM_STORE", "")
    monkeypatch.setenv("SIM_STORE_DIR", str(tmp_path))
    store = default_store()
    assert store is not None and store.path == tmp_path


def test_store_info_and_clear(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIM_STORE_DIR", str(tmp_path))
    assert main(["run", "sales_led", "--seeds", "2", "--months", "12", "--json"]) == 0
    capsys.readouterr()
    assert main(["store", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["runs"] == 2 and info["path"] == str(tmp_path)
    assert main(["store", "clear"]) == 0
    assert "deleted 2 runs" in capsys.readouterr().out
    assert main(["store", "info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == 0
    assert main(["store", "nonsense"]) == 2
    monkeypatch.setenv("SIM_STORE", "off")
    assert main(["store", "info"]) == 2
    assert "turned off" in capsys.readouterr().err


SWEEP = [
    "sweep",
    "sales_led",
    "--vary",
    "sales.contingent_acceptance=0:1:6",
    "--seeds",
    "8",
    "--months",
    "36",
]
TOTAL_RUNS = 6 * 8


def _stored_runs(store_dir: Path) -> int:
    return sum(1 for p in store_dir.rglob("*.parquet") if p.stem.isdigit())


def test_killed_sweep_resumes_without_losing_or_redoing_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store_dir = tmp_path / "store"
    env = {**os.environ, "SIM_STORE_DIR": str(store_dir), "SIM_STORE": ""}
    env.pop("SIM_SCHEDULER", None)
    argv = [*SWEEP, "--out", str(tmp_path / "out1")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli.entry", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _stored_runs(store_dir) < 8 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _stored_runs(store_dir)
    assert 8 <= done < TOTAL_RUNS, f"kill landed at {done} runs: the test needs a partial sweep"

    monkeypatch.setenv("SIM_STORE_DIR", str(store_dir))
    monkeypatch.delenv("SIM_STORE", raising=False)
    monkeypatch.delenv("SIM_SCHEDULER", raising=False)
    assert main([*SWEEP, "--out", str(tmp_path / "out2"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stored_runs"] == done  # nothing finished was lost
    assert report["computed_runs"] == TOTAL_RUNS - done  # nothing stored was redone
    assert _stored_runs(store_dir) == TOTAL_RUNS
