"""Executors: serial, local processes and Dask give identical ensembles for the same seeds; the
process pool honours an outer joblib.parallel_config (no hard-coded backend)."""

from __future__ import annotations

import math
import os
import pickle
from typing import Any

import pandas as pd
import pytest
from joblib import parallel_config

from sim.config import preset
from sim.experiment.ensemble import run_ensemble
from sim.experiment.executors import (
    CompactRun,
    DaskExecutor,
    ProcessExecutor,
    SerialExecutor,
    batches,
    executor_for,
)
from sim.experiment.runner import run

SCENARIO = preset("sales_led").with_overrides({"months": 18})
SEEDS = [1000, 1001, 1002, 1003, 1004]


def _same_summary(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key, x in a.items():
        y = b[key]
        both_nan = isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)
        assert both_nan or x == y, key


def _assert_identical(a: Any, b: Any) -> None:
    pd.testing.assert_frame_equal(a.summaries, b.summaries, check_exact=True)
    pd.testing.assert_frame_equal(a.bands, b.bands, check_exact=True)
    _same_summary(a.summary, b.summary)
    assert a.death_months == b.death_months
    for ra, rb in zip(a.runs, b.runs, strict=True):
        pd.testing.assert_frame_equal(ra.series, rb.series, check_exact=True)


@pytest.fixture(scope="module")
def serial() -> Any:
    return run_ensemble(SCENARIO, seeds=SEEDS, progress=False)


def test_processes_equal_serial(serial: Any) -> None:
    _assert_identical(serial, run_ensemble(SCENARIO, seeds=SEEDS, workers=2, progress=False))


def test_dask_local_cluster_equals_serial(serial: Any) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            host="127.0.0.1",
            protocol="tcp",  # a real socket: tasks and results are serialised as on a cluster
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        by_client = run_ensemble(SCENARIO, seeds=SEEDS, scheduler=client, progress=False)
        by_address = run_ensemble(
            SCENARIO, seeds=SEEDS, scheduler=cluster.scheduler_address, progress=False
        )
    _assert_identical(serial, by_client)
    _assert_identical(serial, by_address)


def _pid_run(scenario: Any, seed: int) -> Any:
    result = run(scenario, seed=seed, attribute=False)
    result.summary["pid"] = os.getpid()
    return result


def test_outer_parallel_config_is_honoured() -> None:
    """workers=2 under parallel_config(backend='threading') runs in this process: no backend is
    forced inside (the old code passed backend='loky' and ran elsewhere)."""
    with parallel_config(backend="threading"):
        ens = run_ensemble(SCENARIO, seeds=4, workers=2, progress=False, runner=_pid_run)
    assert set(ens.summaries["pid"]) == {os.getpid()}
    ens = run_ensemble(SCENARIO, seeds=4, workers=2, progress=False, runner=_pid_run)
    assert os.getpid() not in set(ens.summaries["pid"])  # default: separate processes


def test_executor_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIM_SCHEDULER", raising=False)
    assert isinstance(executor_for(None), SerialExecutor)
    assert isinstance(executor_for(1), SerialExecutor)
    assert isinstance(executor_for(2), ProcessExecutor)
    assert isinstance(executor_for(2, "tcp://127.0.0.1:1"), DaskExecutor)
    monkeypatch.setenv("SIM_SCHEDULER", "tcp://127.0.0.1:8786")
    assert isinstance(executor_for(2), DaskExecutor)
    with pytest.raises(ValueError):
        ProcessExecutor(0)


def test_batches_cover_every_seed_once() -> None:
    assert batches(list(range(10)), 4) == [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9)]
    assert batches([], 4) == []
    with pytest.raises(ValueError):
        batches([1], 0)


def test_compact_run_is_small_and_rebuilds_the_series_exactly() -> None:
    result = run(SCENARIO, seed=3)
    compact = CompactRun.from_result(result, 3)
    rebuilt = pickle.loads(pickle.dumps(compact)).to_result()
    pd.testing.assert_frame_equal(result.series, rebuilt.series, check_exact=True)
    assert rebuilt.summary == result.summary
    assert all(not isinstance(v, pd.DataFrame) for v in vars(compact).values())


def test_bad_scheduler_is_one_line_and_a_stored_ensemble_needs_no_cluster(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.cli import main

    monkeypatch.setenv("SIM_STORE_DIR", str(tmp_path))
    argv = ["run", "sales_led", "--seeds", "2", "--months", "6", "--json"]
    assert main([*argv, "--scheduler", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scheduler nonsense" in err
    assert main(argv) == 0  # computed here and stored
    # every run is stored: the unreachable scheduler is never contacted
    assert main([*argv, "--scheduler", "tcp://127.0.0.1:1"]) == 0
