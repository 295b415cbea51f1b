#!/usr/bin/env python
"""Speed benchmark of the company-dynamics model against a trivial Mesa model (issue 6).

Run ``python benchmarks/run.py`` (or ``make bench``); ``--quick`` for a fast smoke run.
It prints one table and writes the same figures to ``benchmarks/results.json``.
What each figure means is in ``benchmarks/README.md``. Targets are printed with PASS/MISS beside
them; the script never fails on a time (it exits 0 unless it crashes).
"""

from __future__ import annotations

import os
import sys

# OpenBLAS overrides must go before numpy is imported. On some processors this workplace sets
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE because old OpenBLAS builds crash or compute wrong results
# there; they slow a current numpy. For this benchmark process alone (never in tests or CI) both are
# unset together by re-executing the script without them; --keep-openblas-env keeps them.
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
UNSET_MARKER = "SIM_BENCH_UNSET_OPENBLAS"


def _reexec_without_openblas_overrides() -> None:
    if "--keep-openblas-env" in sys.argv or UNSET_MARKER in os.environ:
        return
    found = {k: os.environ[k] for k in OPENBLAS_VARS if k in os.environ}
    if not found:
        return
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
    env[UNSET_MARKER] = ",".join(f"{k}={v}" for k, v in found.items())
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


if __name__ == "__main__":
    _reexec_without_openblas_overrides()

# The imports below follow the re-exec above on purpose.
import argparse
import contextlib
import ctypes
import gc
import json
import platform
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import workshop_speed as ws

import sim.model.company_model as sim_model
from sim.config import Scenario, preset
from sim.experiment.runner import run
from sim.model.kernels import KERNELS_ENV
from sim.model.population import State

PRESETS = ("sales_led", "product_led")
RESULTS = ROOT / "benchmarks" / "results.json"

# Targets of issue 6.
TARGET_RATIO_DEFAULT = 3.0  # prospect-months/s over trivial Mesa agent-steps/s, default market
TARGET_RATIO_16X = 10.0  # the same at 16x the market
TARGET_RUN_MS = 30.0  # median wall time of one default 60-month run
TARGET_AB_S = 1.5  # A/B ensemble, 2 x 32 seeds
LINEAR_TOLERANCE = 1.10  # "linear": cost ratio <= 1.10 x workload ratio (10 % for noise)
# Scaling runs keep the company alive (cash it never runs out of), so that every point simulates
# the same 60 months: a run that dies early would look cheap for the wrong reason.
KEEP_ALIVE = {"company.initial_cash": 1e9}


# ---------------------------------------------------------------------------------------------
# measuring helpers
# ---------------------------------------------------------------------------------------------
def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall s, CPU s of this process, result) of one call, after a garbage collection."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


class _Work:
    """Per-run workload counted while the model steps (see README: prospect-months)."""

    def __init__(self) -> None:
        self.months = self.prospect_months = self.live_prospect_months = self.rep_months = 0


