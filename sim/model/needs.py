"""The capability space: what the market needs, how needs drift, and how well a product fits.

The market needs K capabilities. Each segment has a need profile (the probability that one of its
prospects needs each capability) held as logits that drift every month: long-run need levels are
redrawn now and then (needs appear and fade) and the current level wanders toward them. A product
that stops building for the market loses fit even when nothing else changes
(001_c4a0b04a5eb93e2d.txt: "now your product is behind").

A prospect's needs are fixed by its own latent draws ``u`` (one per capability): it needs
capability k while ``u[k] < p[segment, k]``. Drift therefore moves every prospect's needs
consistently, and fit is the share of a prospect's needs that a product covers (computed each
month by sim/model/kernels.py).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from sim.config import MarketParams

NO_NEEDS_FIT = 0.5  # fit of a prospect who needs nothing: indifferent (0-1)


class NeedSpace:
    """Segment need profiles (logits) and their monthly drift."""

    def __init__(self, params: MarketParams, rng: np.random.Generator) -> None:
        self.params = params
        self.segments = list(params.segments)
        mix = np.array([s.need_mix for s in params.segments.values()])[:, None]
        core = rng.normal(0.0, params.need_spread_logit, params.capabilities)
        own = rng.normal(0.0, params.need_spread_logit, (len(self.segments), params.capabilities))
        self.target = params.need_level_logit + mix * core + (1.0 - mix) * own
        self.logit = self.target.copy()
        self.prob = expit(self.logit)

    @property
    def shape(self) -> tuple[int, int]:
        return self.logit.shape

    def drift(self, rng: np.random.Generator) -> None:
        """One month of drift: some long-run levels jump, every level moves toward its own."""
        noise = self.drift_draws(rng)
        self.logit += self.params.need_reversion * (self.target - self.logit) + noise
        self.prob = expit(self.logit)

    def drift_draws(self, rng: np.random.Generator) -> np.ndarray:
        """A month of drift's draws: the long-run levels that jump (moved here), then the noise
        every level moves by (returned); ``drift`` moves the levels (sim/model/kernels.py's
        ``needs_drift`` makes the same draws in the same order and moves the long-run levels
        and the levels in one loop). ``prob`` is a new array each month: the competitor keeps
        the first month's."""
        p = self.params
        shifted = rng.random(self.shape) < p.need_shift_prob
        if shifted.any():
            self.target[shifted] = p.need_level_logit + rng.normal(
                0.0, p.need_spread_logit, shifted.sum()
            )
        return rng.normal(0.0, p.need_drift_sd, self.shape)


def needs_matrix(u: np.ndarray, seg: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """Boolean (n, K): which capabilities each prospect needs now."""
    return u < prob[seg]


def top_missing_need(needs: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """For each prospect, the needed capability the product covers least (-1 when none needed)."""
    gap = np.where(needs, 1.0 - coverage[None, :], -1.0)
    best = gap.argmax(axis=1)
    return np.where(gap.max(axis=1) > 0, best, -1)
