"""Kernels for the population's array work: one numpy version and one compiled (numba) version.

The market recomputes every prospect's needs and fit each month: a pass over prospects x
capabilities that numpy makes in five or six whole-array steps (a gather of each prospect's
segment profile, a comparison, a cast, a matrix product, a division). The compiled kernel makes it
in one branch-free pass. The arithmetic is fixed here, for both versions: needs are 0 or 1, and
each covered share is a float32 sum of coverage values taken in capability order (the matrix
product summed in that order below 32 capabilities, so the default runs did not change; from 32
on BLAS sums in blocks, and the numbers now differ from it in the last float32 bit). Both versions
give the same numbers to the bit (tests/test_kernels.py on random populations of up to 64
capabilities; tests/test_pin.py on whole runs, with each version), so a run does not depend on
which one ran it. No random draws happen here.

Which one runs (``SIM_KERNELS``): ``auto`` (default) uses numpy for a process's first
``COMPILE_AFTER_MONTHS`` simulated months and the compiled kernel after that, so a single
``sim run`` does not pay numba's import (~0.5 s) while ensembles, sweeps and the dashboard's
workers, which simulate thousands of months, get the faster pass; ``numpy`` or ``compiled`` force
one (any other value counts as ``auto``). ``cache=True`` keeps the compiled code under
``__pycache__``: a fresh process loads it instead of compiling again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from sim.model.needs import NO_NEEDS_FIT, needs_matrix

KERNELS_ENV = "SIM_KERNELS"  # auto | numpy | compiled
COMPILE_AFTER_MONTHS = 600
"""In ``auto``, months a process simulates with numpy before it switches to the compiled kernel
(about ten runs: a single run never imports numba)."""

_months = 0
_compiled: dict[str, Callable[..., Any]] = {}


def use_compiled() -> bool:
    """Whether this month's pass runs compiled (counts the months of this process)."""
    global _months
    _months += 1
    mode = os.environ.get(KERNELS_ENV, "auto").strip().lower()
    if mode == "numpy":
        return False
    return mode == "compiled" or _months > COMPILE_AFTER_MONTHS


def needs_and_fit(u, seg, prob, ours, rival, bonus, needs, fit, rival_fit) -> None:
    """For every prospect i: ``needs[i, k] = u[i, k] < prob[seg[i], k]`` (as float32 0/1), its
    fit to our product (capped at 1 with its custom bonus) and to the rival's; in place.

    ``prob``, ``ours`` and ``rival`` are float32; ``bonus``, ``fit`` and ``rival_fit`` float64.
    """
    if use_compiled():
        _kernel("needs_and_fit")(u, seg, prob, ours, rival, bonus, needs, fit, rival_fit)
        return
    needs[:] = needs_matrix(u, seg, prob)
    fit[:], rival_fit[:] = _fits_in_order(needs, ours, rival, bonus)


def fit_of(rows, needs, ours, rival, bonus, fit, rival_fit) -> None:
    """The same fits for some prospects (``rows``) from needs already computed this month."""
    if use_compiled():
        _kernel("fit_of")(rows, needs, ours, rival, bonus, fit, rival_fit)
        return
    fit[rows], rival_fit[rows] = _fits_in_order(needs[rows], ours, rival, bonus[rows])


def _fits_in_order(
    needs: np.ndarray, ours: np.ndarray, rival: np.ndarray, bonus: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The compiled loop's arithmetic in numpy: float32 sums over capabilities in order (a
    matrix product may sum in another order once there are 32 capabilities or more)."""
    columns = np.ascontiguousarray(needs.T)
    count = np.zeros(needs.shape[0], dtype=np.float32)
    a = np.zeros(needs.shape[0], dtype=np.float32)
    b = np.zeros(needs.shape[0], dtype=np.float32)
    for k, need in enumerate(columns):
        count += need
        a += need * ours[k]
        b += need * rival[k]
    denominator = np.maximum(count, np.float32(1.0))
    fa, fb = a / denominator, b / denominator
    none = count <= 0
    fa[none] = NO_NEEDS_FIT
    fb[none] = NO_NEEDS_FIT
    return np.minimum(1.0, fa.astype(np.float64) + bonus), fb.astype(np.float64)


def warm() -> None:
    """Compile (or load from the cache) both kernels now, on a tiny population: a long-lived
    worker calls it once so its first slider move does not wait for the compiler."""
    n, k = 2, 3
    u, needs = np.zeros((n, k), np.float32), np.zeros((n, k), np.float32)
    seg, prob = np.zeros(n, np.int8), np.ones((1, k), np.float32)
    cov, bonus, fit, rival_fit = np.ones(k, np.float32), np.zeros(n), np.zeros(n), np.zeros(n)
    _kernel("needs_and_fit")(u, seg, prob, cov, cov, bonus, needs, fit, rival_fit)
    _kernel("fit_of")(np.arange(n), needs, cov, cov, bonus, fit, rival_fit)


def _kernel(name: str) -> Callable[..., Any]:
    if not _compiled:
        from numba import njit  # here: numba costs ~0.5 s to import

        _compiled["needs_and_fit"] = njit(cache=True, nogil=True)(_needs_and_fit_loop)
        _compiled["fit_of"] = njit(cache=True, nogil=True)(_fit_of_loop)
    return _compiled[name]


def _needs_and_fit_loop(u, seg, prob, ours, rival, bonus, needs, fit, rival_fit):
    """``needs_and_fit`` as one loop (compiled by numba)."""
    n, k_count = u.shape
    one = np.float32(1.0)
    for i in range(n):
        s = seg[i]
        count = np.float32(0.0)
        a = np.float32(0.0)
        b = np.float32(0.0)
        for k in range(k_count):  # branch-free: need is 0 or 1, so need * x is x or 0 exactly
            need = np.float32(u[i, k] < prob[s, k])
            needs[i, k] = need
            count += need
            a += need * ours[k]
            b += need * rival[k]
        if count > 0:
            denominator = max(count, one)
            fa, fb = a / denominator, b / denominator
        else:
            fa, fb = np.float32(NO_NEEDS_FIT), np.float32(NO_NEEDS_FIT)
        fit[i] = min(1.0, np.float64(fa) + bonus[i])
        rival_fit[i] = np.float64(fb)


def _fit_of_loop(rows, needs, ours, rival, bonus, fit, rival_fit):
    """``fit_of`` as one loop (compiled by numba)."""
    one = np.float32(1.0)
    k_count = needs.shape[1]
    for r in range(rows.shape[0]):
        i = rows[r]
        count = np.float32(0.0)
        a = np.float32(0.0)
        b = np.float32(0.0)
        for k in range(k_count):
            need = needs[i, k]
            count += need
            a += need * ours[k]
            b += need * rival[k]
        if count > 0:
            denominator = max(count, one)
            fa, fb = a / denominator, b / denominator
        else:
            fa, fb = np.float32(NO_NEEDS_FIT), np.float32(NO_NEEDS_FIT)
        fit[i] = min(1.0, np.float64(fa) + bonus[i])
        rival_fit[i] = np.float64(fb)