@contextlib.contextmanager
def counting() -> Iterator[list[_Work]]:
    """Swap sim.model.CompanyModel for a subclass that counts work after each month.

    The cost is one small Python call and one count over the state array per month (a few µs per
    run against tens of ms), so runs are timed and counted in the same call.
    """
    runs: list[_Work] = []
    original = sim_model.CompanyModel

    class Counted(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._work = _Work()
            runs.append(self._work)
            super().__init__(*args, **kwargs)

        def step(self) -> None:
            super().step()
            pr, w = self.market.prospects, self._work
            w.months += 1
            w.prospect_months += pr.n
            w.live_prospect_months += int(np.count_nonzero(pr.state[: pr.n] <= State.CUSTOMER))
            w.rep_months += len(self.reps())

    sim_model.CompanyModel = Counted
    try:
        yield runs
    finally:
        sim_model.CompanyModel = original


def _run_with_series(scenario: Scenario, seed: int) -> Any:
    """``run`` and its series frame (made when first read), as a dashboard worker makes it;
    its events frame is made only where read (the One-run page), so not here."""
    result = run(scenario, seed)
    result.series  # noqa: B018
    return result


def run_counted(scenario: Scenario, seed: int) -> dict[str, float]:
    """One public ``sim.model.run`` call and its series frame: wall, CPU and its workload."""
    with counting() as runs:
        wall, cpu, result = timed(lambda: _run_with_series(scenario, seed))
    if not runs or runs[-1].months == 0:
        raise RuntimeError("sim.model.run no longer builds sim.model.CompanyModel; fix counting()")
    w = runs[-1]
    return {
        "seed": seed,
        "wall_s": wall,
        "cpu_s": cpu,
        "months": w.months,
        "rows": len(result.series),
        "prospect_months": w.prospect_months,
        "live_prospect_months": w.live_prospect_months,
        "rep_months": w.rep_months,
    }


def aggregate(runs: list[dict[str, float]]) -> dict[str, Any]:
    """Median wall time and throughput (total prospect-months / total wall time) of runs."""
    wall = sum(r["wall_s"] for r in runs)
    pm = sum(r["prospect_months"] for r in runs)
    months = sum(r["months"] for r in runs)
    return {
        "runs": len(runs),
        "median_ms": 1e3 * statistics.median(r["wall_s"] for r in runs),
        "median_cpu_ms": 1e3 * statistics.median(r["cpu_s"] for r in runs),
        "min_ms": 1e3 * min(r["wall_s"] for r in runs),
        "max_ms": 1e3 * max(r["wall_s"] for r in runs),
        "cpu_over_wall": sum(r["cpu_s"] for r in runs) / wall if wall else None,
        "mean_months": months / len(runs),
        "mean_prospects_per_month": pm / months,
        "ms_per_month": 1e3 * wall / months,
        "prospect_months": pm,
        "live_prospect_months": sum(r["live_prospect_months"] for r in runs),
        "rep_months": sum(r["rep_months"] for r in runs),
        "prospect_months_per_s": pm / wall,
        "prospect_months_per_cpu_s": pm / max(sum(r["cpu_s"] for r in runs), 1e-9),
        "ns_per_prospect_month": 1e9 * wall / pm,
        "per_run": runs,
    }


# ---------------------------------------------------------------------------------------------
# 1. the yardstick: a trivial Mesa model
# ---------------------------------------------------------------------------------------------
class _Counter(mesa.Agent):
    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.x = 0

    def step(self) -> None:
        self.x += 1


class TrivialModel(mesa.Model):
    """N agents whose step is ``self.x += 1``, activated with ``shuffle_do``."""

    def __init__(self, n: int, rng: int = 0) -> None:
        super().__init__(rng=rng)
        for _ in range(n):
            _Counter(self)

    def step(self) -> None:
        self.agents.shuffle_do("step")


def bench_mesa(agents: int, steps: int, repeats: int) -> dict[str, Any]:
    model = TrivialModel(agents)
    model.step()  # warm-up
    rates, cpu_rates = [], []
    for _ in range(repeats):
        wall, cpu, _ = timed(lambda: [model.step() for _ in range(steps)])
        rates.append(agents * steps / wall)
        cpu_rates.append(agents * steps / cpu if cpu > 0 else float("nan"))
    return {
        "agents": agents,
        "steps": steps,
        "repeats": repeats,
        "rates": rates,
        "cpu_rates": cpu_rates,
    }


def combine_mesa(first: dict[str, Any], last: dict[str, Any]) -> dict[str, Any]:
    """The yardstick is measured before and after the model (the machine may be shared): median."""
    rate = statistics.median(first["rates"] + last["rates"])
    cpu_rate = statistics.median(first["cpu_rates"] + last["cpu_rates"])
    return {
        "agents": first["agents"],
        "steps": first["steps"],
        "agent_steps_per_s": rate,
        "us_per_agent_step": 1e6 / rate,
        "agent_steps_per_cpu_s": cpu_rate,
        "start_agent_steps_per_s": statistics.median(first["rates"]),
        "end_agent_steps_per_s": statistics.median(last["rates"]),
        "start": first,
        "end": last,
    }


# ---------------------------------------------------------------------------------------------
# 2. default 60-month runs
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def kernels(mode: str) -> Iterator[None]:
    """Run the model's array passes in ``mode`` (``SIM_KERNELS``: numpy or compiled) inside."""
    before = os.environ.get(KERNELS_ENV)
    os.environ[KERNELS_ENV] = mode
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(KERNELS_ENV, None)
        else:
            os.environ[KERNELS_ENV] = before


def bench_default(runs: int) -> dict[str, Any]:
    """The default runs with compiled kernels (what ensembles and the dashboard's workers run),
    then the same seeds with the numpy twins (what a lone ``sim run`` runs: by default a process
    switches to compiled kernels after ``COMPILE_AFTER_MONTHS`` simulated months)."""
    out = {}
    for name in PRESETS:
        scenario = preset(name)
        with kernels("compiled"):
            for warm in (1000, 1001):  # imports, caches, first-call costs
                run(scenario, warm)
            out[name] = aggregate([run_counted(scenario, seed) for seed in range(runs)])
        out[name]["runs_per_cpu_s"] = runs / sum(r["cpu_s"] for r in out[name]["per_run"])
        with kernels("numpy"):
            plain = [run_counted(scenario, seed)["cpu_s"] for seed in range(runs)]
        out[name]["numpy_median_cpu_ms"] = 1e3 * statistics.median(plain)
    return out


# ---------------------------------------------------------------------------------------------
# 3. the A/B ensemble
# ---------------------------------------------------------------------------------------------
def ensemble_runner() -> tuple[Callable[..., Any], str]:
    """sim.ensemble.run_ensemble, or a serial loop when that module is not there yet."""
    try:
        from sim.experiment.ensemble import run_ensemble
    except ImportError:

        def serial(scenario: Scenario, seeds: int, workers: int | None = None) -> list[Any]:
            return [run(scenario, seed) for seed in range(seeds)]

        return serial, "serial loop over sim.model.run (sim.ensemble not available)"
    return run_ensemble, "sim.ensemble.run_ensemble"


def bench_ab(seeds: int, repeats: int, workers_options: tuple[int | None, ...]) -> dict[str, Any]:
    run_ensemble, how = ensemble_runner()
    a, b = preset("sales_led"), preset("product_led")
    out: dict[str, Any] = {"seeds_per_arm": seeds, "how": how, "by_workers": {}}
    for workers in workers_options:
        times = []

        def ab(workers: int | None = workers) -> tuple[Any, Any]:
            return (
                run_ensemble(a, seeds=seeds, workers=workers),
                run_ensemble(b, seeds=seeds, workers=workers),
            )

        for _ in range(repeats):
            wall, _, _ = timed(ab)
            times.append(wall)
        warm = times[1:] or times
        out["by_workers"][str(workers)] = {
            "workers": workers,
            "cold_s": times[0],
            "warm_median_s": statistics.median(warm),
            "all_s": times,
        }
    return out


# ---------------------------------------------------------------------------------------------
# 4. scaling
# ---------------------------------------------------------------------------------------------
def bench_scaling(
    name: str, points: list[tuple[str, dict[str, Any]]], seeds: int, load_key: str
) -> list[dict[str, Any]]:
    """Cost per simulated month vs workload per simulated month, relative to the first point.

    ``load_key`` is the workload: prospect_months (market) or rep_months (reps). Runs that die
    early simulate fewer months, so both are taken per simulated month.
    """
    rows = []
    base = preset(name)
    for label, overrides in points:
        scenario = base.with_overrides(overrides) if overrides else base
        agg = aggregate([run_counted(scenario, seed) for seed in range(seeds)])
        months = agg["mean_months"] * agg["runs"]
        agg.update(label=label, overrides=overrides, load_per_month=agg[load_key] / months)
        rows.append(agg)
    first = rows[0]
    for row in rows:
        row["time_ratio"] = row["ms_per_month"] / first["ms_per_month"]
        row["load_ratio"] = row["load_per_month"] / first["load_per_month"]
        row["linear"] = row["time_ratio"] <= LINEAR_TOLERANCE * max(row["load_ratio"], 1.0)
    return rows


# ---------------------------------------------------------------------------------------------
# 5. peak memory of a big ensemble, in a subprocess
# ---------------------------------------------------------------------------------------------
MEMORY_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})

