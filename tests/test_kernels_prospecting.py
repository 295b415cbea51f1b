"""The sales floor's fused kernels (``kernels.reach_leads``, ``kernels.qualify_and_open``,
``kernels.pipeline_scan``)
give the numpy steps' numbers to the bit, with scipy's ``ndtri`` and ``gammaincinv`` called from
the compiled loop."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import kernels
from sim.model.population import Prospects

NAMES = ("state", "owner", "next_contact", "decide_month")


def _population(rng: np.random.Generator, n: int) -> Prospects:
    pr = Prospects(n, 3)
    pr.n = n
    pr.seg[:] = rng.integers(0, 3, n)
    pr.state[:] = rng.integers(0, 8, n)
    pr.next_contact[:] = rng.integers(0, 12, n)
    pr.fit[:] = rng.random(n)
    return pr


@pytest.mark.parametrize("seed", range(30))
def test_prospecting_kernels_agree_to_the_bit(seed: int, monkeypatch) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 4000))
    wanted = None if seed % 3 == 0 else rng.random(3) < 0.6
    month, keys = int(rng.integers(0, 60)), rng.integers(0, 2**63, 3, dtype=np.uint64)
    reps = int(rng.integers(1, 9))
    wants = rng.integers(0, 6, reps)
    wants[0] = max(wants[0], 1)  # at least one pick
    noise, ids = rng.random(reps) * 0.4, rng.permutation(20)[:reps].astype(np.int64)
    cycle_months, min_fit = np.array([1.0, 3.0, 6.5]), float(rng.random())
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        run = _population(np.random.default_rng(seed), n)
        leads, reach = kernels.reach_leads(
            run.state, run.next_contact, month, run.seg, wanted, int(keys[0])
        )
        total = min(int(wants.sum()), leads.size)
        picked = leads[np.argsort(reach, kind="stable")[:total]]
        kernels.qualify_and_open(
            picked, (wants, noise, ids), (int(keys[1]), int(keys[2]), cycle_months),
            run.fit, min_fit, month + 6, month, run,
        )  # fmt: skip
        out.append((leads, reach, *(getattr(run, name).copy() for name in NAMES)))
    for a, b in zip(*out, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_scipy_functions_in_the_compiled_loop_are_the_ufuncs(monkeypatch) -> None:
    """Many picks, every one qualified (``min_fit`` far below): each deal's cycle comes from
    ``gammaincinv`` of its keyed draw, each read from ``ndtri``, tails included."""
    n = 200_000
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        pr = _population(np.random.default_rng(7), n)
        picked = np.arange(n)
        wants, noise, ids = np.array([n]), np.array([1e3]), np.array([3])
        kernels.qualify_and_open(
            picked, (wants, noise, ids), (11, 12, np.array([1.0, 3.0, 6.5])), pr.fit, -5e3, 9, 2, pr
        )
        out.append(tuple(getattr(pr, name).copy() for name in NAMES))
    for a, b in zip(*out, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("seed", range(20))
def test_pipeline_scan_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """Deals and open deals per rep id; an ownerless deal (NO_ONE) gives each deal's owner."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3000))
    state = rng.integers(0, 8, n).astype(np.int8)
    owner = rng.integers(-1 if seed % 4 == 0 else 0, 30, n).astype(np.int32)
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        out.append(kernels.pipeline_scan(state, owner))
    (pipeline, counts, odd), (pipeline2, counts2, odd2) = out
    assert np.array_equal(pipeline, pipeline2) and pipeline.dtype == pipeline2.dtype
    assert np.array_equal(counts, counts2) and counts.dtype == counts2.dtype
    assert (odd is None) == (odd2 is None)
    assert odd is None or (np.array_equal(odd, odd2) and odd.dtype == odd2.dtype)


BOOKED = ("state", "owner", "seats", "price", "satisfaction", "start_month", "closer")
BOOKED_TOO = ("commissioned", "commission_paid")


