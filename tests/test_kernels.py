"""The compiled kernel gives the numpy path's numbers to the bit (sim/model/kernels.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import kernels


def _population(rng: np.random.Generator, n: int, k: int):
    u = rng.random((n, k), dtype=np.float32)
    seg = rng.integers(0, 3, n).astype(np.int8)
    prob = rng.random((3, k)).astype(np.float32)
    prob[0, :] = 0.0  # segment 0 needs nothing: the 0.5 fit
    ours = rng.random(k).astype(np.float32)
    rival = rng.random(k).astype(np.float32)
    bonus = np.where(rng.random(n) < 0.2, rng.random(n) * 0.6, 0.0)
    return u, seg, prob, ours, rival, bonus


@pytest.mark.parametrize(
    ("seed", "k"), [(0, 1), (1, 5), (2, 24), (3, 31), (4, 32), (5, 40), (6, 64)]
)
def test_compiled_and_numpy_kernels_agree_to_the_bit(seed: int, k: int, monkeypatch) -> None:
    """Also at 32 capabilities and more, where a BLAS matrix product sums in blocks."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    u, seg, prob, ours, rival, bonus = _population(rng, n, k)
    out = {}
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        needs, fit, rival_fit = np.empty((n, k), np.float32), np.empty(n), np.empty(n)
        kernels.needs_and_fit(u, seg, prob, ours, rival, bonus, needs, fit, rival_fit)
        rows = np.flatnonzero(rng.random(n) < 0.3)
        some_fit, some_rival = np.full(n, -1.0), np.full(n, -1.0)
        kernels.fit_of(rows, needs, ours, rival, bonus, some_fit, some_rival)
        out[mode] = (needs, fit, rival_fit, some_fit, some_rival)
        rng = np.random.default_rng(seed)  # the same rows for the other mode
        rng.integers(1, 3000)
        _population(rng, n, k)
    for a, b in zip(out["numpy"], out["compiled"], strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    fit = out["numpy"][1]
    assert np.all(fit[seg == 0] == np.minimum(1.0, 0.5 + bonus[seg == 0]))


def test_auto_mode_compiles_only_after_many_months(monkeypatch) -> None:
    monkeypatch.setenv(kernels.KERNELS_ENV, "auto")
    monkeypatch.setattr(kernels, "_months", 0)
    assert not any(kernels.use_compiled() for _ in range(kernels.COMPILE_AFTER_MONTHS))
    assert kernels.use_compiled()
    monkeypatch.setenv(kernels.KERNELS_ENV, "numpy")
    assert not kernels.use_compiled()