def rss_kb():
    # (current RSS, peak RSS) of this process. VmHWM restarts at exec, unlike ru_maxrss, which on
    # Linux keeps the peak of the process that forked us (here: the benchmark itself).
    try:
        with open("/proc/self/status") as fh:
            d = dict(line.split(":", 1) for line in fh)
        return int(d["VmRSS"].split()[0]), int(d["VmHWM"].split()[0])
    except (OSError, KeyError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak, peak

from sim.config import preset
import sim.model.company_model
try:
    from sim.experiment.ensemble import run_ensemble
    how = "sim.ensemble.run_ensemble"
except ImportError:
    from sim.experiment.runner import run
    def run_ensemble(scenario, seeds, workers=None):
        return [run(scenario, s) for s in range(seeds)]
    how = "serial loop over sim.model.run (sim.ensemble not available)"
base, _ = rss_kb()
t0 = time.perf_counter()
ens = run_ensemble(preset({name!r}), seeds={seeds}, workers={workers!r})
wall = time.perf_counter() - t0
now, peak = rss_kb()
print(json.dumps({{"how": how, "wall_s": wall, "baseline_kb": base, "after_kb": now,
                  "peak_kb": peak}}))
"""


def _tree_rss_kb(root_pid: int) -> int:
    """Summed VmRSS of a process and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry))
            with open(f"/proc/{entry}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss[int(entry)] = int(line.split()[1])
                        break
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def bench_memory(name: str, seeds: int, workers: int | None) -> dict[str, Any]:
    code = MEMORY_CHILD.format(root=str(ROOT), name=name, seeds=seeds, workers=workers)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    sampling = os.path.isdir("/proc")

    def sample() -> None:
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if sampling:
        sampler.start()
    out, err = proc.communicate()
    if sampling:
        sampler.join()
    if proc.returncode != 0:
        return {"error": err.strip().splitlines()[-1] if err.strip() else f"exit {proc.returncode}"}
    child = json.loads(out.strip().splitlines()[-1])
    mb = 1 / 1024
    return {
        "scenario": name,
        "seeds": seeds,
        "workers": workers,
        "how": child["how"],
        "wall_s": child["wall_s"],
        "peak_tree_rss_mb": peak * mb if sampling else None,
        "main_baseline_rss_mb": child["baseline_kb"] * mb,
        "main_peak_rss_mb": child["peak_kb"] * mb,
        "main_rss_after_mb": child["after_kb"] * mb,
    }


# ---------------------------------------------------------------------------------------------
# environment
# ---------------------------------------------------------------------------------------------
def blas_info() -> dict[str, Any]:
    """Which BLAS numpy runs and which OpenBLAS kernel (core) it picked."""
    info: dict[str, Any] = {
        "openblas_env_unset": os.environ.get(UNSET_MARKER) or None,
        "openblas_env_now": {k: os.environ[k] for k in OPENBLAS_VARS if k in os.environ},
    }
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for p in threadpool_info()
        ]
        return info
    except ImportError:
        pass
    # No threadpoolctl: ask the loaded OpenBLAS itself for its core name.
    try:
        with open("/proc/self/maps") as fh:
            libs = {line.split()[-1] for line in fh if "openblas" in line.lower()}
    except OSError:
        libs = set()
    for lib in sorted(libs):
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for symbol in (
            "scipy_openblas_get_corename64_",
            "scipy_openblas_get_corename",
            "openblas_get_corename64_",
            "openblas_get_corename",
        ):
            fn = getattr(handle, symbol, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                info["openblas"] = {"library": os.path.basename(lib), "corename": fn().decode()}
                return info
    return info


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], check=False, cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.rstrip("\n")
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "sim").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD") or None, "sim_dirty": dirty}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, Any]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "loadavg_start": list(os.getloadavg()),
        "blas": blas_info(),
        "git": git_state(),
    }


