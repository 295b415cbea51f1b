"""The market: segments, the prospect population (struct of arrays) and its monthly arrivals.

Segments differ in need profile, price, cost to serve, cycle length, churn and how often they ask
for custom work (004_ce31e603c4dfbe1d.txt; honesty of 'buy if you build X' from
001_c4a0b04a5eb93e2d.txt). Prospects live in numpy arrays owned by the market; each still decides
individually, in vectorised code. With ``market.referral_satisfied_only`` only satisfied customers
bring referrals: a customer who was oversold and disappointed does not vouch for the product
(003_ad2eeeaa19e1d10f.txt: churn and references; 001_c4a0b04a5eb93e2d.txt: buyers who never got
what they were promised).
"""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np

from sim.config import Scenario
from sim.model.kernels import (
    SATISFIED,
    arrivals,
    arrive,
    committed_fit,
    compiled_now,
    lead_count,
    lead_scan,
    love_share,
    needs_and_fit_t,
    needs_drift,
    pick_leads,
    pipeline_scan,
    pitch_inputs,
    spread_awareness,
    top_missing,
)
from sim.model.needs import NeedSpace
from sim.model.population import Prospects

SEATS_SHAPE = 1.5  # gamma shape of seats per deal: most deals small, a few large (dimensionless)
ARRIVAL_DRAWS = 4
"""Draws per arriving prospect besides its needs: budget, seats, honesty, asking for custom work."""
CAPACITY_HEADROOM = 1.3  # arrays start this much above the expected population; they grow if needed


