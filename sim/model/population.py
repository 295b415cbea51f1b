"""The prospect population: every prospect's attributes and state, as a struct of arrays.

The market owns the arrays; each prospect still decides individually, in vectorised code.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class State(IntEnum):
    """Where a prospect is; every prospect is in exactly one state."""

    UNAWARE = 0
    LEAD = 1
    PIPELINE = 2
    WAITING = 3
    CUSTOMER = 4
    CHURNED = 5
    LOST = 6
    LOST_TO_COMPETITOR = 7


NO_ONE = -1  # owner / promise / item id meaning "none"


def _zeros(capacity: int, dtype: type = float) -> np.ndarray:
    """``np.zeros``, its pages written. A large ``np.zeros`` gets pages the kernel maps only when
    first touched; most prospects' seats, price or satisfaction are never written, and a compiled
    loop's masked vector loads (a read under a condition, ``kernels._mrr_total_loop``'s) on such
    a page never map it: each one costs a microcode assist, every month (a 16x market's MRR sum
    took ~1 ms instead of ~10 us). Zeros written once map every page."""
    return np.full(capacity, 0, dtype=dtype)


class Prospects:
    """Every prospect's attributes and state, one slot per prospect, preallocated."""

    def __init__(self, capacity: int, capabilities: int) -> None:
        self._views: dict[str, np.ndarray] = {}  # ``active``'s views while ``n`` stays put
        self._n = 0
        # each prospect's latent need draws, capability by prospect (prospect i is column i):
        # the monthly needs pass runs over contiguous prospects (kernels.needs_and_fit_t)
        self.ut = np.ones((capabilities, capacity), dtype=np.float32)
        self.seg = _zeros(capacity, dtype=np.int8)
        self.state = np.full(capacity, State.UNAWARE, dtype=np.int8)
        self.budget = np.ones(capacity)
        self.seats_wanted = np.ones(capacity)
        self.honesty = _zeros(capacity)
        self.asks_custom = _zeros(capacity, dtype=bool)
        self.owner = np.full(capacity, NO_ONE, dtype=np.int32)
        self.next_contact = _zeros(capacity, dtype=np.int32)
        self.decide_month = _zeros(capacity, dtype=np.int32)
        self.seats = _zeros(capacity)
        self.price = _zeros(capacity)
        self.satisfaction = _zeros(capacity)
        self.start_month = _zeros(capacity, dtype=np.int32)
        self.closer = np.full(capacity, NO_ONE, dtype=np.int32)
        self.promise_cap = np.full(capacity, NO_ONE, dtype=np.int32)
        self.promise_due = _zeros(capacity, dtype=np.int32)
        self.promise_since = _zeros(capacity, dtype=np.int32)
        self.custom_item = np.full(capacity, NO_ONE, dtype=np.int32)
        self.custom_bonus = _zeros(capacity)
        self.commissioned = _zeros(capacity, dtype=bool)
        self.commission_paid = _zeros(capacity)
        self.fit = _zeros(capacity)
        # woken by a referral (a satisfied customer's word) rather than by the market's own
        # awareness: such a buyer comes warmer (``market.referral_win_logit``)
        self.referred = _zeros(capacity, dtype=bool)
        self.comp_fit = _zeros(capacity)

    @property
    def u(self) -> np.ndarray:
        """Each prospect's latent need draws, prospect by capability (a view of ``ut``)."""
        return self.ut.T

    @property
    def n(self) -> int:
        """Prospects so far: slots 0..n-1 hold them."""
        return self._n

    @n.setter
    def n(self, value: int) -> None:
        self._n = value
        self._views = {}  # the views end at the old n

    def __getstate__(self) -> dict:
        """A copy or a pickle holds no views of this population's arrays (they would not be
        views of the copy's)."""
        return {**self.__dict__, "_views": {}}

    def ensure_room(self, count: int) -> None:
        """Grow every array (doubling) when the next arrivals would not fit."""
        capacity = len(self.seg)
        if self.n + count <= capacity:
            return
        fresh = Prospects(max(2 * capacity, self.n + count), self.ut.shape[0])
        for name, array in vars(fresh).items():
            if isinstance(array, np.ndarray):
                array[..., :capacity] = getattr(self, name)  # prospects on the last axis
                setattr(self, name, array)
        self._views = {}  # views of the old arrays

    # -- the views every role uses: only slots 0..n-1 hold prospects ---------------------------
    def active(self, name: str) -> np.ndarray:
        """One attribute of every prospect so far (a view: writes go to the population). Read
        some fifty times a month: each view is made once until ``n`` changes or the arrays grow."""
        view = self._views.get(name)
        if view is None:
            view = self._views[name] = getattr(self, name)[: self._n]
        return view

    def live(self) -> np.ndarray:
        """Mask of live prospects: not yet lost or churned (unaware up to customer)."""
        return self.state[: self.n] <= State.CUSTOMER

    def in_state(self, state: State) -> np.ndarray:
        """Indices of the prospects in one state."""
        return np.flatnonzero(self.state[: self.n] == state)

    def mrr(self) -> np.ndarray:
        """Monthly revenue of each customer (0 for everyone else)."""
        n = self.n
        return np.where(self.state[:n] == State.CUSTOMER, self.seats[:n] * self.price[:n], 0.0)

    def count(self, state: State) -> int:
        return int(np.count_nonzero(self.state[: self.n] == state))