# ---------------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_table(res: dict[str, Any]) -> None:
    env, ms = res["environment"], res["mesa"]
    w = print
    w("")
    w(
        f"sim benchmark{' (--quick)' if res['quick'] else ''}  {env['when']}  "
        f"commit {env['git']['commit']}"
        + (
            f" + uncommitted sim/ changes: {', '.join(env['git']['sim_dirty'])}"
            if env["git"]["sim_dirty"]
            else ""
        )
    )
    w(
        f"python {env['python']}  numpy {env['numpy']}  mesa {env['mesa']}  {env['cpu']}  "
        f"x{env['cpus']}  load {env['loadavg_start'][0]:.2f} -> {env['loadavg_end'][0]:.2f}"
    )
    blas = env["blas"]
    kernel = blas.get("openblas") or next(
        (p for p in blas.get("threadpools", []) if p.get("internal_api") == "openblas"), {}
    )
    if blas["openblas_env_unset"]:
        overrides = "unset for this run: " + blas["openblas_env_unset"]
    elif not blas["openblas_env_now"]:
        overrides = "not set"
    else:
        overrides = "kept: " + str(blas["openblas_env_now"])
    w(
        f"BLAS kernel: {kernel.get('corename') or kernel.get('architecture') or 'unknown'}; "
        f"OpenBLAS overrides {overrides}"
    )
    if env["loadavg_start"][0] > 0.5 * (env["cpus"] or 1):
        w(
            "note: the machine was busy when this started (load average above); "
            "wall times are noisy, see cpu/wall"
        )
    w("")
    w("measure".ljust(54) + "value".rjust(16) + "   target".ljust(22) + "status")
    w("-" * 98)

    def row(label: str, value: str, target: str = "", status: str = "") -> None:
        w(label.ljust(54) + value.rjust(16) + ("   " + target).ljust(22) + status)

    row(
        f"trivial Mesa agent-steps/s ({ms['agents']} agents, shuffle_do)",
        f"{ms['agent_steps_per_s'] / 1e6:.2f} M/s",
    )
    row("  = µs per trivial agent-step", f"{ms['us_per_agent_step']:.3f} µs")
    row(
        "  measured before / after the model runs",
        f"{ms['start_agent_steps_per_s'] / 1e6:.2f} / {ms['end_agent_steps_per_s'] / 1e6:.2f}",
    )
    for name, d in res["default"].items():
        w("")
        row(
            f"{name}: default run, median wall ({d['runs']} seeds)",
            f"{d['median_ms']:.1f} ms",
            f"<= {TARGET_RUN_MS:.0f} ms",
            verdict(d["median_ms"] <= TARGET_RUN_MS),
        )
        row(
            "  median CPU time of one run (compiled kernels)",
            f"{d['median_cpu_ms']:.1f} ms",
            f"<= {ws.TARGET_RUN_CPU_MS:.0f} ms",
            verdict(d["median_cpu_ms"] <= ws.TARGET_RUN_CPU_MS),
        )
        if "numpy_median_cpu_ms" in d:
            row(
                "  the same with numpy kernels (a lone sim run)",
                f"{d['numpy_median_cpu_ms']:.1f} ms",
            )
        row("  runs per CPU-second", f"{d['runs_per_cpu_s']:.1f}")
        row("  months simulated (mean; a dead company stops)", f"{d['mean_months']:.1f}")
        row("  prospects in the arrays (mean per month)", f"{d['mean_prospects_per_month']:.0f}")
        row("  wall per simulated month", f"{d['ms_per_month']:.2f} ms")
        row("  prospect-months/s", f"{d['prospect_months_per_s'] / 1e6:.3f} M/s")
        row("  ns per prospect-month", f"{d['ns_per_prospect_month']:.0f} ns")
        row(
            "  ratio prospect-months/s : Mesa agent-steps/s",
            f"{d['ratio_vs_mesa']:.2f}x",
            f">= {TARGET_RATIO_DEFAULT:.0f}x",
            verdict(d["ratio_vs_mesa"] >= TARGET_RATIO_DEFAULT),
        )
        row("  same ratio by CPU time (robust to a busy machine)", f"{d['cpu_ratio_vs_mesa']:.2f}x")
        row("  cpu/wall (1.0 = had a core to itself)", f"{d['cpu_over_wall']:.2f}")
    ab = res["ab"]
    w("")
    w(f"A/B ensemble sales_led vs product_led, 2 x {ab['seeds_per_arm']} seeds ({ab['how']})")
    for d in ab["by_workers"].values():
        label = (
            "workers=None (default)"
            if d["workers"] is None
            else f"workers={d['workers']} (one per CPU)"
            if d["workers"] == os.cpu_count()
            else f"workers={d['workers']}"
        )
        row(f"  {label}: first call (cold)", f"{d['cold_s']:.2f} s")
        if len(d["all_s"]) > 1:
            row(
                f"  {label}: median of later calls (warm)",
                f"{d['warm_median_s']:.2f} s",
                f"<= {TARGET_AB_S} s",
                verdict(d["warm_median_s"] <= TARGET_AB_S),
            )
        else:
            row(
                f"  {label}: (one call only)",
                f"{d['cold_s']:.2f} s",
                f"<= {TARGET_AB_S} s",
                verdict(d["cold_s"] <= TARGET_AB_S),
            )
    for kind, title, load in (
        ("market", "market.size_scale", "prospects/month"),
        ("reps", "company.initial_reps", "reps/month"),
    ):
        for name, rows in res["scaling"][kind].items():
            w("")
            w(
                f"scaling {name}: {title} ({rows[0]['runs']} seeds per point, kept alive); "
                f"time and {load} per simulated month, ratio vs first point"
            )
            for r in rows:
                row(
                    f"  {r['label']}: {r['median_ms']:.0f} ms/run, {r['mean_months']:.0f} months, "
                    f"{r['load_per_month']:.0f} {load}",
                    f"x{r['time_ratio']:.2f} time",
                    f"<= x{r['load_ratio']:.2f} load",
                    verdict(r["linear"]),
                )
                if "ratio_vs_mesa" in r:
                    ratio = r["ratio_vs_mesa"]
                    row(
                        f"  16x: prospect-months/s : Mesa agent-steps/s "
                        f"({r['prospect_months_per_s'] / 1e6:.2f} M/s)",
                        f"{ratio:.2f}x",
                        f">= {TARGET_RATIO_16X:.0f}x",
                        verdict(ratio >= TARGET_RATIO_16X),
                    )
                    row("  16x: same ratio by CPU time", f"{r['cpu_ratio_vs_mesa']:.2f}x")
    print_workshop(res, row)
    mem = res["memory"]
    w("")
    if "error" in mem:
        row("peak memory of the big ensemble", "error", mem["error"])
    else:
        w(
            f"memory: {mem['seeds']}-seed ensemble of {mem['scenario']}, workers={mem['workers']}, "
            f"in a subprocess ({mem['how']}), {mem['wall_s']:.1f} s"
        )
        if mem["peak_tree_rss_mb"] is not None:
            row(
                "  peak RSS, process + workers (/proc sampled 20 ms)",
                f"{mem['peak_tree_rss_mb']:.0f} MB",
            )
        row("  peak RSS of the main process (VmHWM)", f"{mem['main_peak_rss_mb']:.0f} MB")
        row(
            "  ... of which after imports, before the ensemble",
            f"{mem['main_baseline_rss_mb']:.0f} MB",
        )
        row("  RSS of the main process holding the result", f"{mem['main_rss_after_mb']:.0f} MB")
    w("")


