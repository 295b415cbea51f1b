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


def _states(rng: np.random.Generator, n: int, segments: int):
    """A random population for the scans: every state, segment, fit, promise and satisfaction."""
    state = rng.integers(0, 8, n).astype(np.int8)
    seg = rng.integers(0, segments, n).astype(np.int8)
    fit = rng.random(n)
    comp_fit = rng.random(n)
    promise_cap = np.where(rng.random(n) < 0.3, rng.integers(0, 24, n), -1).astype(np.int32)
    satisfaction = rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3, n)
    next_contact = rng.integers(0, 12, n).astype(np.int32)
    seats = np.round(rng.gamma(1.5, 8.0, n)) + 1.0
    price = rng.uniform(20.0, 900.0, n)
    return state, seg, fit, comp_fit, promise_cap, satisfaction, next_contact, seats, price


def _both(monkeypatch, scan, *args):
    """``scan(*args)`` with the numpy scans and again with the compiled ones."""
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        out.append(scan(*args))
    return out


def _same(a, b) -> None:
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
        return
    if isinstance(a, np.ndarray):
        assert a.dtype.kind == b.dtype.kind and np.array_equal(a, b)
        return
    assert type(a) is type(b) or {type(a), type(b)} <= {int, np.int64}
    assert np.float64(a).tobytes() == np.float64(b).tobytes()  # to the bit, -0.0 included


@pytest.mark.parametrize(
    "n", [0, 1, 5, 7, 8, 9, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1000, 2049, 9000, 33001]
)
def test_scans_agree_to_the_bit(n: int, monkeypatch) -> None:
    """Counts, index lists and numpy's pairwise float sums (block edges at 8 and 128 included)."""
    rng = np.random.default_rng(n)
    for segments in (1, 3):
        state, seg, fit, comp, cap, sat, contact, seats, price = _states(rng, n, segments)
        census = (state, seg, fit, comp, cap, sat, segments)
        _same(*_both(monkeypatch, kernels.census, *census))
        _same(*_both(monkeypatch, kernels.awareness_scan, state, seg, segments))
        _same(*_both(monkeypatch, kernels.love_share, state, seg, fit, 0.55, segments))
        _same(*_both(monkeypatch, kernels.sales_scan, state, contact, 6))
        _same(*_both(monkeypatch, kernels.mrr_total, state, seats, price))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_committed_fit_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 3000)), 24
    u, seg, prob, ours, rival, bonus = _population(rng, n, k)
    needs = (u < prob[seg]).astype(np.float32)
    state = rng.integers(0, 8, n).astype(np.int8)

    def call():
        fit, rival_fit = np.full(n, -1.0), np.full(n, -1.0)
        kernels.committed_fit(state, needs, ours, rival, bonus, fit, rival_fit)
        return fit, rival_fit

    _same(*_both(monkeypatch, call))


def test_pairwise_sum_is_numpys(monkeypatch) -> None:
    """The compiled pairwise sum against ``ndarray.sum`` on awkward values and every length."""
    rng = np.random.default_rng(5)
    monkeypatch.setenv(kernels.KERNELS_ENV, "compiled")
    kernels.warm()
    pairwise = kernels._pairwise_sum
    for n in [*range(300), 1024, 4097, 65537]:
        a = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
        assert np.float64(0.0 + pairwise(a, n)).tobytes() == a.sum().tobytes()
    zeros = np.full(9, -0.0)
    assert np.float64(0.0 + pairwise(zeros, 9)).tobytes() == zeros.sum().tobytes()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_top_missing_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """Ties (equal coverage), fully covered needs and prospects who need nothing included."""
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 500)), int(rng.integers(1, 40))
    needs = (rng.random((n, k)) < rng.random()).astype(np.float32)
    coverage = np.round(rng.random(k) * 4) / 4  # ties, and 1.0: covered, no gap
    rows = np.flatnonzero(rng.random(n) < 0.5)
    _same(*_both(monkeypatch, kernels.top_missing, needs, rows, coverage))