class Market(mesa.Agent):
    """Holds the segments, the need space and the prospects; drifts needs and brings arrivals."""

    def __init__(self, model: mesa.Model, scenario: Scenario) -> None:
        super().__init__(model)
        p = scenario.market
        self.params = p
        self.segments = list(p.segments.values())
        self.segment_names = list(p.segments)
        self.needs = NeedSpace(p, model.streams.needs)
        capacity = self._capacity(scenario)
        self.prospects = Prospects(capacity, p.capabilities)
        self.cycle_months = np.array([s.sales_cycle_months for s in self.segments])
        self.list_price = np.array([s.price_per_seat_usd for s in self.segments])
        self._needs_buffer = np.zeros(
            (p.capabilities, 0), dtype=np.float32
        )  # capability by prospect
        self._needs = self._needs_buffer.T  # the month's needs, prospect by capability (a view)
        self._pipeline = np.zeros(0, dtype=np.int64)
        self._pipeline_owner = np.zeros(0, dtype=np.int64)  # open deals per rep id
        self._odd_owners: np.ndarray | None = None
        self._counts_month = -1
        self._counts = np.zeros(len(self.segments))
        self._weights: dict[tuple[int, ...], np.ndarray] = {}
        # per set of segments: 1.0 for each in it (``segment_weights``), a flag each (``_wanted``)
        self._ones: dict[tuple[int, ...], np.ndarray] = {}
        self._flags: dict[tuple[int, ...], np.ndarray] = {}
        # per segment, for ``arrivals``: the month's counts and each one's draws (grown as needed)
        self._arrival_counts = np.zeros(len(self.segments), dtype=np.int64)
        self._arrival_draws = np.empty((ARRIVAL_DRAWS, 0))
        self._u_buffer = np.empty((64, p.capabilities), np.float32)  # ``_u_room``
        self._budget_ratio = np.array([s.budget_ratio for s in self.segments])
        self._honesty = np.array([s.honesty for s in self.segments])
        self._asks_share = np.array([s.custom_request_share for s in self.segments])
        self._seats_scale = np.array([s.seats_mean / SEATS_SHAPE for s in self.segments])
        # each segment's mean arrivals a month (the Poisson draw's mean)
        self._arrival_means = np.array([s.arrivals_per_month * p.size_scale for s in self.segments])
        self._arrive([max(round(seg.initial_prospects * p.size_scale), 0) for seg in self.segments])

    @staticmethod
    def _capacity(scenario: Scenario) -> int:
        p = scenario.market
        mean = sum(
            s.initial_prospects + s.arrivals_per_month * scenario.months
            for s in p.segments.values()
        )
        return int(mean * p.size_scale * CAPACITY_HEADROOM) + 64

    def _arrive(self, counts: list[int] | None = None) -> None:
        """New prospects enter as UNAWARE with their own needs, budget and seats: segment after
        segment, its count (``counts[s]``, or else a Poisson draw of its mean arrivals, drawn
        first) and then its draws. Compiled, one loop draws and writes them all
        (``kernels.arrive``); with numpy, one ``arrivals`` call writes them after the draws."""
        if compiled_now():
            self._arrive_compiled(counts)
            return
        if counts is None:
            poisson, means = self.model.streams.arrivals.poisson, self._arrival_means.tolist()
            count_of: Callable[[int], int] = lambda s: int(poisson(means[s]))
        else:
            count_of = counts.__getitem__
        pr, rng, counts_ = self.prospects, self.model.streams.arrivals, self._arrival_counts
        start = end = pr.n
        for s in range(len(self.segments)):
            count = max(count_of(s), 0)
            counts_[s] = count
            if count == 0:
                continue
            pr.ensure_room(end - start + count)  # room beyond ``n``, which moves at the end
            draws = self._draws_room(end - start + count)
            at = slice(end - start, end - start + count)
            # each prospect's latent need draws, prospect by capability as drawn (the month's
            # go to the population's transposed block in one copy at the end)
            rng.random(dtype=np.float32, out=self._u_room(end - start + count)[at])
            # in this order: budget, seats (a gamma of scale 1: ``arrivals`` scales it), honesty,
            # asking for custom work
            rng.standard_normal(out=draws[0, at])
            rng.standard_gamma(SEATS_SHAPE, out=draws[1, at])
            rng.standard_normal(out=draws[2, at])
            rng.random(out=draws[3, at])
            end += count
        if end > start:
            pr.ut[:, start:end] = self._u_buffer[: end - start].T
            arrivals(
                start, counts_, self._arrival_draws, self._budget_ratio, self._honesty,
                self._asks_share, self._seats_scale, pr,
            )  # fmt: skip
            pr.n = end

    def _arrive_compiled(self, counts: list[int] | None) -> None:
        """``_arrive`` in one compiled loop, the arrays grown whenever a segment's prospects
        would not fit (the loop stops before that segment's draws and goes on from there)."""
        pr, rng, drawn = self.prospects, self.model.streams.arrivals, self._arrival_counts
        drawn[:] = -1 if counts is None else counts  # -1: a Poisson draw
        segment, start = 0, pr.n
        end = start
        while True:
            segment, end = arrive(
                rng, self._arrival_means, drawn, segment, end, self._budget_ratio,
                self._honesty, self._asks_share, self._seats_scale, SEATS_SHAPE, pr,
            )  # fmt: skip
            if segment == len(drawn):
                break
            pr.ensure_room(end - start + int(drawn[segment]))
        if end > start:
            pr.n = end

    def _u_room(self, rows: int) -> np.ndarray:
        """The month's latent need draws, a row per prospect, with at least ``rows`` rows (a
        buffer kept; doubling, the rows drawn so far this month kept)."""
        u = self._u_buffer
        if u.shape[0] < rows:
            grown = np.empty((max(2 * u.shape[0], rows), u.shape[1]), np.float32)
            grown[: u.shape[0]] = u
            u = self._u_buffer = grown
        return u

    def _draws_room(self, columns: int) -> np.ndarray:
        """The arrivals' draw buffer with at least ``columns`` columns (doubling; the draws made
        so far this month kept)."""
        draws = self._arrival_draws
        if draws.shape[1] < columns:
            grown = np.empty((ARRIVAL_DRAWS, max(2 * draws.shape[1], columns, 64)))
            grown[:, : draws.shape[1]] = draws
            draws = self._arrival_draws = grown
        return draws

    # -- monthly phase ------------------------------------------------------------------------
    def step(self) -> None:
        """Needs drift and coverage dates, new prospects arrive, some unaware prospects become
        leads."""
        needs_drift(self.needs, self.model.streams.needs)
        self.model.product.coverage *= 1.0 - self.params.obsolescence_monthly
        self.model.competitor.coverage *= 1.0 - self.params.obsolescence_monthly
        self._arrive()
        self._spread_awareness()

    def _spread_awareness(self) -> None:
        pr, p = self.prospects, self.params
        # one pass: customers, the unaware and their keyed draws, and the month's live counts per
        # segment (waking up moves prospects between live states, so the counts hold for the rest
        # of the month)
        counts = spread_awareness(
            pr.active("state"),
            pr.active("seg"),
            len(self.segments),
            p.awareness_monthly,
            p.referral_per_customer,
            self.model.streams.woke.key,
            self.model.month,
            pr.active("satisfaction"),
            SATISFIED if p.referral_satisfied_only else -np.inf,
            pr.active("referred"),
        )
        self._set_live_counts(counts)

    def update_fit(self, only_committed: bool = False) -> None:
        """Recompute live prospects' fit to our product and to the competitor's.

        ``only_committed`` limits it to customers and waiting buyers: after the product ships,
        they are the only ones who act on fit again this month.
        """
        pr, n = self.prospects, self.prospects.n
        ours = self.model.coverage.astype(np.float32)
        rival = self.model.competitor.coverage.astype(np.float32)
        if not only_committed or self._needs.shape[0] != n:
            if self._needs_buffer.shape[1] < n:  # grows with the population, like its arrays
                self._needs_buffer = np.empty(
                    (self.params.capabilities, len(pr.seg)), dtype=np.float32
                )
            # the month's matrix in a buffer kept from month to month (every prospect's column is
            # rewritten; a fresh array each month cost page faults over the whole matrix), stored
            # capability by prospect; readers see it prospect by capability (a view)
            self._needs = self._needs_buffer[:, :n].T
            # fits land in the population, except for a committed-only update (scratch there)
            everyone = not only_committed
            needs_and_fit_t(
                pr.ut,
                pr.active("seg"),
                self.needs.prob.astype(np.float32),
                ours,
                rival,
                pr.active("custom_bonus"),
                self._needs_buffer,
                pr.active("fit") if everyone else np.empty(n),
                pr.active("comp_fit") if everyone else np.empty(n),
            )
            if everyone:
                return
        committed_fit(
            pr.active("state"),
            self._needs,
            ours,
            rival,
            pr.active("custom_bonus"),
            pr.active("fit"),
            pr.active("comp_fit"),
        )

    def open_sales_month(self) -> None:
        """Snapshot the pipeline before reps work (one scan, not one per rep): its deals and
        each rep's open deals."""
        pr = self.prospects
        self._pipeline, self._pipeline_owner, self._odd_owners = pipeline_scan(
            pr.active("state"), pr.active("owner")
        )

    def open_deal_count(self, rep_id: int) -> int:
        """A rep's open deals at the start of this month's sales phase."""
        if self._odd_owners is not None:  # an ownerless deal in the pipeline: count the old way
            return int(np.count_nonzero(self._odd_owners == rep_id))
        counts = self._pipeline_owner
        return int(counts[rep_id]) if 0 <= rep_id < counts.size else 0

    def pipeline_snapshot(self) -> np.ndarray:
        """Deals in the pipeline at the start of this month's sales phase."""
        return self._pipeline

    def pick_leads(self, segments: list[int], key: int, count: int) -> tuple[np.ndarray, int]:
        """The ``count`` leads first in this month's order of reach (each lead's keyed draw under
        ``key``, the contact stream's), of those a rep may contact now in the given segments
        (``leads_in``), in that order; and how many such leads there are."""
        pr = self.prospects
        state, contact, seg = pr.active("state"), pr.active("next_contact"), pr.active("seg")
        wanted = self._wanted(segments)
        return pick_leads(state, contact, self.model.month, seg, wanted, key, count)

    def _wanted(self, segments: list[int]) -> np.ndarray | None:
        """A flag per segment, set for ``segments`` (None: every segment), made once per set of
        segments (shared by every caller: not to be written; not flagged read-only, which would
        be another type for the compiled kernels)."""
        if len(segments) >= len(self.segments):
            return None
        key = tuple(segments)
        wanted = self._flags.get(key)
        if wanted is None:
            wanted = np.zeros(len(self.segments), dtype=bool)
            wanted[segments] = True
            self._flags[key] = wanted
        return wanted

    # -- queries used by the other agents -----------------------------------------------------
    def top_missing_of(
        self, idx: np.ndarray, coverage: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """For these prospects: the needed capability ``coverage`` covers least (-1: none) and
        how many capabilities each needs this month."""
        return top_missing(self._needs, idx, coverage)

    def pitch_inputs_of(
        self, idx: np.ndarray, coverage: np.ndarray, planned_eta: np.ndarray, wait_scale: float
    ) -> tuple:
        """``top_missing_of`` these prospects, each one's planned eta for that capability and
        ``-eta / wait_scale`` (``kernels.pitch_inputs``)."""
        return pitch_inputs(self._needs, idx, coverage, planned_eta, wait_scale)

    def needs_of(self, idx: np.ndarray) -> np.ndarray:
        """Which capabilities these prospects need this month (from the monthly needs matrix)."""
        return self._needs[idx] > 0.5

    def need_count(self, i: int) -> int:
        """How many capabilities prospect ``i`` needs this month (``needs_of([i])``'s sum,
        without an index array)."""
        return int(np.count_nonzero(self._needs[i] > 0.5))

    def leads_in(self, segments: list[int]) -> np.ndarray:
        """Indices of leads a rep may contact now, in the given segments."""
        pr = self.prospects
        wanted = self._wanted(segments)
        state, contact, seg = pr.active("state"), pr.active("next_contact"), pr.active("seg")
        # the same leads, in the same order, as fresh_leads of everyone, in one scan
        return lead_scan(state, contact, self.model.month, seg, wanted)

    def lead_count(self, segments: list[int]) -> int:
        """How many leads a rep may contact now, in the given segments (``leads_in``'s size)."""
        pr = self.prospects
        state, contact, seg = pr.active("state"), pr.active("next_contact"), pr.active("seg")
        return lead_count(state, contact, self.model.month, seg, self._wanted(segments))

    def segment_weights(self, segments: list[int]) -> np.ndarray:
        """How many live prospects each segment holds, zero outside the given segments."""
        counts = self._live_counts()  # refreshes the month's cache when the month has changed
        key = tuple(segments)
        weights = self._weights.get(key)
        if weights is None:
            mask = self._ones.get(key)
            if mask is None:  # made once per set of segments
                mask = self._ones[key] = np.zeros(len(self.segments))
                mask[segments] = 1.0
            weights = self._weights[key] = counts * mask
            weights.setflags(write=False)  # shared by every caller this month
        return weights

    def _live_counts(self) -> np.ndarray:
        """Live prospects per segment, counted once a month (after arrivals)."""
        if self._counts_month != self.model.month:
            pr = self.prospects
            alive = pr.live()
            self._set_live_counts(
                np.bincount(pr.active("seg")[alive], minlength=len(self.segments)).astype(float)
            )
        return self._counts

    def _set_live_counts(self, counts: np.ndarray) -> None:
        self._counts = counts
        self._counts_month = self.model.month
        self._weights = {}

    def best_segment_love_share(self, threshold: float) -> float:
        """PMF survey: the largest share, over segments, of live prospects whose fit >=
        threshold."""
        pr = self.prospects
        return love_share(
            pr.active("state"), pr.active("seg"), pr.active("fit"), threshold, len(self.segments)
        )