def print_workshop(res: dict[str, Any], row: Callable[..., None]) -> None:
    """The workshop-speed figures (issue 12)."""
    print()
    print("workshop speed (issue 12)")
    for name, cost in res["cost_model"].items():
        row(
            f"  {name}: fixed CPU per simulated month",
            f"{cost['fixed_ms_per_month']:.3f} ms",
        )
        row(
            f"  {name}: marginal CPU per prospect-month",
            f"{cost['marginal_ns_per_prospect_month']:.0f} ns",
        )
        row(
            f"  {name}: CPU per run at 16x the market / at 1x",
            f"x{cost['cost_16x']:.2f}",
            f"<= x{ws.TARGET_16X_COST:.0f}",
            verdict(cost["cost_16x"] <= ws.TARGET_16X_COST),
        )
    ab = res["engine_ab"]
    label = f"  dashboard engine, 2 x {ab['seeds_per_side']} seeds, {ab['workers']} workers"
    row(
        f"{label}: first stage",
        f"{ab['first_median_s']:.2f} s",
        f"<= {ws.TARGET_FIRST_STAGE_S} s",
        verdict(ab["first_median_s"] <= ws.TARGET_FIRST_STAGE_S),
    )
    row(
        f"{label}: all runs",
        f"{ab['final_median_s']:.2f} s",
        f"<= {ws.TARGET_ENGINE_AB_S} s",
        verdict(ab["final_median_s"] <= ws.TARGET_ENGINE_AB_S),
    )
    row("    CPU of the move (main + workers)", f"{ab['cpu_median_s']:.2f} s")
    row("    of which the main process", f"{ab['main_cpu_median_s']:.2f} s")
    row("    main process: bands and summaries, all stages", f"{ab['agg_median_s'] * 1e3:.0f} ms")
    row("    the same move again (every run cached)", f"{ab['cached_final_s'] * 1e3:.0f} ms")
    se = res["engine_sessions"]
    row(
        f"  {se['sessions']} comparisons at once: first stage, median",
        f"{se['first_median_s']:.2f} s",
        f"<= {ws.TARGET_SESSIONS_FIRST_S} s",
        verdict(se["first_median_s"] <= ws.TARGET_SESSIONS_FIRST_S),
    )
    row("    first stage, slowest session", f"{se['first_max_s']:.2f} s")
    row("    all runs, median / slowest", f"{se['final_median_s']:.1f} / {se['final_max_s']:.1f} s")
    st = res["startup"]
    row("  fresh process: python -c pass", f"{st['python_s']:.2f} s")
    row(
        "  fresh process: import sim",
        f"{st['import_sim_s']:.2f} s",
        f"<= {ws.TARGET_IMPORT_SIM_S} s",
        verdict(st["import_sim_s"] <= ws.TARGET_IMPORT_SIM_S),
    )
    row("  fresh process: import sim.experiment.runner", f"{st['import_runner_s']:.2f} s")
    row(
        "  fresh process: sim run scenarios/sales_led.yaml",
        f"{st['cold_sim_run_s']:.2f} s",
        f"<= {ws.TARGET_COLD_RUN_S} s",
        verdict(st["cold_sim_run_s"] <= ws.TARGET_COLD_RUN_S),
    )


