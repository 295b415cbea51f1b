"""Figures of the workshop-speed issue (12), measured by ``benchmarks/run.py``.

* ``cost_model``: fixed CPU per simulated month and marginal CPU per prospect-month, a least-
  squares line through the market-scaling points (CPU per month against prospects per month).
* ``engine_ab``: one slider move as the dashboard makes it: ``dashboard.engine.Engine`` with its
  warm worker pool, 2 x 32 seeds of fresh scenarios; wall time to the first stage (the first
  redraw) and to the last, CPU of this process and of the workers, and the main process's own
  aggregation time (bands and summaries per stage, as the Compare page does).
* ``engine_sessions``: N comparisons asked for at once (N tables moving a slider together);
  each one's time to its first stage and to its last.
* ``startup``: ``import sim``, ``import sim.experiment.runner`` and a cold ``sim run
  scenarios/sales_led.yaml`` as fresh processes (median of a few).

No figure here is a test: nothing fails on a time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

TARGET_RUN_CPU_MS = 25.0  # one default 60-month run, median CPU, each preset
TARGET_ENGINE_AB_S = 1.5  # slider release to final charts, 2 x 32 seeds (browser figure too)
TARGET_FIRST_STAGE_S = 0.5  # slider release to the first redraw
TARGET_SESSIONS_FIRST_S = 2.0  # with 8 sessions at once, each one's first redraw (median)
TARGET_IMPORT_SIM_S = 0.5
TARGET_COLD_RUN_S = 1.5
TARGET_16X_COST = 8.0  # cost per run at 16x the default market, relative to 1x


def cost_model(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Fixed ms per month and marginal ns per prospect-month (CPU), from the scaling rows."""
    x, y = [], []
    for row in rows:
        for r in row["per_run"]:
            x.append(r["prospect_months"] / r["months"])
            y.append(r["cpu_s"] / r["months"])
    slope, intercept = np.polyfit(np.array(x), np.array(y), 1)
    return {"fixed_ms_per_month": 1e3 * intercept, "marginal_ns_per_prospect_month": 1e9 * slope}


def _cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds of some live processes (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _jobs(tag: str, value: float) -> list[Any]:
    from dashboard.engine import Job
    from sim.config import preset

    jobs = []
    for side, name in (("A", "sales_led"), ("B", "product_led")):
        scenario = preset(name).with_overrides({"sales.contingent_acceptance": value})
        jobs.append(Job(side, f"{tag}|{scenario.model_dump_json()}", scenario.model_dump_json()))
    return jobs


def _move(engine: Any, jobs: list[Any], seeds: int, aggregate_too: bool) -> dict[str, float]:
    """One comparison through the engine: first and last stage times, aggregation time."""
    from dashboard.engine import Stage, aggregate
    from sim.config import Scenario

    start = time.perf_counter()
    first = None
    aggregating = 0.0
    for item in engine.refine(jobs, seeds):
        if isinstance(item, Stage):
            if aggregate_too:
                t = time.perf_counter()
                for job in jobs:
                    scenario = Scenario.model_validate_json(job.scenario_json)
                    aggregate(scenario, engine.store.runs(job.key, item.seeds))
                aggregating += time.perf_counter() - t
            if first is None:
                first = time.perf_counter() - start
    return {"first_s": first or 0.0, "final_s": time.perf_counter() - start, "agg_s": aggregating}


def engine_ab(seeds: int, moves: int) -> dict[str, Any]:
    """Slider moves through the dashboard's engine (warm pool), fresh scenarios each move."""
    from dashboard.engine import Engine

    engine = Engine(workers=os.cpu_count() or 1)
    engine.warm_up()
    pids = list(engine.pool()._processes)  # type: ignore[union-attr]
    out = []
    try:
        for i in range(moves):
            main0, workers0 = time.process_time(), _cpu_of(pids)
            figures = _move(engine, _jobs(f"move{i}", 0.10 + 0.01 * i), seeds, True)
            figures["main_cpu_s"] = time.process_time() - main0
            figures["workers_cpu_s"] = _cpu_of(pids) - workers0
            out.append(figures)
        cached = _move(engine, _jobs("move0", 0.10), seeds, True)
    finally:
        engine.shutdown()
    return {
        "seeds_per_side": seeds,
        "workers": engine.workers,
        "moves": out,
        "first_median_s": statistics.median(m["first_s"] for m in out),
        "final_median_s": statistics.median(m["final_s"] for m in out),
        "cpu_median_s": statistics.median(m["main_cpu_s"] + m["workers_cpu_s"] for m in out),
        "main_cpu_median_s": statistics.median(m["main_cpu_s"] for m in out),
        "agg_median_s": statistics.median(m["agg_s"] for m in out),
        "cached_final_s": cached["final_s"],
    }


def engine_sessions(sessions: int, seeds: int) -> dict[str, Any]:
    """``sessions`` comparisons asked for at the same moment, each on its own thread."""
    from dashboard.engine import Engine

    engine = Engine(workers=os.cpu_count() or 1)
    engine.warm_up()
    results: list[dict[str, float]] = [{} for _ in range(sessions)]
    barrier = threading.Barrier(sessions)

    def table(i: int) -> None:
        jobs = _jobs(f"table{i}", 0.05 + 0.01 * i)
        barrier.wait()
        results[i] = _move(engine, jobs, seeds, True)

    threads = [threading.Thread(target=table, args=(i,)) for i in range(sessions)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        engine.shutdown()
    firsts = [r["first_s"] for r in results]
    finals = [r["final_s"] for r in results]
    return {
        "sessions": sessions,
        "seeds_per_side": seeds,
        "first_median_s": statistics.median(firsts),
        "first_max_s": max(firsts),
        "final_median_s": statistics.median(finals),
        "final_max_s": max(finals),
        "per_session": results,
    }


def _process_wall(argv: list[str], repeats: int) -> float:
    walls = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
        walls.append(time.perf_counter() - t)
    return statistics.median(walls)


def startup(repeats: int = 3) -> dict[str, float]:
    """Fresh-process wall times: imports and a cold ``sim run`` of the sales-led scenario."""
    sim_cli = Path(sys.executable).with_name("sim")
    return {
        "python_s": _process_wall([sys.executable, "-c", "pass"], repeats),
        "import_sim_s": _process_wall([sys.executable, "-c", "import sim"], repeats),
        "import_runner_s": _process_wall(
            [sys.executable, "-c", "import sim.experiment.runner"], repeats
        ),
        "cold_sim_run_s": _process_wall([str(sim_cli), "run", "scenarios/sales_led.yaml"], repeats),
    }