@pytest.mark.parametrize("seed", range(20))
def test_start_and_book_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """New customers and their bookings: every write, the sums, each rep's MRR (None for a rep
    with no deal), with and without commission paid at booking."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    buyers = rng.permutation(n)[: int(rng.integers(1, min(n, 40) + 1))]
    price = rng.random(buyers.size) * 300
    ids = rng.permutation(12)[: int(rng.integers(1, 8))].astype(np.int64)
    rate = None if seed % 3 == 0 else float(rng.random() * 1.2)
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        pr = _population(np.random.default_rng(seed), n)
        pr.owner[:] = np.random.default_rng(seed + 1).integers(0, 12, n)
        pr.seats_wanted[:] = np.random.default_rng(seed + 2).integers(1, 90, n)
        booked, paid, owed = kernels.start_and_book(
            buyers, price, 7, (seed % 2 == 0, rate), ids, pr
        )
        out.append((booked, paid, owed, [getattr(pr, a).copy() for a in BOOKED + BOOKED_TOO]))
    (b1, p1, o1, a1), (b2, p2, o2, a2) = out
    assert b1 == b2 and type(b1) is type(b2) and p1 == p2 and type(p1) is type(p2)
    assert o1 == o2 and [type(x) for x in o1] == [type(x) for x in o2]
    for x, y in zip(a1, a2, strict=True):
        assert x.dtype == y.dtype and np.array_equal(x, y)


def test_keyed_normal_agrees_to_the_bit(monkeypatch) -> None:
    ids = np.arange(300_000)
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        out.append(kernels.keyed_normal(ids, 17, np.uint64(123456789)))
    assert np.array_equal(*out)


@pytest.mark.parametrize("seed", range(30))
def test_pick_leads_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """The first leads in order of reach: as many as wanted, or every lead when fewer."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 4000))
    pr = _population(rng, n)
    wanted = None if seed % 3 == 0 else rng.random(3) < 0.6
    month, key = int(rng.integers(0, 60)), int(rng.integers(0, 2**63))
    count = int(rng.choice([1, 2, int(rng.integers(1, 80)), n + 5]))
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        out.append(kernels.pick_leads(pr.state, pr.next_contact, month, pr.seg, wanted, key, count))
    (picked, leads), (picked2, leads2) = out
    assert leads == leads2 and picked.dtype == picked2.dtype and np.array_equal(picked, picked2)
    assert picked.size == min(count, leads)


def test_pick_leads_leaves_a_tie_to_the_numpy_steps(monkeypatch) -> None:
    """When the loop meets two equal draws it hands the choice to ``argpartition``'s order."""
    pr = _population(np.random.default_rng(5), 500)
    monkeypatch.setenv(kernels.KERNELS_ENV, "numpy")
    expected = kernels.pick_leads(pr.state, pr.next_contact, 9, pr.seg, None, 77, 20)
    monkeypatch.setenv(kernels.KERNELS_ENV, "compiled")
    loop = kernels._kernel("pick_leads")
    monkeypatch.setitem(kernels._compiled, "pick_leads", lambda *a: (*loop(*a)[:2], True))
    got = kernels.pick_leads(pr.state, pr.next_contact, 9, pr.seg, None, 77, 20)
    assert got[1] == expected[1] and np.array_equal(got[0], expected[0])


@pytest.mark.parametrize(("segments", "k"), [(1, 4), (3, 24), (12, 128)])
def test_learn_needs_agrees_to_the_bit(segments: int, k: int, monkeypatch) -> None:
    """The product team's estimate moving toward a keyed reading of need logits."""
    rng = np.random.default_rng(k)
    truth, start = rng.normal(0, 2, (segments, k)), rng.normal(0, 2, (segments, k))
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        estimate = start.copy()
        kernels.learn_needs(estimate, truth, 0.37, 0.21, 14, np.uint64(987654321))
        out.append(estimate)
    assert np.array_equal(*out)


@pytest.mark.parametrize("seed", range(12))
def test_knowledge_error_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """Every matrix size a scenario allows (1-12 segments, 4-128 capabilities)."""
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 13)), int(rng.integers(4, 129)))
    estimate, prob = rng.normal(0, 3, shape), rng.random(shape)
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        out.append(kernels.knowledge_error(estimate, prob))
    assert out[0] == out[1] and type(out[0]) is type(out[1])