@pytest.mark.parametrize("n", [0, 1, 9, 300, 5000])
def test_sales_floor_scans_agree(n: int, monkeypatch) -> None:
    """The month's fresh leads (every segment, and some) and the due deals split by asks."""
    rng = np.random.default_rng(n + 11)
    state, seg, fit, _, _, _, contact, _, _ = _states(rng, n, 3)
    rows = np.flatnonzero(rng.random(n) < 0.6)
    asks_custom = rng.random(n) < 0.3
    for wanted in (None, np.array([True, False, True])):
        _same(*_both(monkeypatch, kernels.fresh_leads, rows, state, contact, 6, seg, wanted))
        everyone = _both(monkeypatch, kernels.lead_scan, state, contact, 6, seg, wanted)
        _same(*everyone)
        counts = _both(monkeypatch, kernels.lead_count, state, contact, 6, seg, wanted)
        _same(*counts)
        assert counts[0] == everyone[0].size
        _same(everyone[0], kernels.fresh_leads(np.arange(n), state, contact, 6, seg, wanted))
    deals = (state, contact, 6, asks_custom, fit, 0.45)
    _same(*_both(monkeypatch, kernels.due_deals, rows, *deals))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_win_logit_and_owner_sums_agree(seed: int, monkeypatch) -> None:
    """The buyers' discounts and win logits; each rep's bookings (numpy's pairwise sums)."""
    rng = np.random.default_rng(seed + 21)
    n = int(rng.integers(0, 400))
    budget = rng.uniform(0.0, 1.5, n)
    budget[: n // 10] = 1.0  # no discount needed
    fit, comp_fit = rng.random(n), rng.random(n)
    idx = np.flatnonzero(rng.random(n) < 0.5)
    skill, gain = rng.normal(0.0, 0.5, idx.size), rng.random(idx.size) * (rng.random() < 0.5)
    slopes = (rng.normal(), rng.random() * 4, rng.random() * 4, rng.random() * 3, rng.random())
    referred = rng.random(n) < 0.3
    for max_discount in (0.0, 0.3, 1.0):
        args = (idx, budget, fit, comp_fit, skill, gain, max_discount, slopes)
        _same(*_both(monkeypatch, kernels.win_logit, *args))
        for view in ((1.0, referred, 0.0), (0.35, referred, 1.2), (0.0, None, 0.0)):
            _same(*_both(monkeypatch, kernels.win_logit, *args, view))
    values = rng.gamma(1.5, 300.0, n) * 10.0 ** rng.uniform(-3, 3, n)
    owners = rng.integers(-1, 7, n).astype(np.int32)
    ids = rng.permutation(np.arange(0, 9))
    numpy_sums, compiled_sums = _both(monkeypatch, kernels.sums_by_owner, values, owners, ids)
    assert [None if s is None else np.float64(s).tobytes() for s in numpy_sums] == [
        None if s is None else np.float64(s).tobytes() for s in compiled_sums
    ]


@pytest.mark.parametrize("count", [1, 7, 300])
def test_arrivals_agree(count: int, monkeypatch) -> None:
    """New prospects of three segments (one with none): budget, seats (rounding half to even
    reached), honesty (both clips reached) and custom asks."""
    from sim.model.population import Prospects

    rng = np.random.default_rng(count)
    counts = np.array([count, 0, count + 3], dtype=np.int64)
    total = int(counts.sum())
    draws = np.zeros((4, total + 10))  # a buffer longer than the month's draws, as the market's
    draws[:, :total] = (
        rng.standard_normal(total) * 3.0,
        rng.gamma(1.5, 1.0, total),
        rng.standard_normal(total) * 4.0,
        rng.random(total),
    )
    draws[1, :2] = 1.25, 0.625  # 2.5 and 1.25 seats at scale 2: ties round to even
    per_segment = (
        np.array([0.8, 0.5, 1.2]),
        np.array([0.6, 0.9, 0.3]),
        np.array([0.25, 0.5, 0.75]),
        np.array([2.0, 1.0, 3.5]),
    )
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        pr = Prospects(total + 20, 3)
        kernels.arrivals(5, counts, draws, *per_segment, pr)
        out.append([pr.seg, pr.state, pr.budget, pr.seats_wanted, pr.honesty, pr.asks_custom])
    for a, b in zip(*out, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert (out[0][0][5 : 5 + count] == 0).all() and (out[0][0][5 + count : 5 + total] == 2).all()


def _copies(pr, names):
    return [getattr(pr, name).copy() for name in names]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deal_kernels_agree(seed: int, monkeypatch) -> None:
    """Qualifying picked leads, opening deals, the roadmap pitch and the buyers' outcomes:
    the same returns and the same writes to the population."""
    from sim.model.population import Prospects

    rng = np.random.default_rng(seed + 31)
    n = int(rng.integers(1, 500))
    pr = Prospects(n, 3)
    pr.n = n
    pr.seg[:] = rng.integers(0, 3, n)
    pr.state[:] = rng.integers(0, 8, n)
    pr.fit[:], pr.comp_fit[:] = rng.random(n), rng.random(n)
    picked = rng.permutation(n)[: int(rng.integers(0, n + 1))]
    place = rng.integers(0, 4, picked.size)
    noise, z = rng.random(4) * 0.3, rng.standard_normal(picked.size)
    gamma = rng.standard_gamma(4.0, picked.size)
    cycle = np.array([1.0, 3.0, 6.5])
    k = np.where(rng.random(picked.size) < 0.2, -1, rng.integers(0, 24, picked.size))
    needed = rng.integers(0, 6, picked.size)
    eta = np.where(rng.random(picked.size) < 0.2, np.inf, rng.random(picked.size) * 12)
    decay = np.exp(-eta / 6.0)
    chance, draws = rng.random(picked.size), (rng.random(picked.size), rng.random(picked.size))
    discount, list_price = rng.random(picked.size) * 0.3, np.array([100.0, 45.5, 900.0])
    names = ("state", "owner", "next_contact", "decide_month", "promise_cap", "promise_due")
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        run = Prospects(n, 3)
        for name in ("seg", "state", "fit", "comp_fit"):
            getattr(run, name)[:] = getattr(pr, name)
        q = kernels.qualify(picked, place, noise, z, run.fit, 0.4, run.next_contact, 9)
        kernels.open_deals(picked, place, gamma, 5, cycle, run)
        promise_k, promise_eta, gain = kernels.pitch(k, needed, eta, decay, 6.0, 0.3)
        promise = (promise_k, promise_eta)
        wait = 1.0 - np.exp(-promise_eta / 6.0)
        outcome = kernels.decide_outcomes(
            picked, chance, draws, wait, promise, discount, 5, list_price, run
        )
        out.append((q, (promise_k, promise_eta, gain), outcome, tuple(_copies(run, names))))
    _same(*out)


@pytest.mark.parametrize("seed", range(40))
def test_plan_eta_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """The roadmap plan's ETAs: ties in value (whole and part steps, across capabilities),
    killed lines, covered capabilities, a current item or none, steps that do or do not divide
    the gaps."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 30))
    coverage = np.round(rng.random(k) * 8) / 8 if seed % 2 else rng.random(k)
    coverage[rng.random(k) < 0.15] = 1.0
    killed = np.where(rng.random(k) < 0.2, 7, 0).astype(np.int32)
    demand = np.round(rng.random(k) * 4) if seed % 3 == 0 else rng.random(k) * 300
    step = float(rng.choice([0.05, 0.1, 0.125, 0.25, 1 / 3, 0.3, 1.0]))
    current = int(rng.integers(-1, k))
    current_step = step if current >= 0 else 0.0
    args = (coverage, killed, 5, current, current_step, step, demand, 0.7, 1.5, 2.25)
    numpy_eta, compiled_eta = _both(monkeypatch, kernels.plan_eta, *args)
    _same(numpy_eta, compiled_eta)
    planned = kernels.planned_items(kernels.plan_gap(*args[:5]), step, demand)
    caps, first = np.unique(planned, return_index=True)
    expected = np.full(k, np.inf)
    expected[caps] = (0.7 + 1.5 * (first + 1)) / 2.25
    if current >= 0:
        expected[current] = 0.7 / 2.25
    _same(numpy_eta, expected)


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_keyed_draws_agree_to_the_bit(dtype, monkeypatch) -> None:
    """Each buyer's keyed uniform (sim/model/streams.py) from either version of the hash."""
    ids = np.random.default_rng(3).permutation(100_000)[:5000].astype(dtype)
    key = np.uint64(0xFEDCBA9876543210)
    for month in (0, 1, 59, 65_535):
        _same(*_both(monkeypatch, kernels.keyed_uniform, ids, month, key))
    _same(*_both(monkeypatch, kernels.keyed_uniform, ids[:0], 3, key))


@pytest.mark.parametrize("seed", range(40))
def test_roadmap_work_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """A month of roadmap work (the product team's loop: pick the most valuable item, ship it,
    measure a small bet, kill a poor one): 1-6 segments, up to 30 capabilities, covered and
    killed lines, a current item or none, segments of no weight, kills that do and do not
    happen. The compiled loop's BLAS calls and ``expit`` are numpy's and scipy's, to the bit."""
    rng = np.random.default_rng(seed)
    segments, caps = int(rng.integers(1, 7)), int(rng.integers(1, 31))
    coverage = rng.random(caps) * (rng.random(caps) < 0.7)
    coverage[rng.random(caps) < 0.15] = 1.0
    month = 9
    killed = np.where(rng.random(caps) < 0.2, month + int(rng.integers(-2, 6)), 0)
    killed = killed.astype(np.int32)
    weights = np.round(rng.random(segments) * 900) * (rng.random(segments) < 0.8)
    weights.flags.writeable = False  # as ``Market.segment_weights`` hands it out
    truth = rng.normal(0.0, 2.0, (segments, caps))
    estimate = truth + rng.normal(0.0, 1.0, (segments, caps))
    step = float(rng.choice([0.05, 0.1, 0.25, 1.0]))
    effort_em = float(rng.choice([0.3, 0.75, 2.0]))
    item = np.array([-1.0, 0.0, 0.0, 0.0, 0.0])
    if seed % 3:
        item[:] = (int(rng.integers(0, caps)), step, effort_em, rng.random() * 500, 0.2)
    effort = float(rng.random() * 12)
    outcomes = np.exp(0.5 * rng.standard_normal(4 + int(effort / effort_em)) - 0.125)
    args = [
        effort, item, step, effort_em, coverage, estimate, truth, weights, killed,
        int(killed.max()), month, np.full(caps, -1, np.int32), outcomes, 0, seed % 4 != 3,
        float(rng.choice([0.0, 0.5, 0.9, 1.5])), np.zeros((outcomes.size, 3)),
    ]  # fmt: skip
    results = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        mine = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        mine[7].flags.writeable = False
        returned = kernels.roadmap_work(*mine)
        results.append((returned, [a for a in mine if isinstance(a, np.ndarray)]))
    (numpy_out, numpy_arrays), (compiled_out, compiled_arrays) = results
    _same(tuple(numpy_out), tuple(compiled_out))
    for a, b in zip(numpy_arrays, compiled_arrays, strict=True):
        _same(a, b)
    assert numpy_out[1] > 0 or effort < effort_em  # something shipped when it could


def test_outcomes_drawn_ahead_are_the_one_by_one_draws() -> None:
    """The product team draws its items' outcomes in blocks (``ProductTeam._outcomes_ahead``):
    the same numbers as one draw and one ``exp`` per shipped item."""
    sd = 0.5
    ahead = np.random.default_rng(5)
    block = np.concatenate([ahead.standard_normal(64), ahead.standard_normal(64)])
    outcomes = np.exp(sd * block - sd * sd / 2.0)
    one_by_one = np.random.default_rng(5)
    singles = [float(np.exp(sd * one_by_one.standard_normal() - sd * sd / 2.0)) for _ in range(128)]
    assert outcomes.tobytes() == np.array(singles).tobytes()


@pytest.mark.parametrize("n", [0, 1, 7, 9, 130, 1000, 4099])
def test_customers_month_agrees_to_the_bit(n: int, monkeypatch) -> None:
    """Customers' month (promises and satisfaction, then churn, expansion and payment) on a
    random population: every state, promises kept, broken, pending and none, satisfaction on
    both sides of the bar, hazards above 1, sums long enough for numpy's pairwise blocks."""
    rng = np.random.default_rng(n)
    caps = 6
    state = rng.integers(0, 8, n).astype(np.int8)
    state[rng.random(n) < 0.5] = 4  # many customers
    promise_cap = np.where(rng.random(n) < 0.3, rng.integers(0, caps, n), -1).astype(np.int32)
    since = rng.integers(0, 12, n).astype(np.int32)
    due = rng.integers(0, 12, n).astype(np.int32)
    shipped = rng.integers(-1, 12, caps).astype(np.int32)
    satisfaction, fit, comp_fit = rng.random(n), rng.random(n), rng.random(n)
    seg = rng.integers(0, 3, n).astype(np.int8)
    seats, price = np.round(rng.gamma(2.0, 20.0, n)), rng.random(n) * 90
    churn_base, cost_per_seat = np.array([0.02, 0.05, 0.9]), np.array([3.0, 7.5, 11.25])
    u = rng.random(int(np.count_nonzero(state == 4)))  # each customer's churn draw
    results = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        mine = [a.copy() for a in (state, promise_cap, satisfaction, seats)]
        settled = kernels.customers_settle(
            mine[0], mine[1], since, due, shipped, 9, 1, mine[2], fit, comp_fit, 0.03, 1.4
        )
        customers, shortfall, pull = settled[:3]
        paid = kernels.customers_churn_and_pay(
            customers, np.exp(3.0 * shortfall), pull, churn_base, seg, 0.2, u, mine[0], mine[1],
            mine[3], price, mine[2], 1.01, cost_per_seat,
        )  # fmt: skip
        results.append((settled, paid, mine))
    (s_np, p_np, m_np), (s_c, p_c, m_c) = results
    _same(tuple(s_np), tuple(s_c))
    _same(tuple(p_np), tuple(p_c))
    for a, b in zip(m_np, m_c, strict=True):
        _same(a, b)
    if n > 100:  # the cases the test means to cover happen
        assert s_np[3] > 0 and s_np[4] > 0 and p_np[0].size > 0 and p_np[1].size > 0


@pytest.mark.parametrize("n", [0, 1, 9, 600, 5000])
def test_waiters_settle_agrees_to_the_bit(n: int, monkeypatch) -> None:
    """Waiting buyers: promises kept, past due, still pending; defections by each one's keyed
    draw (the compiled loop hashes inline, the numpy version calls ``keyed_uniform``)."""
    rng = np.random.default_rng(n + 7)
    caps = 5
    state = rng.integers(0, 8, n).astype(np.int8)
    state[rng.random(n) < 0.5] = 3  # many waiting
    promise_cap = rng.integers(0, caps, n).astype(np.int32)
    since = rng.integers(0, 12, n).astype(np.int32)
    due = rng.integers(0, 12, n).astype(np.int32)
    shipped = rng.integers(-1, 12, caps).astype(np.int32)
    fit, comp_fit = rng.random(n), rng.random(n)
    owner = rng.integers(-1, 9, n).astype(np.int32)
    key = np.uint64(0x0123456789ABCDEF)
    results = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        mine = [a.copy() for a in (state, promise_cap, owner)]
        out = kernels.waiters_settle(
            mine[0], mine[1], since, due, shipped, 9, 1, fit, comp_fit, 1.3, 0.4, 3.0, key, mine[2]
        )
        results.append((out, mine))
    (out_np, m_np), (out_c, m_c) = results
    _same(tuple(out_np), tuple(out_c))
    for a, b in zip(m_np, m_c, strict=True):
        _same(a, b)
    if n > 100:  # buyers, walkers (late and defecting) and pending waiters all happen
        assert out_np[0].size > 0 and out_np[1] > 0 and np.any(m_np[0] == 3)


@pytest.mark.parametrize("n", [0, 1, 7, 300, 4000])
def test_decide_deals_agrees_to_the_bit(n: int, monkeypatch) -> None:
    """The deciding buyers in one pass: rep skills (reps not here, NO_ONE and ids above every
    rep here included), pitched or not, the win chance, the keyed win and wait draws and the
    outcomes; the same returns and the same writes to the population."""
    from sim.model.population import Prospects

    rng = np.random.default_rng(n + 41)
    pr = Prospects(n + 3, 3)
    pr.n = n
    pr.seg[:n] = rng.integers(0, 3, n)
    pr.state[:n] = 2
    pr.owner[:n] = rng.integers(-1, 12, n)
    pr.budget[:n] = rng.uniform(0.0, 1.5, n)
    pr.fit[:n], pr.comp_fit[:n] = rng.random(n), rng.random(n)
    idx = np.flatnonzero(rng.random(n) < 0.7)
    ids = rng.permutation(9)[:5]  # the reps here, in their shuffled order
    place = np.full(ids.max() + 2, ids.size)
    place[ids] = np.arange(ids.size)
    skills = np.append(rng.normal(0.0, 0.5, ids.size), 0.0)
    m = idx.size
    k = np.where(rng.random(m) < 0.2, -1, rng.integers(0, 24, m))
    needed = rng.integers(0, 6, m)
    eta = np.where(rng.random(m) < 0.2, np.inf, rng.random(m) * 12)
    decay = np.exp(-eta / 6.0)
    slopes = (rng.normal(), rng.random() * 4, rng.random() * 4, rng.random() * 3, rng.random())
    names = ("state", "owner", "promise_cap", "promise_due", "promise_since")
    list_price = np.array([100.0, 45.5, 900.0])
    pr.referred[:n] = rng.random(n) < 0.4
    cases = ((6.0, 1.0, (1.0, 0.0)), (20.0, 0.4, (0.3, 0.8)), (0.0, 1.0, (0.5, 0.0)))
    for horizon, close_factor, view in cases:
        pitch_in = (k if horizon > 0 else np.full(m, -1), needed, eta, decay, horizon, 0.3)
        out = []
        for mode in ("numpy", "compiled"):
            monkeypatch.setenv(kernels.KERNELS_ENV, mode)
            run = Prospects(n + 3, 3)
            for name in ("seg", "state", "owner", "budget", "fit", "comp_fit", "referred"):
                getattr(run, name)[:] = getattr(pr, name)
            result = kernels.decide_deals(
                idx, (place, skills), pitch_in, (0.3, slopes, close_factor, view),
                (0x0123456789ABCDEF, 0xFEDCBA9876543210, 6.0), 5, list_price, run,
            )  # fmt: skip
            out.append((result, tuple(_copies(run, names))))
        _same(*out)
        if n > 100:  # winners, losers, waiters and promised buyers all happen
            (won, promised, buyers, _, _), (state, *_) = out[0]
            assert 0 < won < m and buyers.size > 0 and np.any(state[idx] != 2)
            assert horizon <= 0 or (promised > 0 and np.any(state == 3))


@pytest.mark.parametrize("n", [0, 1, 9, 600, 5000])
def test_spread_awareness_agrees_to_the_bit(n: int, monkeypatch) -> None:
    """Unaware prospects waking up by their keyed draws (the compiled loop hashes inline), the
    rate from the customers counted in the same pass, and the live counts per segment."""
    rng = np.random.default_rng(n + 11)
    for segments in (1, 3):
        state = rng.integers(0, 8, n).astype(np.int8)
        seg = rng.integers(0, segments, n).astype(np.int8)
        satisfaction = rng.uniform(-0.2, 1.0, n)
        cases = ((0.05, 1e-5, -np.inf), (0.3, 0.0, 0.6), (0.9, 0.5, -np.inf), (0.05, 1e-4, 0.6))
        for base, referral, threshold in cases:
            out = []
            for mode in ("numpy", "compiled"):
                monkeypatch.setenv(kernels.KERNELS_ENV, mode)
                mine, referred = state.copy(), np.zeros(n, np.bool_)
                counts = kernels.spread_awareness(
                    mine, seg, segments, base, referral, 987, 4, satisfaction, threshold, referred
                )
                out.append((counts, mine, referred))
            _same(*out)
            if n > 100 and base < 0.5:  # some woke, some did not
                woke = (state == 0) & (out[0][1] == 1)
                assert woke.any() and np.any(out[0][1] == 0)


def test_population_views_follow_n_growth_and_copies() -> None:
    """``Prospects.active`` keeps its views while ``n`` stays put: a new ``n``, grown arrays
    and a copy of the population each get views of the arrays they hold now."""
    import copy

    from sim.model.population import Prospects

    pr = Prospects(4, 2)
    pr.n = 3
    assert pr.active("fit").shape == (3,) and pr.active("fit") is pr.active("fit")
    pr.n += 1
    assert pr.active("fit").shape == (4,)
    pr.ensure_room(10)
    pr.active("fit")[:] = 2.0
    assert np.all(pr.fit[:4] == 2.0)
    twin = copy.deepcopy(pr)
    twin.active("fit")[:] = 3.0
    assert np.all(twin.fit[:4] == 3.0) and np.all(pr.fit[:4] == 2.0)


@pytest.mark.parametrize("seed", [0, 5])
def test_needs_drift_agrees(seed: int, monkeypatch) -> None:
    """A year of the needs' drift (levels jumping now and then): levels, long-run levels and
    probabilities the same to the bit, and each month's ``prob`` a new array."""
    from sim.config import preset
    from sim.model.needs import NeedSpace

    params = preset("product_led").market.model_copy(update={"need_shift_prob": 0.2})
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        space = NeedSpace(params, np.random.default_rng(seed))
        rng, first = np.random.default_rng(seed + 1), space.prob
        for _ in range(12):
            kernels.needs_drift(space, rng)
        assert space.prob is not first
        out.append([space.logit, space.target, space.prob])
    for a, b in zip(*out, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


SEEDS = [0, 1, 5, 2**32 - 1, 2**32, 2**64 + 3, 2**128 - 1, 123_456_789]


@pytest.mark.parametrize("parent", [(), (7,), (3, 2**31)])
def test_spawned_states_are_numpy_seed_sequences(parent: tuple[int, ...], monkeypatch) -> None:
    """The compiled seed sequences give numpy's states, for small and many-word seeds."""
    monkeypatch.setenv(kernels.KERNELS_ENV, "compiled")
    keys = range(30)
    for seed in SEEDS + [int(s) for s in np.random.default_rng(1).integers(0, 2**63, 50)]:
        want = [
            np.random.SeedSequence(seed, spawn_key=(*parent, int(k))).generate_state(4, np.uint64)
            for k in keys
        ]
        assert np.array_equal(kernels.spawned_states(seed, parent, keys), np.array(want))
    monkeypatch.setenv(kernels.KERNELS_ENV, "numpy")
    assert np.array_equal(kernels.spawned_states(seed, parent, keys), np.array(want))


@pytest.mark.parametrize("seed", [0, 3, 2**40 + 1])
def test_streams_are_the_same_either_way(seed: int, monkeypatch) -> None:
    """``Streams.spawn`` and a rep's generator from the compiled seed states draw what numpy's
    seed sequences give."""
    from sim.model.streams import Keyed, Streams

    draws = {}
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        streams = Streams.spawn(seed)
        draws[mode] = [
            s.key if isinstance(s, Keyed) else s.random(3).tolist()
            for s in vars(streams).values()
            if not hasattr(s, "member")
        ] + [streams.reps.member(k).random(3).tolist() for k in (1, 2, 9)]
    assert draws["numpy"] == draws["compiled"]


@pytest.mark.parametrize("mode", ["numpy", "compiled"])
def test_one_keyed_uniform_is_the_arrays(mode: str, monkeypatch) -> None:
    """``keyed_uniform_one`` (Python integers) gives ``keyed_uniform``'s bits."""
    monkeypatch.setenv(kernels.KERNELS_ENV, mode)
    rng = np.random.default_rng(7)
    ids = np.concatenate([[0, 1, 2**31, 2**62], rng.integers(0, 10**6, 200)])
    for key in [0, 1, 2**63 + 5, int(rng.integers(0, 2**63))]:
        for month in (0, 1, 59, 1000):
            want = kernels.keyed_uniform(ids, month, np.uint64(key))
            got = [kernels.keyed_uniform_one(int(i), month, key) for i in ids]
            assert np.array_equal(np.array(got), want)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clawback_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """The compiled clawback sums and clears the early leavers' commissions as numpy does."""
    rng = np.random.default_rng(seed)
    n = 500
    start = rng.integers(0, 60, n).astype(np.int32)
    paid = rng.random(n) * 1e4
    out = {}
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        for size in (0, 1, 5, 9, 200):
            picks = np.random.default_rng(1000 * seed + size)  # the same for either mode
            gone = picks.choice(n, size, replace=False).astype(np.int64)  # in any order
            cleared = paid.copy()
            refund = kernels.clawback(gone, start, cleared, 61, 12)
            out[mode, size] = (refund, cleared)
    for size in (0, 1, 5, 9, 200):
        assert out["numpy", size][0] == out["compiled", size][0]
        assert np.array_equal(out["numpy", size][1], out["compiled", size][1])


def test_warm_compiles_every_kernel_a_run_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """After ``warm()`` no run compiles anything: a dashboard worker's first slider move never
    waits for numba (a kernel or a signature warm() missed would compile inside a run)."""
    from sim.config import Scenario, preset
    from sim.model import CompanyModel

    monkeypatch.setenv(kernels.KERNELS_ENV, "compiled")
    kernels.warm()
    before = {name: len(k.signatures) for name, k in kernels._compiled.items()}
    companies = (Scenario(), preset("sales_led"), preset("product_led"))
    # as built in code (defaults unvalidated: an int where the field is a float) and as a file
    # or a slider gives them (validated)
    for scenario in (*companies, *(c.with_overrides({"months": 36}) for c in companies)):
        for seed in range(6):
            model = CompanyModel(scenario, rng=seed)
            while model.running:
                model.step()
    after = {name: len(k.signatures) for name, k in kernels._compiled.items()}
    assert after == before


@pytest.mark.parametrize("seed", [0, 1])
def test_drawing_loops_give_the_generators_numbers(seed: int, monkeypatch) -> None:
    """The loops that draw from a generator by its addresses (``kernels.arrive``,
    ``kernels.needs_drift``) draw numpy's numbers in numpy's order and leave the generator
    where numpy would: a month's arrivals also when the population's arrays grow mid-month, and
    the needs' drift when many long-run levels jump."""
    import copy

    import sim.model.actors.market as market_module
    from sim.config import Scenario
    from sim.model.company_model import CompanyModel

    monkeypatch.setattr(market_module, "CAPACITY_HEADROOM", 0.02)  # grows at once and later
    scenario = Scenario().with_overrides({"market.need_shift_prob": 0.3})
    out = {}
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        market = CompanyModel(scenario, rng=seed).market
        streams = market.model.streams
        space = copy.deepcopy(market.needs)
        for _ in range(24):
            market._arrive()
            kernels.needs_drift(space, streams.needs)
        pr = market.prospects
        names = ("ut", "seg", "state", "budget", "seats_wanted", "honesty", "asks_custom")
        arrays = [getattr(pr, name)[..., : pr.n].copy() for name in names]
        states = (streams.arrivals.bit_generator.state, streams.needs.bit_generator.state)
        out[mode] = (pr.n, arrays, space.logit, space.target, space.prob, states)
    (n, arrays, *rest, states), (n_c, arrays_c, *rest_c, states_c) = out.values()
    assert n == n_c and states == states_c
    for a, b in zip([*arrays, *rest], [*arrays_c, *rest_c], strict=True):
        np.testing.assert_array_equal(a, b, strict=True)
