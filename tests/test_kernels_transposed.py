"""The transposed needs pass (``kernels.needs_and_fit_t``) gives ``needs_and_fit``'s numbers to
the bit, compiled and numpy, with the selects (up to ``SELECT_SEGMENTS`` segments) and the
gather (more)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import kernels


@pytest.mark.parametrize(
    ("seed", "k", "segments"),
    [(0, 1, 1), (1, 5, 2), (2, 24, 3), (3, 31, 4), (4, 32, 5), (5, 40, 12), (6, 64, 3)],
)
def test_transposed_needs_pass_agrees_to_the_bit(seed: int, k: int, segments: int, monkeypatch):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    capacity = n + int(rng.integers(0, 50))  # columns past n are left alone
    u = rng.random((n, k), dtype=np.float32)
    seg = rng.integers(0, segments, n).astype(np.int8)
    prob = rng.random((segments, k)).astype(np.float32)
    prob[0, :] = 0.0  # segment 0 needs nothing: the 0.5 fit
    ours, rival = rng.random(k).astype(np.float32), rng.random(k).astype(np.float32)
    bonus = np.where(rng.random(n) < 0.2, rng.random(n) * 0.6, 0.0)
    ut = np.full((k, capacity), 2.0, np.float32)
    ut[:, :n] = u.T
    monkeypatch.setenv(kernels.KERNELS_ENV, "numpy")
    needs, fit, rival_fit = np.empty((n, k), np.float32), np.empty(n), np.empty(n)
    kernels.needs_and_fit(u, seg, prob, ours, rival, bonus, needs, fit, rival_fit)
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        needs_t = np.full((k, capacity), 7.0, np.float32)
        fit_t, rival_t = np.empty(n), np.empty(n)
        kernels.needs_and_fit_t(ut, seg, prob, ours, rival, bonus, needs_t, fit_t, rival_t)
        assert np.array_equal(needs_t[:, :n].T, needs)
        assert np.all(needs_t[:, n:] == 7.0)
        assert np.array_equal(fit_t, fit) and np.array_equal(rival_t, rival_fit)