@pytest.mark.parametrize("seed", range(20))
def test_start_and_book_by_rep_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """Waiting buyers booked rep by rep: the reps (a gone rep and NO_ONE included), each one's
    sums, every write."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    buyers = rng.permutation(n)[: int(rng.integers(1, min(n, 40) + 1))]
    price = rng.random(buyers.size) * 300
    rate = None if seed % 3 == 0 else float(rng.random() * 1.2)
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        pr = _population(np.random.default_rng(seed), n)
        pr.owner[:] = np.random.default_rng(seed + 1).integers(-1, 6, n)
        pr.seats_wanted[:] = np.random.default_rng(seed + 2).integers(1, 90, n)
        ids, booked, paid = kernels.start_and_book_by_rep(buyers, price, 7, (True, rate), pr)
        out.append((ids, booked, paid, [getattr(pr, a).copy() for a in BOOKED + BOOKED_TOO]))
    (i1, b1, p1, a1), (i2, b2, p2, a2) = out
    assert i1 == i2 and b1 == b2 and p1 == p2
    assert [type(x) for x in i1 + b1] == [type(x) for x in i2 + b2]
    for x, y in zip(a1, a2, strict=True):
        assert x.dtype == y.dtype and np.array_equal(x, y)


@pytest.mark.parametrize("seed", range(10))
def test_customers_churn_keyed_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """Churn with the keyed draws hashed in the kernel: every write and every sum."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    customers = np.sort(rng.permutation(n)[: int(rng.integers(0, n + 1))])
    factor, pull = rng.random(customers.size) * 3, rng.random(customers.size)
    churn_base, cost = np.array([0.02, 0.05, 0.1]), np.array([3.0, 7.0, 11.0])
    seats, price, satisfaction = rng.integers(1, 50, n), rng.random(n), rng.random(n)
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        pr = _population(np.random.default_rng(seed), n)
        pr.seats[:], pr.price[:], pr.satisfaction[:] = seats, price, satisfaction
        got = kernels.customers_churn_keyed(
            customers, factor, pull, churn_base, pr.seg, 0.3, (12345, 7), pr.state,
            pr.promise_cap, pr.seats, pr.price, pr.satisfaction, 1.01, cost,
        )  # fmt: skip
        out.append((*got, pr.state.copy(), pr.promise_cap.copy(), pr.seats.copy()))
    for a, b in zip(*out, strict=True):
        assert np.array_equal(a, b) and type(a) is type(b)


@pytest.mark.parametrize("seed", range(10))
def test_no_decision_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    due = rng.permutation(n)[: int(rng.integers(0, min(n, 60) + 1))]
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        pr = _population(np.random.default_rng(seed), n)
        deciding, still = kernels.no_decision(due, 0.3, (4242, 11), 17, pr)
        out.append((deciding, still, *(getattr(pr, name).copy() for name in NAMES)))
    for a, b in zip(*out, strict=True):
        assert np.array_equal(a, b) and type(a) is type(b)
        assert not isinstance(a, np.ndarray) or a.dtype == b.dtype


@pytest.mark.parametrize("seed", range(12))
def test_estimated_demand_agrees_to_the_bit(seed: int, monkeypatch) -> None:
    """The segments' weights (read-only, as the market shares them) times ``expit`` of the
    estimate: the same BLAS product in both versions."""
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 13)), int(rng.integers(4, 129)))
    weights = rng.integers(0, 3000, shape[0]).astype(float)
    weights.flags.writeable = False
    estimate = rng.normal(0, 3, shape)
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        out.append(kernels.estimated_demand(weights, estimate))
    assert out[0].dtype == out[1].dtype and np.array_equal(*out)


@pytest.mark.parametrize("size", [0, 1, 7, 500])
def test_request_draws_and_pitch_inputs_agree_to_the_bit(size: int, monkeypatch) -> None:
    """A custom request's three keyed draws; the pitch's top missing need, eta and exponent
    (the market's needs matrix is a transposed view: both layouts)."""
    rng = np.random.default_rng(size)
    ids = rng.permutation(4000)[:size]
    needs_t = (rng.random((24, 4100)) < 0.3).astype(np.float32)
    coverage, eta = rng.random(24), np.where(rng.random(24) < 0.3, np.inf, rng.random(24) * 9)
    out = []
    for mode in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.KERNELS_ENV, mode)
        draws = kernels.request_draws(ids, 9, (11, 12, 13))
        pitched = [
            kernels.pitch_inputs(needs, ids, coverage, eta, 6.0)
            for needs in (needs_t[:, :4000].T, np.ascontiguousarray(needs_t[:, :4000].T))
        ]
        out.append((draws, *pitched[0], *pitched[1]))
    for a, b in zip(*out, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