def summarise_targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Flat list of the targets and their status, for results.json."""
    out = []
    for name, d in res["default"].items():
        out.append(
            {
                "target": f"{name} median run <= {TARGET_RUN_MS} ms",
                "value": d["median_ms"],
                "pass": d["median_ms"] <= TARGET_RUN_MS,
            }
        )
        out.append(
            {
                "target": f"{name} prospect-months/s >= {TARGET_RATIO_DEFAULT}x Mesa",
                "value": d["ratio_vs_mesa"],
                "pass": d["ratio_vs_mesa"] >= TARGET_RATIO_DEFAULT,
            }
        )
    for name, rows in res["scaling"]["market"].items():
        for r in rows:
            if "ratio_vs_mesa" in r:
                out.append(
                    {
                        "target": f"{name} at 16x market >= {TARGET_RATIO_16X}x Mesa",
                        "value": r["ratio_vs_mesa"],
                        "pass": r["ratio_vs_mesa"] >= TARGET_RATIO_16X,
                    }
                )
    for key, d in res["ab"]["by_workers"].items():
        value = d["warm_median_s"] if len(d["all_s"]) > 1 else d["cold_s"]
        out.append(
            {
                "target": f"A/B 2x{res['ab']['seeds_per_arm']} seeds (workers={key}) "
                f"<= {TARGET_AB_S} s",
                "value": value,
                "pass": value <= TARGET_AB_S,
            }
        )
    for name, d in res["default"].items():
        out.append(
            {
                "target": f"{name} median run CPU <= {ws.TARGET_RUN_CPU_MS} ms",
                "value": d["median_cpu_ms"],
                "pass": d["median_cpu_ms"] <= ws.TARGET_RUN_CPU_MS,
            }
        )
    for name, cost in res["cost_model"].items():
        out.append(
            {
                "target": f"{name} CPU per run at 16x market <= {ws.TARGET_16X_COST}x",
                "value": cost["cost_16x"],
                "pass": cost["cost_16x"] <= ws.TARGET_16X_COST,
            }
        )
    ab, se, st = res["engine_ab"], res["engine_sessions"], res["startup"]
    for target, value, limit in (
        ("engine A/B first stage", ab["first_median_s"], ws.TARGET_FIRST_STAGE_S),
        ("engine A/B all runs", ab["final_median_s"], ws.TARGET_ENGINE_AB_S),
        (
            f"{se['sessions']} sessions first stage (median)",
            se["first_median_s"],
            ws.TARGET_SESSIONS_FIRST_S,
        ),
        ("import sim (fresh process)", st["import_sim_s"], ws.TARGET_IMPORT_SIM_S),
        ("cold sim run sales_led", st["cold_sim_run_s"], ws.TARGET_COLD_RUN_S),
    ):
        out.append({"target": f"{target} <= {limit} s", "value": value, "pass": value <= limit})
    for kind in ("market", "reps"):
        for name, rows in res["scaling"][kind].items():
            out.append(
                {
                    "target": f"{name} {kind} scaling linear",
                    "value": [round(r["time_ratio"], 3) for r in rows],
                    "pass": all(r["linear"] for r in rows),
                }
            )
    return out


# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and seeds: a smoke run")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the JSON (default benchmarks/results.json; "
        "--quick writes nothing unless --out is given)",
    )
    parser.add_argument(
        "--keep-openblas-env",
        action="store_true",
        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE if set",
    )
    parser.add_argument(
        "--show",
        type=Path,
        metavar="FILE",
        default=None,
        help="print the table of a saved results.json and exit (measures nothing)",
    )
    args = parser.parse_args(argv)
    if args.show is not None:
        print_table(json.loads(args.show.read_text(encoding="utf-8")))
        return 0
    q = args.quick
    started = time.perf_counter()
    say = lambda msg: print(f"[{time.perf_counter() - started:6.1f} s] {msg}", flush=True)

    res: dict[str, Any] = {"quick": q, "environment": environment()}
    mesa_args = {"agents": 10_000, "steps": 20 if q else 100, "repeats": 3 if q else 5}
    say("trivial Mesa model (yardstick, before)")
    first = bench_mesa(**mesa_args)
    say("default runs")
    res["default"] = bench_default(runs=3 if q else 12)
    res["scaling"] = {"market": {}, "reps": {}}
    seeds = 1 if q else 2
    for name in PRESETS:
        say(f"scaling {name}: market")
        sizes = (1, 4) if q else (1, 4, 16)
        res["scaling"]["market"][name] = bench_scaling(
            name,
            [(f"{x}x", {**KEEP_ALIVE, "market.size_scale": float(x)}) for x in sizes],
            seeds=seeds,
            load_key="prospect_months",
        )
        say(f"scaling {name}: reps")
        reps = (2, 8) if q else (2, 8, 32)
        res["scaling"]["reps"][name] = bench_scaling(
            name,
            [
                (f"{r} reps", {**KEEP_ALIVE, "company.initial_reps": r, "company.max_reps": r})
                for r in reps
            ],
            seeds=seeds,
            load_key="rep_months",
        )
    say("trivial Mesa model (yardstick, after)")
    res["mesa"] = combine_mesa(first, bench_mesa(**mesa_args))
    rate, cpu_rate = res["mesa"]["agent_steps_per_s"], res["mesa"]["agent_steps_per_cpu_s"]
    for d in res["default"].values():
        d["ratio_vs_mesa"] = d["prospect_months_per_s"] / rate
        d["cpu_ratio_vs_mesa"] = d["prospect_months_per_cpu_s"] / cpu_rate
    for rows in res["scaling"]["market"].values():
        for r in rows:
            if r["label"] == "16x":
                r["ratio_vs_mesa"] = r["prospect_months_per_s"] / rate
                r["cpu_ratio_vs_mesa"] = r["prospect_months_per_cpu_s"] / cpu_rate
    say("A/B ensemble")
    cpus = os.cpu_count() or 1
    res["ab"] = bench_ab(
        seeds=8 if q else 32, repeats=1 if q else 2, workers_options=(cpus,) if q else (None, cpus)
    )
    res["cost_model"] = {}
    for name, rows in res["scaling"]["market"].items():
        cost = ws.cost_model(rows)
        cpu = {r["label"]: statistics.median(x["cpu_s"] for x in r["per_run"]) for r in rows}
        cost["cost_16x"] = cpu.get("16x", cpu[rows[-1]["label"]]) / cpu["1x"]
        res["cost_model"][name] = cost
    say("slider moves through the dashboard engine")
    res["engine_ab"] = ws.engine_ab(seeds=8 if q else 32, moves=2 if q else 5)
    sessions = 3 if q else 8
    say(f"{sessions} comparisons at once through the engine")
    res["engine_sessions"] = ws.engine_sessions(sessions, seeds=8 if q else 32)
    say("fresh processes: imports and a cold sim run")
    res["startup"] = ws.startup(repeats=1 if q else 3)
    mem_seeds = 32 if q else 256
    say(f"memory of a {mem_seeds}-seed ensemble")
    res["memory"] = bench_memory("product_led", mem_seeds, workers=cpus)
    res["environment"]["loadavg_end"] = list(os.getloadavg())
    res["elapsed_s"] = time.perf_counter() - started
    print_table(res)
    res["targets"] = summarise_targets(res)
    misses = [t["target"] for t in res["targets"] if not t["pass"]]
    print(
        f"{len(res['targets']) - len(misses)} of {len(res['targets'])} targets met"
        f"; benchmark took {res['elapsed_s']:.0f} s"
    )
    out = args.out or (None if q else RESULTS)
    if out is not None:
        out.write_text(json.dumps(res, indent=1, default=float) + "\n", encoding="utf-8")
        print(f"figures written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    else:
        print("--quick: nothing written (pass --out to keep the figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
