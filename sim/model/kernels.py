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
which one ran it. One kernel draws from a generator (``arrive``: the month's arrivals, through
numba's own copies of numpy's distributions on the generator's own state, the same numbers in the
same order); `keyed_uniform` is the hash behind keyed draws (sim/model/streams.py), integer
arithmetic with the same bits either way.

Which one runs (``SIM_KERNELS``): ``auto`` (default) uses numpy for a process's first
``COMPILE_AFTER_MONTHS`` simulated months and the compiled kernel after that, so a single
``sim run`` does not pay numba's import (~0.5 s) while ensembles, sweeps and the dashboard's
workers, which simulate thousands of months, get the faster pass; ``numpy`` or ``compiled`` force
one (any other value counts as ``auto``). ``cache=True`` keeps the compiled code under
``__pycache__``: a fresh process loads it instead of compiling again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.special import expit, gammaincinv, ndtri

from sim.model.needs import NO_NEEDS_FIT, needs_matrix, top_missing_need

KERNELS_ENV = "SIM_KERNELS"  # auto | numpy | compiled
COMPILE_AFTER_MONTHS = 600
"""In ``auto``, months a process simulates with numpy before it switches to the compiled kernel
(about ten runs: a single run never imports numba)."""

_months = 0
_compiled: dict[str, Callable[..., Any]] = {}


def use_compiled() -> bool:
    """Whether this month's pass runs compiled (counts the months of this process: the market's
    needs-and-fit pass calls it once a month; every other kernel asks ``compiled_now``)."""
    global _months
    _months += 1
    return compiled_now()


# ``compiled_now`` runs a score of times a month: it reads the variable from os.environ's own
# mapping (CPython keeps the encoded environment there; os.environ.get decodes on every call)
# and remembers what each raw value means. Setting or deleting the variable through os.environ
# (or pytest's monkeypatch) updates that mapping, so a change is seen at the next call.
_ENV_DATA = getattr(os.environ, "_data", None)
_ENV_KEY = os.environ.encodekey(KERNELS_ENV) if hasattr(os.environ, "encodekey") else None
_MODE_OF: dict[Any, str] = {}


def _mode() -> str:
    if _ENV_DATA is None or _ENV_KEY is None:  # not CPython's os.environ: the plain way
        return os.environ.get(KERNELS_ENV, "auto").strip().lower()
    raw = _ENV_DATA.get(_ENV_KEY)
    mode = _MODE_OF.get(raw)
    if mode is None:
        mode = _MODE_OF[raw] = os.environ.get(KERNELS_ENV, "auto").strip().lower()
    return mode


def compiled_now() -> bool:
    """Whether the kernels run compiled now (does not count a month)."""
    # ``_mode``'s usual case inline (a score of calls a month): a raw value already seen
    mode = _MODE_OF.get(_ENV_DATA.get(_ENV_KEY)) if _ENV_DATA is not None else None
    if mode is None:
        mode = _mode()
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


SELECT_SEGMENTS = 4
"""Segments up to which the compiled transposed needs pass picks each prospect's probability by
selects (LLVM vectorises them; a gather ``prob[seg[i], k]`` it does not); more take the gather."""


def needs_and_fit_t(ut, seg, prob, ours, rival, bonus, needs_t, fit, rival_fit) -> None:
    """``needs_and_fit`` with the latent draws and the needs stored transposed (capability by
    prospect, ``ut[k, i]`` and ``needs_t[k, i]``; prospect ``i < n = seg.size`` in column ``i``,
    columns past ``n`` untouched): the same needs and fits to the bit.

    The compiled loop runs capability by capability over contiguous prospects (vectorised):
    each prospect's three float32 sums still add its capabilities in order, kept in arrays."""
    if use_compiled():
        _kernel("needs_and_fit_t")(ut, seg, prob, ours, rival, bonus, needs_t, fit, rival_fit)
        return
    n = seg.shape[0]
    columns = needs_t[:, :n]  # a view: writes go to needs_t; ``needs_matrix`` transposed
    columns[:] = ut[:, :n] < prob.T[:, seg]
    fit[:], rival_fit[:] = _fits_of_columns(columns, ours, rival, bonus)


def fit_of(rows, needs, ours, rival, bonus, fit, rival_fit) -> None:
    """The same fits for some prospects (``rows``) from needs already computed this month."""
    if compiled_now():
        _kernel("fit_of")(rows, needs, ours, rival, bonus, fit, rival_fit)
        return
    fit[rows], rival_fit[rows] = _fits_in_order(needs[rows], ours, rival, bonus[rows])


def _fits_in_order(
    needs: np.ndarray, ours: np.ndarray, rival: np.ndarray, bonus: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The compiled loop's arithmetic in numpy: float32 sums over capabilities in order (a
    matrix product may sum in another order once there are 32 capabilities or more)."""
    return _fits_of_columns(np.ascontiguousarray(needs.T), ours, rival, bonus)


def _fits_of_columns(
    columns: np.ndarray, ours: np.ndarray, rival: np.ndarray, bonus: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``_fits_in_order`` of the needs given capability by prospect (a row per capability)."""
    count = np.zeros(columns.shape[1], dtype=np.float32)
    a = np.zeros(columns.shape[1], dtype=np.float32)
    b = np.zeros(columns.shape[1], dtype=np.float32)
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
    ut, needs_t = np.zeros((k, n + 1), np.float32), np.zeros((k, n + 1), np.float32)
    _kernel("needs_and_fit_t")(ut, seg, prob, cov, cov, bonus, needs_t, fit, rival_fit)
    state, ints = np.zeros(n, np.int8), np.zeros(n, np.int32)
    _kernel("census")(state, seg, fit, rival_fit, ints, bonus, 1)
    _kernel("awareness_scan")(state, seg, 1)
    _kernel("spread_awareness")(
        state.copy(), seg, 1, 0.5, 0.1, np.uint64(1), np.uint64(1), fit, -np.inf,
        np.zeros(n, np.bool_),
    )  # fmt: skip
    _kernel("love_share")(state, seg, fit, 0.5, 1)
    demand = np.zeros(n)
    demand.flags.writeable = False  # as the product team's cached estimate is
    _kernel("plan_eta")(bonus, ints, 0, -1, 0.0, 0.5, demand, 0.0, 1.0, 1.0)
    _kernel("sales_scan")(state, ints, 0)
    _kernel("mrr_total")(state, fit, rival_fit)
    rows, wanted = np.arange(n), np.ones(1, np.bool_)
    _kernel("fresh_leads")(rows, state, ints, 0, seg, wanted, True)
    _kernel("lead_scan")(state, ints, 0, seg, wanted, True)
    _kernel("lead_count")(state, ints, 0, seg, wanted, True)
    _kernel("due_deals")(rows, state, ints, 0, wanted[seg], fit, 0.5)
    no_flags = np.zeros(n, np.bool_)
    _kernel("win_logit")(
        rows, fit, fit, fit, fit, fit, 0.5, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, no_flags
    )  # fmt: skip
    _kernel("sums_by_owner")(fit, ints, rows)
    _kernel("sums_by_owner")(fit, rows, rows)  # a contingent deal's one booking
    flags = np.zeros(n, np.bool_)
    rows32 = rows.astype(np.int32)
    _kernel("qualify")(rows, rows, fit, fit, fit, 0.5, ints, 1)
    _kernel("open_deals")(rows, rows, fit, 1, fit, seg, state, ints, ints)
    _kernel("reach_leads")(state, ints, 0, seg, wanted, True, np.uint64(1))
    _kernel("pipeline_scan")(state, ints)
    _kernel("pick_leads")(state, ints, 0, seg, wanted, True, np.uint64(1), 1)
    _kernel("keyed_normal")(rows, np.uint64(1), np.uint64(2), fit.copy())
    _kernel("request_draws")(rows, np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(4))
    logits = np.zeros((1, k))
    _kernel("learn_needs")(logits.copy(), logits, 0.5, 0.5, np.uint64(1), np.uint64(2))
    _kernel("knowledge_error")(logits, logits)
    flags = np.zeros(n, np.bool_)
    booking = (state, ints, fit, fit.copy(), fit.copy(), fit, ints.copy(), fit.copy(), ints.copy())
    _kernel("start_and_book")(rows, fit, 1, True, 0.5, rows, *booking, flags, fit.copy())
    _kernel("start_and_book_by_rep")(rows, fit, 1, True, 0.5, *booking, flags, fit.copy())
    _kernel("qualify_and_open")(
        rows, rows + 1, fit, rows, np.uint64(1), np.uint64(2), fit, 0.5, 1, 1, fit, seg, state,
        ints, ints.copy(), ints.copy(),
    )  # fmt: skip
    _kernel("pitch")(rows, rows, fit, fit, 1.0, 0.5)
    _kernel("decide_outcomes")(
        rows, fit, fit, fit, fit, rows, fit, fit, 1, fit, seg, state, rows32, fit, fit, rows32,
        ints, ints,
    )  # fmt: skip
    _kernel("decide_deals")(
        rows, ints, rows, fit, rows, rows, fit, fit, 1.0, 0.5, fit, fit, fit, 0.5, 0.0, 1.0, 1.0,
        1.0, 0.0, 1.0, np.uint64(1), np.uint64(2), 1, fit, seg, state, ints, ints, ints, 1.0,
        0.0, no_flags,
    )  # fmt: skip
    draws, counts = np.zeros((4, n)), np.full(1, n, np.int64)
    _kernel("arrivals")(0, counts, draws, fit, fit, fit, fit, seg, state, fit, fit, fit, flags)
    rng = np.random.default_rng(0)  # kept alive: the loops draw from its state by address
    _kernel("arrive")(
        *generator_words(rng), fit, counts * 0, 0, 0, ut, seg, state, fit,
        fit, fit, flags, fit, fit, fit, fit, 1.5,
    )  # fmt: skip
    _kernel("committed_fit")(state, needs, cov, cov, bonus, fit, rival_fit)
    _kernel("spawned_states")(
        np.zeros(5, np.uint64), np.zeros(2, np.uint64), np.zeros((2, 4), np.uint64)
    )
    _kernel("clawback")(rows, ints, fit.copy(), 1, 1)
    _kernel("keyed_uniform")(rows, np.uint64(1), np.uint64(2), fit.copy())
    # the market's needs matrix is a transposed view (``needs_and_fit_t``): its own signature
    _kernel("committed_fit")(state, needs_t[:, :n].T, cov, cov, bonus, fit, rival_fit)
    _kernel("top_missing")(needs_t[:, :n].T, np.arange(n), bonus)
    _kernel("pitch_inputs")(needs_t[:, :n].T, np.arange(n), bonus, bonus, 6.0)
    levels = np.zeros((1, k))
    _kernel("needs_drift")(*generator_words(rng), levels, levels.copy(), 0.5, 0.0, 1.0, 1.0, 0.5)
    _kernel("top_missing")(needs, np.arange(n), bonus)
    item, weights = np.array([-1.0, 0.5, 1.0, 0.0, 0.0]), np.ones(1)
    weights.flags.writeable = False  # as the market's segment weights are
    shipped = ints[:k].copy()
    logit, estimate, kills = np.zeros((1, k)), np.zeros((1, k)), np.zeros((2, 3))
    _kernel("estimated_demand")(weights, estimate)
    _kernel("roadmap_work")(
        1.0, item, 0.5, 1.0, cov.astype(np.float64), estimate, logit, weights, shipped, 0, 1,
        shipped.copy(), np.ones(2), 0, True, 0.5, kills,
    )  # fmt: skip
    settled = _kernel("customers_settle")(
        state, ints, ints, ints, ints, 1, 1.0, bonus, fit, rival_fit, 0.1, 1.0
    )
    _kernel("waiters_settle")(
        state, ints, ints, ints, ints, 1, 1.0, fit, rival_fit, 1.0, 0.1, 3.0, np.uint64(1),
        np.uint64(1), ints.copy(),
    )  # fmt: skip
    _kernel("customers_churn_and_pay")(
        settled[0], fit, fit, bonus, seg, 0.1, fit, state, ints, fit, fit, fit, 1.0, bonus
    )
    _kernel("no_decision")(rows, 0.5, np.uint64(1), np.uint64(2), 3, state, ints, ints.copy())
    _kernel("customers_churn_keyed")(
        settled[0], fit, fit, bonus, seg, 0.1, np.uint64(1), np.uint64(2), state, ints, fit, fit,
        fit, 1.0, bonus,
    )  # fmt: skip


def _kernel(name: str) -> Callable[..., Any]:
    if not _compiled:
        from numba import njit  # here: numba costs ~0.5 s to import

        compile_ = njit(cache=True, nogil=True)
        # the helper first: the loops below call it, and numba resolves it when they compile
        globals()["_pairwise_sum"] = compile_(_pairwise_sum_loop)
        globals()["_store_fit"] = compile_(_store_fit_loop)
        globals()["_needs_row_select"] = compile_(_needs_row_select_loop)
        globals()["_needs_row_gather"] = compile_(_needs_row_gather_loop)
        globals()["_mix_one"] = compile_(_mix_word)
        globals()["_keyed_word"] = compile_(_keyed_word_loop)
        globals()["_sums_by_owner"] = compile_(_sums_by_owner_loop)
        globals()["_start_and_charge_c"] = compile_(_start_and_charge_loop)
        globals()["_churn_and_pay"] = compile_(_customers_churn_and_pay_loop)
        globals()["_top_missing_c"] = compile_(_top_missing_loop)
        _bind_scipy_special()
        globals()["_expit"] = compile_(_expit_loop)
        globals()["_seen_fit_c"] = compile_(_seen_fit_one)
        globals()["_awareness_scan"] = compile_(_awareness_scan_loop)
        globals()["_state_counts"] = compile_(_state_counts_loop)
        _bind_generator()
        for kernel, loop in _LOOPS.items():
            _compiled[kernel] = compile_(loop)
    return _compiled[name]


SCIPY_SPECIAL = "scipy.special.cython_special"
"""scipy's C entry points of its special functions (the functions its ufuncs call)."""


def _bind_scipy_special() -> None:
    """``ndtri`` and ``gammaincinv`` for the compiled loops (``_ndtri_c(x, 0)``,
    ``_gammaincinv_c(a, x, 0)``; the last argument is Cython's ``skip_dispatch``): scipy's own C
    functions, linked by a symbol name so that numba's cache links them again in a fresh
    process (tests/test_kernels_prospecting.py checks them against the ufuncs)."""
    import llvmlite.binding as llvm
    from numba import types
    from numba.extending import get_cython_function_address

    for name, arguments in (("ndtri", 1), ("gammaincinv", 2)):
        symbol = f"sim_scipy_special_{name}"
        llvm.add_symbol(symbol, get_cython_function_address(SCIPY_SPECIAL, name))
        signature = types.float64(*([types.float64] * arguments), types.intc)
        globals()[f"_{name}_c"] = types.ExternalFunction(symbol, signature)


_NEXT_WORDS: dict[type, tuple[int, int, int]] = {}
"""Per bit generator type: the addresses of its ``next_uint64``, ``next_uint32`` and
``next_double`` (static C functions, the same for every instance of the type)."""


def generator_words(rng: np.random.Generator) -> tuple[int, int, int, int]:
    """What a compiled loop needs to draw from ``rng`` (``_generator_at``): its bit generator's
    state address and its three ``next`` functions' addresses (the fields numba reads when it
    unboxes a ``Generator``, ~6-12 us a call; these ~0.3 us). ``rng`` must outlive the call."""
    bits = rng.bit_generator
    interface = bits.ctypes  # numpy makes it once per bit generator
    words = _NEXT_WORDS.get(type(bits))
    if words is None:
        import ctypes

        words = _NEXT_WORDS[type(bits)] = tuple(
            ctypes.cast(f, ctypes.c_void_p).value
            for f in (interface.next_uint64, interface.next_uint32, interface.next_double)
        )
    return (interface.state_address, *words)


def _generator_at(state_address, next_uint64, next_uint32, next_double):
    """Replaced by ``_bind_generator``'s intrinsic when the loops compile: only a compiled loop
    can draw from a generator given by addresses."""
    raise NotImplementedError("a generator by its addresses exists only in compiled loops")


def _bind_generator() -> None:
    """``_generator_at(state, next_uint64, next_uint32, next_double)`` for the compiled loops: a
    numba ``Generator`` on the state of a live numpy generator (``generator_words``), the struct
    numba's own unboxing builds, without a reference to the Python object (none is needed: the
    caller holds it; numba's reference counting skips a null meminfo)."""
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    generator_t = types.NumPyRandomGeneratorType("generator")
    bits_t = types.NumPyRandomBitGeneratorType("bit_generator")

    def generator_at(typingctx, state, next_uint64, next_uint32, next_double):
        def codegen(context, builder, signature, args):
            bits = cgutils.create_struct_proxy(bits_t)(context, builder)
            bits.state_address = bits.state = args[0]
            bits.fnptr_next_uint64, bits.fnptr_next_uint32, bits.fnptr_next_double = args[1:]
            made = cgutils.create_struct_proxy(generator_t)(context, builder)  # zeroed
            made.bit_generator = bits._getvalue()
            return made._getvalue()

        return generator_t(state, next_uint64, next_uint32, next_double), codegen

    globals()["_generator_at"] = intrinsic(generator_at)


def _store_fit_loop(i, count, a, b, bonus, fit, rival_fit):
    """One prospect's fits from its float32 sums (``count`` needs, ``a`` and ``b`` covered)."""
    if count > 0:
        denominator = max(count, np.float32(1.0))
        fa, fb = a / denominator, b / denominator
    else:
        fa, fb = np.float32(NO_NEEDS_FIT), np.float32(NO_NEEDS_FIT)
    fit[i] = min(1.0, np.float64(fa) + bonus[i])
    rival_fit[i] = np.float64(fb)


_store_fit = _store_fit_loop  # the compiled helper replaces it when the loops compile


def _ndtri_py(x: float, skip_dispatch: int) -> float:
    return float(ndtri(x))


def _gammaincinv_py(a: float, x: float, skip_dispatch: int) -> float:
    return float(gammaincinv(a, x))


# the loops' scipy functions; ``_bind_scipy_special`` puts scipy's C functions here to compile
_ndtri_c, _gammaincinv_c = _ndtri_py, _gammaincinv_py


def _needs_and_fit_loop(u, seg, prob, ours, rival, bonus, needs, fit, rival_fit):
    """``needs_and_fit`` as one loop (compiled by numba). Four prospects at a time: each one's
    sums still run over capabilities in order (the same numbers), but four independent chains
    of additions keep the processor busy where one chain would wait on the last addition."""
    n, k_count = u.shape
    zero = np.float32(0.0)
    i = 0
    while i + 4 <= n:
        s0, s1, s2, s3 = seg[i], seg[i + 1], seg[i + 2], seg[i + 3]
        c0 = c1 = c2 = c3 = a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = zero
        for k in range(k_count):  # branch-free: need is 0 or 1, so need * x is x or 0 exactly
            o, r = ours[k], rival[k]
            n0 = np.float32(u[i, k] < prob[s0, k])
            n1 = np.float32(u[i + 1, k] < prob[s1, k])
            n2 = np.float32(u[i + 2, k] < prob[s2, k])
            n3 = np.float32(u[i + 3, k] < prob[s3, k])
            needs[i, k], needs[i + 1, k], needs[i + 2, k], needs[i + 3, k] = n0, n1, n2, n3
            c0, c1, c2, c3 = c0 + n0, c1 + n1, c2 + n2, c3 + n3
            a0, a1, a2, a3 = a0 + n0 * o, a1 + n1 * o, a2 + n2 * o, a3 + n3 * o
            b0, b1, b2, b3 = b0 + n0 * r, b1 + n1 * r, b2 + n2 * r, b3 + n3 * r
        _store_fit(i, c0, a0, b0, bonus, fit, rival_fit)
        _store_fit(i + 1, c1, a1, b1, bonus, fit, rival_fit)
        _store_fit(i + 2, c2, a2, b2, bonus, fit, rival_fit)
        _store_fit(i + 3, c3, a3, b3, bonus, fit, rival_fit)
        i += 4
    while i < n:  # the last few, one at a time
        s = seg[i]
        count = a = b = zero
        for k in range(k_count):
            need = np.float32(u[i, k] < prob[s, k])
            needs[i, k] = need
            count += need
            a += need * ours[k]
            b += need * rival[k]
        _store_fit(i, count, a, b, bonus, fit, rival_fit)
        i += 1


def _needs_and_fit_t_loop(ut, seg, prob, ours, rival, bonus, needs_t, fit, rival_fit):
    """``needs_and_fit_t`` (compiled by numba): capability by capability, every prospect's need
    and sums in a vectorised pass over contiguous prospects, then every prospect's fits."""
    n = seg.shape[0]
    count = np.zeros(n, np.float32)
    a = np.zeros(n, np.float32)
    b = np.zeros(n, np.float32)
    for k in range(prob.shape[1]):
        if prob.shape[0] <= SELECT_SEGMENTS:
            _needs_row_select(ut[k], seg, prob, k, ours[k], rival[k], needs_t[k], count, a, b)
        else:
            _needs_row_gather(ut[k], seg, prob, k, ours[k], rival[k], needs_t[k], count, a, b)
    for i in range(n):
        _store_fit(i, count[i], a[i], b[i], bonus, fit, rival_fit)


def _needs_row_select_loop(u_k, seg, prob, k, o, r, need_k, count, a, b):
    """One capability's needs and sums for every prospect, its probability picked by selects
    among up to ``SELECT_SEGMENTS`` segments (branch-free: need is 0 or 1, so need * x is x or 0
    exactly, and each sum adds one more capability in order)."""
    last = prob.shape[0] - 1
    p0, p1 = prob[0, k], prob[min(1, last), k]
    p2, p3 = prob[min(2, last), k], prob[min(3, last), k]
    for i in range(seg.shape[0]):
        s = seg[i]
        p = p1 if s == 1 else p0
        p = p2 if s == 2 else p
        p = p3 if s == 3 else p
        need = np.float32(u_k[i] < p)
        need_k[i] = need
        count[i] += need
        a[i] += need * o
        b[i] += need * r


def _needs_row_gather_loop(u_k, seg, prob, k, o, r, need_k, count, a, b):
    """``_needs_row_select`` for any number of segments (each probability gathered)."""
    for i in range(seg.shape[0]):
        need = np.float32(u_k[i] < prob[seg[i], k])
        need_k[i] = need
        count[i] += need
        a[i] += need * o
        b[i] += need * r


_needs_row_select = _needs_row_select_loop  # the compiled helpers replace them (``_kernel``)
_needs_row_gather = _needs_row_gather_loop


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


# -- population scans: counts, index lists and sums the month reads, one pass each ---------------
# Each numpy function below is the code its caller ran before (so the numbers are that code's);
# its loop gives the same numbers to the bit: counts are exact, a ``bincount`` with weights adds in
# index order, and a float sum (``x.sum()``, ``x.mean()``) is numpy's pairwise sum, which
# ``_pairwise_sum_loop`` repeats step for step (tests/test_kernels.py checks every scan).
# State codes (sim/model/population.py), as plain ints for the loops.
_UNAWARE, _LEAD, _PIPELINE, _WAITING, _CUSTOMER = 0, 1, 2, 3, 4
_STATES = 8


def census(state, seg, fit, comp_fit, promise_cap, satisfaction, segments: int) -> tuple:
    """The month's row counts (sim/model/observation.py): prospects per state; per segment the
    live prospects, their summed fit and the customers; the sums of live prospects' fit and
    rival fit and of customers' satisfaction; promises outstanding."""
    if compiled_now():
        return _kernel("census")(state, seg, fit, comp_fit, promise_cap, satisfaction, segments)
    live = state <= _CUSTOMER
    is_customer = state == _CUSTOMER
    seg_live, fit_live = seg[live], fit[live]
    return (
        np.bincount(state, minlength=_STATES),
        np.bincount(seg_live, minlength=segments),
        # float even when no prospect is live (bincount then returns int zeros)
        np.bincount(seg_live, weights=fit_live, minlength=segments).astype(float, copy=False),
        np.bincount(seg[is_customer], minlength=segments),
        float(fit_live.sum()),
        float(comp_fit[live].sum()),
        float(satisfaction[is_customer].sum()),
        int(np.count_nonzero(promise_cap >= 0)),
    )


def awareness_scan(state, seg, segments: int) -> tuple[int, np.ndarray, np.ndarray]:
    """After arrivals: customers (how many), the unaware (indices), live prospects per segment."""
    if compiled_now():
        return _kernel("awareness_scan")(state, seg, segments)
    return (
        int(np.count_nonzero(state == _CUSTOMER)),
        np.flatnonzero(state == _UNAWARE),
        np.bincount(seg[state <= _CUSTOMER], minlength=segments).astype(float),
    )


def spread_awareness(
    state, seg, segments: int, base: float, referral: float, key, month: int, satisfaction,
    threshold: float, referred,
):  # fmt: skip
    """After arrivals, in one pass: each unaware prospect becomes a lead when its keyed draw
    (``key``, ``month``) falls below ``min(1, base + referral * referrers)``, the referrers
    being the customers whose satisfaction is at least ``threshold`` (-inf: every customer);
    in place. A prospect whose draw fell in the referral part of that interval (at or above
    ``base``) was woken by a referral: ``referred`` marks it. Returns the live prospects per
    segment (waking up moves prospects between live states only)."""
    if compiled_now():
        return _kernel("spread_awareness")(
            state, seg, segments, base, referral, np.uint64(key), np.uint64(month),
            satisfaction, threshold, referred,
        )  # fmt: skip
    _, unaware, counts = awareness_scan(state, seg, segments)
    customers = int(np.count_nonzero((state == _CUSTOMER) & (satisfaction >= threshold)))
    rate = min(1.0, base + referral * customers)
    u = keyed_uniform(unaware, month, np.uint64(key))
    woke = u < rate
    state[unaware[woke]] = _LEAD
    referred[unaware[woke & (u >= base)]] = True
    return counts


def love_share(state, seg, fit, threshold: float, segments: int) -> float:
    """The largest share, over segments, of live prospects whose fit >= threshold."""
    if compiled_now():
        return _kernel("love_share")(state, seg, fit, threshold, segments)
    live = state <= _CUSTOMER
    seg_live = seg[live]
    love = fit[live] >= threshold
    total = np.bincount(seg_live, minlength=segments)
    loved = np.bincount(seg_live, weights=love, minlength=segments)
    return float(np.max(loved / np.maximum(total, 1)))


def sales_scan(state, next_contact, month: int) -> tuple[np.ndarray, np.ndarray]:
    """Leads a rep may contact this month, and the deals in the pipeline (indices)."""
    if compiled_now():
        return _kernel("sales_scan")(state, next_contact, month)
    leads = np.flatnonzero((state == _LEAD) & (next_contact <= month))
    return leads, np.flatnonzero(state == _PIPELINE)


def fresh_leads(leads, state, next_contact, month: int, seg, wanted) -> np.ndarray:
    """Of this month's lead snapshot, those still leads and due for contact, in the segments
    ``wanted`` marks (a bool per segment; ``None``: every segment)."""
    if compiled_now():
        every = wanted is None
        mask = np.ones(1, np.bool_) if every else wanted
        return _kernel("fresh_leads")(leads, state, next_contact, month, seg, mask, every)
    fresh = (state[leads] == _LEAD) & (next_contact[leads] <= month)
    out = leads[fresh]
    if wanted is not None:
        out = out[wanted[seg[out]]]
    return out


def lead_scan(state, next_contact, month: int, seg, wanted) -> np.ndarray:
    """``fresh_leads`` of every prospect (the arrays: the population's ``n`` rows), without the
    index list of everyone."""
    every = wanted is None
    if compiled_now():
        mask = np.ones(1, np.bool_) if every else wanted
        return _kernel("lead_scan")(state, next_contact, month, seg, mask, every)
    return fresh_leads(np.arange(state.shape[0]), state, next_contact, month, seg, wanted)


def lead_count(state, next_contact, month: int, seg, wanted) -> int:
    """How many leads ``lead_scan`` lists (a count: no list made)."""
    every = wanted is None
    if compiled_now():
        mask = np.ones(1, np.bool_) if every else wanted
        return _kernel("lead_count")(state, next_contact, month, seg, mask, every)
    return int(lead_scan(state, next_contact, month, seg, wanted).size)


def due_deals(deals, state, decide_month, month: int, asks_custom, fit, min_fit: float) -> tuple:
    """Of the pipeline snapshot, the deals due this month: those asking for custom work (and
    fitting below ``min_fit``), and the others, each in snapshot order."""
    if compiled_now():
        return _kernel("due_deals")(deals, state, decide_month, month, asks_custom, fit, min_fit)
    due = deals[(state[deals] == _PIPELINE) & (decide_month[deals] <= month)]
    asks = asks_custom[due] & (fit[due] < min_fit)
    return due[asks], due[~asks]


_LOST, _LOST_TO_COMPETITOR, _NO_ONE = 6, 7, -1
CYCLE_SHAPE = 4.0  # gamma shape of a deal's cycle around its segment mean: most near the mean


def qualify(picked, place, noise, z, fit, min_fit: float, next_contact, cooldown: int) -> tuple:
    """The leads reps picked this month (``place``: each one's rep's place in the shuffle;
    ``noise``: each rep's perception noise; ``z``: standard normals): those whose fit looks
    good enough go on (returned with their rep's place); the others are not contacted again
    before month ``cooldown``."""
    if compiled_now():
        return _kernel("qualify")(picked, place, noise, z, fit, min_fit, next_contact, cooldown)
    seen = fit[picked] + noise[place] * z
    ok = seen >= min_fit
    next_contact[picked[~ok]] = cooldown
    return picked[ok], place[ok]


def open_deals(idx, rep_ids, gamma, month: int, cycle_months, pr) -> None:
    """New deals: in the pipeline with their rep, deciding after a gamma-drawn cycle around
    their segment's mean (``gamma``: standard gamma draws of shape ``CYCLE_SHAPE``)."""
    if compiled_now():
        _kernel("open_deals")(
            idx, rep_ids, gamma, month, cycle_months, pr.seg, pr.state, pr.owner, pr.decide_month
        )
        return
    cycle = cycle_months[pr.seg[idx]]
    months = gamma * (cycle / CYCLE_SHAPE)
    pr.state[idx] = _PIPELINE
    pr.owner[idx] = rep_ids
    pr.decide_month[idx] = month + np.maximum(1, np.round(months)).astype(np.int32)


def reach_leads(state, next_contact, month: int, seg, wanted, key) -> tuple:
    """``lead_scan`` (the leads a rep may contact now, in the segments ``wanted`` marks) and each
    one's keyed draw under ``key`` (``Keyed.uniform``: the order in which reps reach them this
    month), in one pass over the population."""
    if compiled_now():
        every = wanted is None
        mask = np.ones(1, np.bool_) if every else wanted
        return _kernel("reach_leads")(state, next_contact, month, seg, mask, every, np.uint64(key))
    fresh = np.flatnonzero((state == _LEAD) & (next_contact <= month))  # ``lead_scan``'s
    if wanted is not None:
        fresh = fresh[wanted[seg[fresh]]]
    return fresh, keyed_uniform(fresh, month, np.uint64(key))


def pick_leads(state, next_contact, month: int, seg, wanted, key, count: int) -> tuple:
    """The ``count`` leads first in this month's order of reach (``reach_leads``: the leads a
    rep may contact now in the segments ``wanted`` marks, each one's keyed draw under ``key``),
    in that order; and how many leads there were. The numpy steps take the first ``count`` by
    ``argpartition`` and put them in order with a stable ``argsort``; the compiled loop keeps the
    smallest draws in order as it scans. Both give the same leads unless two draws tie (a hash
    collision), where the order would depend on ``argpartition``'s own; the loop then says so
    and the numpy steps decide."""
    if compiled_now() and count > 0:
        every = wanted is None
        mask = np.ones(1, np.bool_) if every else wanted
        picked, leads, tie = _kernel("pick_leads")(
            state, next_contact, month, seg, mask, every, np.uint64(key), count
        )
        if not tie:
            return picked, leads
    leads, reach = reach_leads(state, next_contact, month, seg, wanted, key)
    total = min(count, leads.size)
    if total <= 0:
        return leads[:0], leads.size
    first = reach.argpartition(total - 1)[:total]  # the first `total` in linear time, in order
    return leads[first[reach[first].argsort(kind="stable")]], leads.size


def pipeline_scan(state, owner) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The deals in the pipeline (indices), their open deals per rep id (``bincount`` of their
    owners), and, when one has no owner (NO_ONE), instead of the counts (empty) each one's
    owner (else None)."""
    if compiled_now():
        pipeline, owners, counts, odd = _kernel("pipeline_scan")(state, owner)
        return pipeline, counts, owners if odd else None
    pipeline = np.flatnonzero(state == _PIPELINE)
    owners = owner[pipeline]
    odd = bool(owners.size) and owners.min() < 0
    counts = np.bincount(owners) if owners.size and not odd else np.zeros(0, np.int64)
    return pipeline, counts, owners if odd else None


def qualify_and_open(picked, reps, keys, fit, min_fit: float, cooldown: int, month: int, pr):
    """The leads reps picked this month, in one pass: each one's keyed perception draw (a
    standard normal by ``ndtri``) and ``qualify``; each qualified lead's keyed cycle draw (a
    standard gamma of shape ``CYCLE_SHAPE`` by ``gammaincinv``) and ``open_deals``.

    ``reps``: each rep's want, perception noise and id, in the month's shuffled order (the
    first ``wants[0]`` picks are the first rep's, and so on); ``keys``: the perception and cycle
    streams' keys and the segments' mean cycle months. The compiled loop calls the C functions
    behind scipy's ``ndtri`` and ``gammaincinv`` ufuncs (the same numbers)."""
    wants, noise, ids = reps
    perception, cycle, cycle_months = keys
    if compiled_now():
        _kernel("qualify_and_open")(
            picked, wants, noise, ids, np.uint64(perception), np.uint64(cycle), fit, min_fit,
            cooldown, month, cycle_months, pr.seg, pr.state, pr.owner, pr.next_contact,
            pr.decide_month,
        )  # fmt: skip
        return
    place = np.arange(wants.size).repeat(wants)[: picked.size]
    z = ndtri(np.maximum(keyed_uniform(picked, month, np.uint64(perception)), TO_UNIT))
    ok, place = qualify(picked, place, noise, z, fit, min_fit, pr.next_contact, cooldown)
    if ok.size:
        gamma = gammaincinv(CYCLE_SHAPE, keyed_uniform(ok, month, np.uint64(cycle)))
        open_deals(ok, ids[place], gamma, month, cycle_months, pr)


def pitch(k, needed, eta, decay, horizon: float, step: float) -> tuple:
    """The roadmap pitch to each buyer: its biggest missing need ``k`` (-1: none) is promised
    when the plan ships it within ``horizon`` months (``eta``), persuading by ``step`` shared
    over its ``needed`` capabilities and discounted by ``decay``. Returns the promised
    capability (NO_ONE), its eta (0) and the fit gain (0)."""
    if compiled_now():
        out_k, out = _kernel("pitch")(k, needed, eta, decay, horizon, step)
        return out_k, out[0], out[1]
    ok = (k >= 0) & (eta <= horizon)
    gain = np.where(ok, step / np.maximum(needed, 1) * decay, 0.0)
    return np.where(ok, k, _NO_ONE), np.where(ok, eta, 0.0), gain


def plan_eta(
    coverage, killed_until, month: int, current: int, current_step: float, step: float, demand,
    ahead: float, effort: float, rate: float,
) -> np.ndarray:  # fmt: skip
    """Months until each capability's first planned item ships (inf: not planned): the roadmap
    as ``planned_items`` orders it (the current item, capability ``current`` (-1: none) of
    ``current_step``, first), ``ahead`` engineer-months left on the current item, ``effort`` per
    item after it, at ``rate`` engineer-months a month."""
    if compiled_now():
        return _kernel("plan_eta")(
            coverage, killed_until, month, current, current_step, step, demand, ahead, effort, rate
        )
    eta = np.full(len(coverage), np.inf)
    gap = plan_gap(coverage, killed_until, month, current, current_step)
    caps, first = np.unique(planned_items(gap, step, demand), return_index=True)
    eta[caps] = (ahead + effort * (first + 1)) / rate
    if current >= 0:
        eta[current] = ahead / rate
    return eta


def plan_gap(coverage, killed_until, month: int, current: int, current_step: float) -> np.ndarray:
    """Coverage each capability still lacks after the current item (0 for a killed line)."""
    gap = 1.0 - coverage
    if current >= 0:
        gap[current] -= current_step
    return np.where(killed_until > month, 0.0, np.maximum(gap, 0.0))


def planned_items(gap, step: float, demand) -> np.ndarray:
    """Every item the gaps take (``step`` each, the last a part step), most valuable first
    (value: ``demand`` x the item's step; ties: whole steps before part steps, then the lower
    capability); items of no value are left out."""
    full = np.floor(gap / step + 1e-9).astype(np.int64)  # whole steps left
    part = gap - full * step  # the part step after them
    caps = np.arange(gap.size)
    has_part = part > 1e-9
    items = np.concatenate([np.repeat(caps, full), caps[has_part]])
    value = np.concatenate([np.repeat(demand * step, full), (demand * part)[has_part]])
    worth = value > 0
    return items[worth][np.argsort(-value[worth], kind="stable")]


# -- the product team's month of roadmap work (sim/model/actors/product_team.py) -------------------
# The item in progress as a float array: capability (-1: none), step, effort, expected demand,
# effort spent.
ITEM_K, ITEM_STEP, ITEM_EFFORT, ITEM_EXPECTED, ITEM_SPENT = range(5)
# share of the knowledge gap a shipped small experiment closes on its capability
SMALL_BET_LEARNING = 0.8
KILLED_LINE_MONTHS = 6  # a killed experiment line is not picked again for this long (months)


def roadmap_work(
    effort: float, item, new_step: float, new_effort: float, coverage, estimate, truth, weights,
    killed_until, kills_until: int, month: int, last_shipped, outcomes, drawn: int,
    measure: bool, kill_value: float, kills,
) -> tuple[int, int, int, int]:  # fmt: skip
    """``effort`` engineer-months of roadmap work: finish the item in progress (``item``, in
    place), then the most valuable next item (``new_step`` of coverage for ``new_effort``), and
    so on; each shipped item lands by its outcome (``outcomes[drawn]``, the next in shipping
    order) on ``coverage``; with ``measure`` (small bets) a shipped experiment moves the team's
    ``estimate`` toward the ``truth`` of its capability and is killed when its measured demand
    falls short of ``kill_value`` x what was expected (``killed_until``; each kill's capability,
    measured and expected demand in a row of ``kills``). Demand: ``weights`` (live prospects per
    target segment) x the estimated probability of need (``expit(estimate)``, by BLAS as numpy
    and the compiled loop both call it). Returns the draws used, items shipped, kills and the
    latest month a line stays killed."""
    if compiled_now():
        return _kernel("roadmap_work")(
            effort, item, new_step, new_effort, coverage, estimate, truth, weights, killed_until,
            kills_until, month, last_shipped, outcomes, drawn, measure, kill_value, kills,
        )  # fmt: skip
    from scipy.special import expit

    shipped = killed = 0
    while effort > 1e-9:
        if item[ITEM_K] < 0:  # the next item: the most valuable (argmax: the lower capability)
            demand = weights @ expit(estimate)
            value = demand * np.minimum(new_step, 1.0 - coverage)
            if kills_until > month:
                value = np.where(killed_until > month, 0.0, value)
            k = int(value.argmax())
            item[:] = (k, new_step, new_effort, float(demand[k]), 0.0)
        used = min(effort, item[ITEM_EFFORT] - item[ITEM_SPENT])
        item[ITEM_SPENT] += used
        effort -= used
        if item[ITEM_SPENT] >= item[ITEM_EFFORT] - 1e-9:  # ship it
            k = int(item[ITEM_K])
            coverage[k] = min(1.0, coverage[k] + item[ITEM_STEP] * outcomes[drawn])
            drawn += 1
            last_shipped[k] = month
            shipped += 1
            item[ITEM_K] = -1.0
            if measure:  # a shipped experiment shows what its capability is really worth
                column = estimate[:, k]  # a view: updated in place
                column += SMALL_BET_LEARNING * (truth[:, k] - column)
                measured = float(weights @ expit(truth[:, k]))
                if measured < kill_value * item[ITEM_EXPECTED]:
                    killed_until[k] = month + KILLED_LINE_MONTHS
                    kills_until = max(kills_until, month + KILLED_LINE_MONTHS)
                    kills[killed] = (k, measured, item[ITEM_EXPECTED])
                    killed += 1
    return drawn, shipped, killed, kills_until


# -- customers' month (sim/model/actors/customers.py) ----------------------------------------------
PROMISE_DISAPPOINTMENT = 0.4  # satisfaction lost when a promised item slips past its date (0-1)
# share of the gap to current fit satisfaction closes each month (share/month)
SATISFACTION_ADJUST = 0.3
SATISFIED = 0.6  # satisfaction at or above which churn is at its baseline and seats grow (0-1)
_CHURNED = 5


def customers_settle(
    state, promise_cap, promise_since, promise_due, last_shipped, month: int, grace: float,
    satisfaction, fit, comp_fit, consume_penalty: float, stagnation: float,
) -> tuple:  # fmt: skip
    """The customers' promises and satisfaction this month, in place: a promise is kept when
    its item shipped since it was made, broken when past due (plus ``grace``) and not kept (a
    broken one costs ``PROMISE_DISAPPOINTMENT``); settled promises are cleared; satisfaction
    moves toward fit less ``consume_penalty``. Returns the customers (indices), each one's
    satisfaction shortfall and the rival's pull (x ``stagnation``) for the churn hazard, and
    the promises kept and broken."""
    if compiled_now():
        return _kernel("customers_settle")(
            state, promise_cap, promise_since, promise_due, last_shipped, month, float(grace),
            satisfaction, fit, comp_fit, consume_penalty, stagnation,
        )  # fmt: skip
    customers = np.flatnonzero(state == _CUSTOMER)
    promised = customers[promise_cap[customers] >= 0]
    kept_count = broken_count = 0
    if promised.size:
        k = promise_cap[promised]
        kept = last_shipped[np.maximum(k, 0)] >= promise_since[promised]
        late = month > promise_due[promised] + grace
        broken = late & ~kept
        kept_count, broken_count = int(kept.sum()), int(broken.sum())
        satisfaction[promised[broken]] -= PROMISE_DISAPPOINTMENT
        promise_cap[promised[kept | broken]] = _NO_ONE
    target = fit[customers] - consume_penalty
    satisfaction[customers] += SATISFACTION_ADJUST * (target - satisfaction[customers])
    shortfall = np.maximum(0.0, SATISFIED - satisfaction[customers])
    pull = np.maximum(0.0, comp_fit[customers] - fit[customers]) * stagnation
    return customers, shortfall, pull, kept_count, broken_count


def waiters_settle(
    state, promise_cap, promise_since, promise_due, last_shipped, month: int, grace: float,
    fit, comp_fit, stagnation: float, steal: float, impatience: float, defect_key: np.uint64,
    owner,
) -> tuple[np.ndarray, int]:  # fmt: skip
    """Buyers waiting for a promised item, in place: a kept promise (the item shipped since it
    was made) makes a buyer (returned, for the caller to book); a broken one (past due plus
    ``grace``), or a waiter who defects (its keyed draw under ``defect_key`` below ``steal`` x
    the rival's fit lead x ``stagnation`` x ``impatience``, capped at 1), walks: lost, to the
    rival if its fit is better. Settled promises are cleared. Returns the buyers and the number
    who walked."""
    if compiled_now():
        return _kernel("waiters_settle")(
            state, promise_cap, promise_since, promise_due, last_shipped, month, float(grace), fit,
            comp_fit, stagnation, steal, impatience, defect_key, np.uint64(month), owner,
        )  # fmt: skip
    waiting = np.flatnonzero(state == _WAITING)
    if waiting.size == 0:
        return waiting, 0
    k = promise_cap[waiting]
    kept = last_shipped[np.maximum(k, 0)] >= promise_since[waiting]
    broken = (month > promise_due[waiting] + grace) & ~kept
    pull = np.maximum(0.0, comp_fit[waiting] - fit[waiting]) * stagnation
    chance = np.minimum(1.0, steal * pull * impatience)
    defects = keyed_uniform(waiting, month, defect_key) < chance
    broken |= ~kept & defects
    buyers, walkers = waiting[kept], waiting[broken]
    promise_cap[waiting[kept | broken]] = _NO_ONE
    rival = comp_fit[walkers] > fit[walkers]
    state[walkers] = np.where(rival, _LOST_TO_COMPETITOR, _LOST)
    owner[walkers] = _NO_ONE
    return buyers, int(walkers.size)


def customers_churn_and_pay(
    customers, factor, pull, churn_base, seg, steal: float, u, state, promise_cap, seats, price,
    satisfaction, expansion: float, cost_per_seat,
) -> tuple:  # fmt: skip
    """Churn, expansion and payment, in place: each customer leaves when its draw ``u`` falls
    below its hazard (its segment's ``churn_base`` x ``factor``, the satisfaction term, plus
    ``steal`` x ``pull``, capped at 1); a satisfied one who stays grows its seats by
    ``expansion`` (the factor, 1 + growth); the rest pay. Returns who left, who stayed, the MRR
    that left, the month's revenue and cost to serve (numpy's pairwise sums)."""
    if compiled_now():
        return _kernel("customers_churn_and_pay")(
            customers, factor, pull, churn_base, seg, steal, u, state, promise_cap, seats, price,
            satisfaction, expansion, cost_per_seat,
        )  # fmt: skip
    hazard = churn_base[seg[customers]] * factor + steal * pull
    leaves = u < np.minimum(hazard, 1.0)
    gone = customers[leaves]
    churned = float(np.sum(seats[gone] * price[gone]))
    state[gone] = _CHURNED
    promise_cap[gone] = _NO_ONE
    staying = customers[~leaves]
    happy = staying[satisfaction[staying] >= SATISFIED]
    seats[happy] *= expansion
    revenue = float(np.sum(seats[staying] * price[staying]))
    cost = float(np.sum(seats[staying] * cost_per_seat[seg[staying]]))
    return gone, staying, churned, revenue, cost


def no_decision(due, share: float, draw, cooldown: int, pr) -> tuple[np.ndarray, int]:
    """Buyers who decide to buy nothing this cycle: each due deal whose keyed draw (``draw``:
    the stream's key and the month) falls below ``share`` goes back to being a lead, with no
    rep, out of reach until month ``cooldown``. Returns the deals that do decide, in order, and
    how many did not."""
    key, month = draw
    if compiled_now():
        return _kernel("no_decision")(
            due, share, np.uint64(key), np.uint64(month), cooldown, pr.state, pr.owner,
            pr.next_contact,
        )  # fmt: skip
    stays = keyed_uniform(due, month, np.uint64(key)) < share
    still = due[stays]
    pr.state[still] = _LEAD
    pr.owner[still] = _NO_ONE
    pr.next_contact[still] = cooldown
    return due[~stays], still.size


def customers_churn_keyed(
    customers, factor, pull, churn_base, seg, steal: float, draw, state, promise_cap, seats, price,
    satisfaction, expansion: float, cost_per_seat,
) -> tuple:  # fmt: skip
    """``customers_churn_and_pay`` with each customer's draw keyed (``draw``: the churn stream's
    key and the month; ``Keyed.uniform`` of the customers), hashed in the same call."""
    key, month = draw
    if compiled_now():
        return _kernel("customers_churn_keyed")(
            customers, factor, pull, churn_base, seg, steal, np.uint64(key), np.uint64(month),
            state, promise_cap, seats, price, satisfaction, expansion, cost_per_seat,
        )  # fmt: skip
    return customers_churn_and_pay(
        customers, factor, pull, churn_base, seg, steal,
        keyed_uniform(customers, month, np.uint64(key)), state, promise_cap, seats, price,
        satisfaction, expansion, cost_per_seat,
    )  # fmt: skip


def decide_outcomes(idx, chance, draws, wait_chance, promise, discount, month, list_price, pr):
    """Each buyer who decides: it buys when its first draw is below its ``chance``; a winner
    promised an item (``promise``: capability and eta) waits for it when its second draw is
    below ``wait_chance``; a loser goes to the rival when the rival fits better. Promises are
    recorded for the waiters and the promised buyers. Returns the number won, the promises
    made, the buyers and the price each pays (list price less its ``discount``)."""
    first, second = draws
    promise_k, promise_eta = promise
    if compiled_now():
        return _kernel("decide_outcomes")(
            idx, chance, first, second, wait_chance, promise_k, promise_eta, discount, month,
            list_price, pr.seg, pr.state, pr.owner, pr.fit, pr.comp_fit, pr.promise_cap,
            pr.promise_due, pr.promise_since,
        )  # fmt: skip
    won = first < chance
    lost = idx[~won]
    if lost.size:
        to_rival = pr.comp_fit[lost] > pr.fit[lost]
        pr.state[lost] = np.where(to_rival, _LOST_TO_COMPETITOR, _LOST)
        pr.owner[lost] = _NO_ONE
    waits = won & (promise_k >= 0) & (second < wait_chance)
    pr.state[idx[waits]] = _WAITING
    buy = won & ~waits
    promised = buy & (promise_k >= 0)
    recorded = waits | promised
    rows = idx[recorded]
    pr.promise_cap[rows] = promise_k[recorded]
    pr.promise_due[rows] = month + np.ceil(promise_eta[recorded]).astype(np.int32)
    pr.promise_since[rows] = month
    buyers = idx[buy]
    price = list_price[pr.seg[buyers]] * (1.0 - discount[buy])
    return int(won.sum()), int(recorded.sum()), buyers, price


def decide_deals(idx, reps, pitch_in, terms, draws, month: int, list_price, pr) -> tuple:
    """The month's deciding buyers (``idx``) in one pass: each one's rep's skill (``reps``: the
    lookup from a rep id to its place in the month's shuffle, NO_ONE and ids above it clipped
    to the last slot, and the skills by place), the roadmap pitch (``pitch_in``: the biggest
    missing need, how many needs, its planned eta and the eta's decay ``exp(-eta / wait
    scale)``, the promise horizon and the item's step), the discount and win logit (``terms``:
    max discount, the five slopes of ``win_logit``, the learning-mode close factor), the win
    chance ``expit(logit) * close factor``, the keyed win and wait draws (``draws``: both keys
    and the wait scale) and the outcomes of ``decide_outcomes``. The numpy version is the sales
    floor's old chain, step by step; the compiled one hashes the keyed draws inline and takes a
    promised waiter's chance as ``1 - decay`` (the same ``np.exp`` of the same eta). Returns
    the number won, the promises made, the buyers and the price each pays."""
    place, skills = reps
    k, needed, eta, decay, horizon, step = pitch_in
    max_discount, slopes, close_factor, *rest = terms
    visibility, referral_logit = rest[0] if rest else (1.0, 0.0)
    win_key, wait_key, wait_scale = draws
    if compiled_now():
        return _kernel("decide_deals")(
            idx, pr.owner, place, skills, k, needed, eta, decay, horizon, step, pr.budget,
            pr.fit, pr.comp_fit, max_discount, *slopes, close_factor, np.uint64(win_key),
            np.uint64(wait_key), month, list_price, pr.seg, pr.state, pr.promise_cap,
            pr.promise_due, pr.promise_since, float(visibility), float(referral_logit),
            pr.referred,
        )  # fmt: skip
    from scipy.special import expit

    owner = pr.owner[idx]
    top = place.size - 1
    if owner.size and owner.max() > top:  # a rep id above every rep here: not here
        owner = np.minimum(owner, top)
    promise_k, promise_eta, gain = pitch(k, needed, eta, decay, horizon, step)
    view = (visibility, pr.referred, referral_logit)
    discount, logit = win_logit(
        idx, pr.budget, pr.fit, pr.comp_fit, skills[place[owner]], gain, max_discount, slopes, view
    )
    chance = expit(logit) * close_factor
    first = keyed_uniform(idx, month, np.uint64(win_key))
    second = keyed_uniform(idx, month, np.uint64(wait_key))
    wait_chance = 1.0 - np.exp(-promise_eta / wait_scale)
    sold = np.zeros(pr.fit.shape[0])
    sold[idx] = seen_fit(pr.fit[idx], visibility) + gain
    won, recorded, buyers, price = decide_outcomes(
        idx, chance, (first, second), wait_chance, (promise_k, promise_eta), discount, month,
        list_price, pr,
    )  # fmt: skip
    return won, recorded, buyers, price, sold[buyers]


FIT_PRIOR = 0.5
"""What a buyer assumes of a product's fit before using it: a buyer who sees a share v of true
fit (``market.win_fit_visibility``) sees ``FIT_PRIOR + v (fit - FIT_PRIOR)``; the same 0.5 the
win logit's absolute-fit term is centred on."""


def seen_fit(fit, visibility: float):
    """The fit a buyer sees before the sale (true fit when ``visibility`` is 1)."""
    if visibility == 1.0:
        return fit
    return FIT_PRIOR + visibility * (fit - FIT_PRIOR)


MAX_NEEDED_DISCOUNT = 0.95  # the deepest discount any buyer could ask for (share)
PRICE_GAP_SLOPE = 8.0  # win odds lost per unit of price above the buyer's budget (logit per share)


def win_logit(
    idx, budget, fit, comp_fit, skill, gain, max_discount: float, slopes, view=None
) -> tuple:  # fmt: skip
    """The sales floor's buyers (``idx``): the discount each gets (what it needs, capped) and
    its win logit from the rep's ``skill``, the pitch's fit ``gain``, the rival's fit and the price
    (sim/model/actors/sales_floor.py). ``slopes``: (base logit, relative fit, absolute fit,
    discount, complexity term), the last already multiplied by the product's complexity.
    ``view`` (None: (1, None, 0)): the share of true fit a buyer sees before using it (both
    products' fit shrunk toward ``FIT_PRIOR``; the pitch's promised gain is believed in full),
    which prospects came by referral (a boolean per prospect) and the logit a referral adds."""
    base, relative, absolute, per_discount, complexity = slopes
    visibility, referred, referral_logit = (1.0, None, 0.0) if view is None else view
    if referred is None:
        referred, referral_logit = np.zeros(fit.shape[0], np.bool_), 0.0
    if compiled_now():
        out = _kernel("win_logit")(
            idx, budget, fit, comp_fit, skill, gain, max_discount, base, relative, absolute,
            per_discount, complexity, float(visibility), float(referral_logit), referred,
        )  # fmt: skip
        return out[0], out[1]
    # np.clip's numbers, without its overhead
    need_discount = np.minimum(np.maximum(1.0 - budget[idx], 0.0), MAX_NEEDED_DISCOUNT)
    discount = np.minimum(need_discount, max_discount)
    seen = seen_fit(fit[idx], visibility) + gain
    logit = (
        base
        + skill
        + relative * (seen - seen_fit(comp_fit[idx], visibility))
        + absolute * (seen - 0.5)
        + per_discount * discount
        - PRICE_GAP_SLOPE * (need_discount - discount)
        - complexity
    )
    if referral_logit != 0.0:
        logit = logit + np.where(referred[idx], referral_logit, 0.0)
    return discount, logit


GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
MIX_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
"""SplitMix64's finaliser (Steele, Lea and Flood, 2014): its increment, multipliers and shifts."""
MANTISSA_SHIFT = np.uint64(11)
TO_UNIT = 2.0**-53
"""The top 53 bits of a mixed word, scaled to [0, 1)."""
_MANTISSA_SHIFT_INT = int(MANTISSA_SHIFT)  # ``keyed_uniform_one``'s


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place on a uint64 array (wrapping arithmetic): a bijection."""
    first, second, third = MIX_SHIFTS
    z += GOLDEN
    z ^= z >> first
    z *= MIX1
    z ^= z >> second
    z *= MIX2
    z ^= z >> third
    return z


SEED_POOL = 4  # numpy's SeedSequence: words of its entropy pool
SEED_INIT_A, SEED_MULT_A = np.uint64(0x43B0D7E5), np.uint64(0x931E8875)  # its pool's hash
SEED_INIT_B, SEED_MULT_B = np.uint64(0x8B51F9DD), np.uint64(0x58F38DED)  # its output hash
SEED_MIX_L, SEED_MIX_R = np.uint64(0xCA01F9DD), np.uint64(0x4973F715)  # its word mixer
SEED_MASK, SEED_SHIFT = np.uint64(0xFFFFFFFF), np.uint64(16)  # 32-bit words, half-word shift
SEED_WORD_MAX = 0xFFFFFFFF  # the largest key of one 32-bit word
PCG64_WORDS = 4
"""uint64 words a ``PCG64`` takes from its seed sequence (``generate_state(4, np.uint64)``)."""


def seed_words(value: int) -> list[int]:
    """``SeedSequence``'s 32-bit words of a non-negative int (least significant first; 0 is one
    word)."""
    words = [value & 0xFFFFFFFF]
    value >>= 32
    while value:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
    return words


def seed_prefix(entropy: int, spawn_key: tuple[int, ...]) -> np.ndarray:
    """The first words of a spawned child's entropy (``SeedSequence.get_assembled_entropy``): the
    run entropy padded with zeros to the pool's size, then the parent's spawn key (uint64 array
    of 32-bit words)."""
    words = seed_words(entropy)
    words += [0] * (SEED_POOL - len(words))
    for part in spawn_key:
        words += seed_words(part)
    return np.array(words, np.uint64)


def spawned_states(
    entropy: int,
    spawn_key: tuple[int, ...],
    keys: Sequence[int],
    prefix: np.ndarray | None = None,
) -> np.ndarray:
    """``SeedSequence(entropy, spawn_key=(*spawn_key, k)).generate_state(4, np.uint64)`` for
    each ``k`` of ``keys`` (a row each): the state a ``PCG64`` of that child starts from, its
    first word the child's ``generate_state(1, np.uint64)``. ``entropy`` a non-negative int;
    ``prefix``: ``seed_prefix(entropy, spawn_key)`` when the caller keeps it. The compiled loop
    hashes as numpy's SeedSequence does (uint32 arithmetic; tests/test_kernels.py checks it
    against numpy) for keys of one word (below 2**32); numpy's own makes any other."""
    if compiled_now() and (not keys or 0 <= min(keys) and max(keys) <= SEED_WORD_MAX):
        if prefix is None:
            prefix = seed_prefix(entropy, spawn_key)
        out = np.empty((len(keys), PCG64_WORDS), np.uint64)
        _kernel("spawned_states")(prefix, np.array(keys, np.uint64), out)
        return out
    return np.array(
        [
            np.random.SeedSequence(entropy, spawn_key=(*spawn_key, int(k))).generate_state(
                PCG64_WORDS, np.uint64
            )
            for k in keys
        ],
        dtype=np.uint64,
    ).reshape(len(keys), PCG64_WORDS)


def keyed_uniform(ids, month: int, key: np.uint64) -> np.ndarray:
    """The keyed draw of each id in ``month`` (sim/model/streams.py, ``Keyed``): the top 53
    bits of mix(mix(id ^ key) + month), scaled to [0, 1). Integer arithmetic: both versions
    give the same bits."""
    ids = np.asarray(ids)
    if compiled_now():
        out = np.empty(ids.size)
        _kernel("keyed_uniform")(ids.astype(np.int64, copy=False), np.uint64(month), key, out)
        return out
    z = ids.astype(np.uint64)
    z ^= key
    z = _mix(z)
    z += np.uint64(month)
    z = _mix(z)
    z >>= MANTISSA_SHIFT
    return z * TO_UNIT


WORD = (1 << 64) - 1  # a uint64's bits, for the same wrapping arithmetic on Python ints
_MIX_INTS = (int(GOLDEN), int(MIX1), int(MIX2), *(int(s) for s in MIX_SHIFTS))
"""``_mix``'s constants as Python ints."""


def _mix_int(z: int) -> int:
    """``_mix`` on one word as a Python int (the same wrapping arithmetic, the same bits)."""
    golden, mix1, mix2, first, second, third = _MIX_INTS
    z = (z + golden) & WORD
    z ^= z >> first
    z = (z * mix1) & WORD
    z ^= z >> second
    z = (z * mix2) & WORD
    return z ^ (z >> third)


def keyed_uniform_one(i: int, month: int, key: int) -> float:
    """``keyed_uniform`` of one id (``i >= 0``), in Python integers: the same bits, without an
    array or a kernel call for a single draw (a delivered custom item's conversion)."""
    z = _mix_int((_mix_int(i ^ key) + month) & WORD)
    return (z >> _MANTISSA_SHIFT_INT) * TO_UNIT


def keyed_normal(ids, month: int, key: np.uint64) -> np.ndarray:
    """``Keyed.normal``: a standard normal per id for ``month`` by the inverse normal CDF of its
    keyed uniform (at least ``TO_UNIT``), the compiled loop calling scipy's ``ndtri``."""
    if compiled_now():
        ids = np.asarray(ids)
        out = np.empty(ids.size)
        _kernel("keyed_normal")(ids.astype(np.int64, copy=False), np.uint64(month), key, out)
        return out
    return ndtri(np.maximum(keyed_uniform(ids, month, key), TO_UNIT))


def request_draws(ids, month: int, keys) -> np.ndarray:
    """Each custom request's keyed draws (``keys``: the estimate's, the overrun's and the
    generality's streams): a row of standard normals (``Keyed.normal``), a row of normals and a
    row of uniforms (``Keyed.uniform``), a column per id."""
    estimate, overrun, generality = (np.uint64(key) for key in keys)
    if compiled_now():
        return _kernel("request_draws")(
            np.asarray(ids, np.int64), np.uint64(month), estimate, overrun, generality
        )
    return np.array(
        [
            keyed_normal(ids, month, estimate),
            keyed_normal(ids, month, overrun),
            keyed_uniform(ids, month, generality),
        ]
    )


def learn_needs(estimate, truth, noise: float, rate: float, month: int, key: np.uint64) -> None:
    """The product team's estimate of need logits moves toward this month's reading, in place:
    each cell's reading is its truth plus ``noise`` times its keyed standard normal (the cell's
    flat index as its id), and the estimate moves ``rate`` of the way to it."""
    if compiled_now():
        _kernel("learn_needs")(estimate, truth, noise, rate, np.uint64(month), key)
        return
    reading = keyed_normal(np.arange(truth.size), month, key).reshape(truth.shape)
    observed = truth + noise * reading
    estimate += rate * (observed - estimate)


def estimated_demand(weights, estimate) -> np.ndarray:
    """Prospects believed to need each capability: the segments' ``weights`` times the
    estimate's probabilities (``expit`` of its logits); ``np.dot`` in the compiled loop calls
    the BLAS routine numpy's ``@`` calls (as ``roadmap_work``'s demand)."""
    if compiled_now():
        return _kernel("estimated_demand")(weights, estimate)
    return weights @ expit(estimate)


def knowledge_error(estimate, prob) -> float:
    """Mean absolute gap between the product team's estimate (logits, through ``expit``) and
    the true need probabilities: numpy's sum of the gaps over the whole (contiguous) matrix,
    then divided by its size."""
    if compiled_now():
        return _kernel("knowledge_error")(estimate, prob)
    gap = np.abs(expit(estimate) - prob)
    return float(gap.sum() / gap.size)  # np.mean's numbers (the same sum, then / size)


def sums_by_owner(values, owners, ids) -> list[float | None]:
    """For each id in ``ids``: the sum of ``values`` whose owner is that id, as
    ``values[owners == id].sum()`` adds them (None when the id owns none)."""
    if compiled_now():
        sums, present = _kernel("sums_by_owner")(values, owners, ids)
        return [s if p else None for s, p in zip(sums.tolist(), present.tolist())]
    present = set(owners.tolist())
    return [float(values[owners == i].sum()) if i in present else None for i in ids.tolist()]


def start_and_book(buyers, price, month: int, terms, ids, pr) -> tuple:
    """The month's buyers become customers (``CustomerBase.start``: their seats wanted at
    ``price``) and are booked to their reps (``Company.book``'s per-customer writes and sums):
    returns the MRR booked, the commission paid at booking (None when ``terms``' rate is None)
    and ``sums_by_owner`` of their MRR for each rep id in ``ids``.

    ``terms``: whether commission is on, and the commission per dollar of MRR paid at booking
    (None: none is paid at booking)."""
    commission_on, rate = terms
    if compiled_now():
        booked, paid, sums, present = _kernel("start_and_book")(
            buyers, price, month, commission_on, -1.0 if rate is None else rate, ids,
            *_booking_arrays(pr),
        )  # fmt: skip
        owed = [s if p else None for s, p in zip(sums.tolist(), present.tolist(), strict=True)]
        return booked, None if rate is None else paid, owed
    reps, mrr, commission = _start_and_charge(buyers, price, month, terms, pr)
    pr.closer[buyers] = reps
    paid = None if commission is None else float(commission.sum())
    return float(mrr.sum()), paid, sums_by_owner(mrr, reps, ids)


def start_and_book_by_rep(buyers, price, month: int, terms, pr) -> tuple:
    """``start_and_book`` for waiting buyers who now buy, booked rep by rep as ``Company.book``
    books one rep's customers (``Company.book_waiters``): returns the reps' ids (their deals'
    owners, ascending) and each one's MRR booked and commission paid at booking (None when
    ``terms``' rate is None), numpy's sums of that rep's customers in order."""
    commission_on, rate = terms
    if compiled_now():
        ids, booked, paid = _kernel("start_and_book_by_rep")(
            buyers, price, month, commission_on, -1.0 if rate is None else rate,
            *_booking_arrays(pr),
        )  # fmt: skip
        return ids.tolist(), booked.tolist(), None if rate is None else paid.tolist()
    reps, mrr, commission = _start_and_charge(buyers, price, month, terms, pr)
    ids, booked, paid = np.unique(reps).tolist(), [], []
    for rep_id in ids:
        mine = reps == rep_id
        pr.closer[buyers[mine]] = rep_id
        booked.append(float(mrr[mine].sum()))
        if commission is not None:
            paid.append(float(commission[mine].sum()))
    return ids, booked, None if rate is None else paid


def _booking_arrays(pr) -> tuple:
    """The population's arrays a booking writes or reads, in the booking kernels' order."""
    return (
        pr.state, pr.owner, pr.seats, pr.price, pr.satisfaction, pr.fit, pr.start_month,
        pr.seats_wanted, pr.closer, pr.commissioned, pr.commission_paid,
    )  # fmt: skip


def _start_and_charge(buyers, price, month: int, terms, pr) -> tuple:
    """The numpy steps of a booking before its sums: ``CustomerBase.start`` of the buyers (their
    seats wanted at ``price``), their MRR, commission flags and paid commission; returns each
    one's rep (the deal's owner), MRR and commission (None when none is paid at booking)."""
    commission_on, rate = terms
    reps = pr.owner[buyers].copy()
    pr.state[buyers] = _CUSTOMER
    pr.owner[buyers] = _NO_ONE
    pr.seats[buyers] = pr.seats_wanted[buyers]
    pr.price[buyers] = price
    pr.satisfaction[buyers] = pr.fit[buyers]
    pr.start_month[buyers] = month
    mrr = pr.seats[buyers] * pr.price[buyers]
    pr.commissioned[buyers] = commission_on
    commission = None
    if rate is not None:
        commission = rate * mrr
        pr.commission_paid[buyers] = commission
    return reps, mrr, commission


BUDGET_SD = 0.2  # spread of willingness to pay around the segment mean (ratio)
HONESTY_SD = 0.15  # spread of individual honesty around the segment mean (share)


def arrivals(start, counts, draws, budget_ratio, honesty, asks_share, seats_scale, pr) -> None:
    """A month's new prospects, segment after segment (``counts[s]`` of segment ``s``), in rows
    ``start:start + counts.sum()`` of the population ``pr``: segment, state UNAWARE, budget,
    seats, honesty and whether they will ask for custom work, from the draws already made, one
    column per prospect in the same order (``draws``' rows: standard normals for budget, standard
    gammas for seats, standard normals for honesty, uniforms for asking;
    sim/model/actors/market.py). Per segment: its budget ratio, honesty, share asking for custom
    work and gamma scale of seats (a seat count is ``round(gamma * scale)``, what
    ``Generator.gamma`` with that scale draws, rounded)."""
    if compiled_now():
        _kernel("arrivals")(
            start, counts, draws, budget_ratio, honesty, asks_share, seats_scale, pr.seg,
            pr.state, pr.budget, pr.seats_wanted, pr.honesty, pr.asks_custom,
        )  # fmt: skip
        return
    offset = 0
    for segment, count in enumerate(counts.tolist()):
        z_budget, gamma, z_honesty, u_asks = draws[:, offset : offset + count]
        idx = slice(start + offset, start + offset + count)
        pr.seg[idx] = segment
        pr.state[idx] = _UNAWARE
        pr.budget[idx] = np.maximum(0.05, budget_ratio[segment] * (1 + BUDGET_SD * z_budget))
        pr.seats_wanted[idx] = np.maximum(1.0, (gamma * seats_scale[segment]).round())
        honest = honesty[segment] + HONESTY_SD * z_honesty
        pr.honesty[idx] = np.minimum(np.maximum(honest, 0.0), 1.0)  # np.clip, less overhead
        pr.asks_custom[idx] = u_asks < asks_share[segment]
        offset += count


def arrive(rng, means, counts, segment, end, budget_ratio, honesty, asks_share, seats_scale,
           seats_shape, pr) -> tuple[int, int]:  # fmt: skip
    """``Market._arrive``'s draws and ``arrivals`` in one compiled loop (no numpy twin: the market
    calls it only when compiled), from segment ``segment`` on, the prospects so far ending at
    ``end``: per segment its count (``counts[s]``, or a Poisson draw of mean ``means[s]`` where it
    is negative, kept in ``counts``), each new prospect's latent need draws (float32 uniforms,
    prospect after prospect, capability by capability, into ``pr.ut``'s columns), then the
    segment's budget normals, seat gammas, honesty normals and uniforms for asking, from ``rng``
    in the market's order: the same numbers (numba's distributions are numpy's algorithms on the
    generator's own state). Returns where it stopped: ``(len(counts), end)`` when done, or a
    segment whose prospects do not fit in the population's arrays (grow them and call again)."""
    return _kernel("arrive")(
        *generator_words(rng), means, counts, segment, end, pr.ut, pr.seg, pr.state, pr.budget,
        pr.seats_wanted, pr.honesty, pr.asks_custom, budget_ratio, honesty, asks_share,
        seats_scale, seats_shape,
    )  # fmt: skip


def needs_drift(space, rng: np.random.Generator) -> None:
    """``space.drift(rng)`` (a ``NeedSpace``, sim/model/needs.py): compiled, the same draws in
    the same order (``NeedSpace.drift_draws``': which long-run levels jump, their new levels
    when any does, every level's noise) in one loop with the jumps, each level's move toward its
    long-run level and its ``expit`` (a new ``prob``)."""
    if not compiled_now():
        space.drift(rng)
        return
    p = space.params
    space.prob = _kernel("needs_drift")(
        *generator_words(rng), space.logit, space.target, p.need_shift_prob,
        p.need_level_logit, p.need_spread_logit, p.need_drift_sd, p.need_reversion,
    )  # fmt: skip


def clawback(gone, start_month, commission_paid, month: int, window) -> float:
    """Commission coming back on customers lost early: for each of ``gone`` who started fewer
    than ``window`` months before ``month``, its commission paid is summed (numpy's sum, in
    ``gone``'s order) and set to 0; returns the sum (0.0 when none)."""
    if compiled_now():
        return _kernel("clawback")(gone, start_month, commission_paid, month, window)
    early = gone[month - start_month[gone] < window]
    refund = float(commission_paid[early].sum())
    commission_paid[early] = 0.0
    return refund


def mrr_total(state, seats, price) -> float:
    """Monthly revenue of all customers: the sum over every prospect (0 for non-customers)."""
    if compiled_now():
        return _kernel("mrr_total")(state, seats, price)
    return float(np.where(state == _CUSTOMER, seats * price, 0.0).sum())


def committed_fit(state, needs, ours, rival, bonus, fit, rival_fit) -> None:
    """``fit_of`` for the customers and waiting buyers (after the product ships), in place."""
    if compiled_now():
        _kernel("committed_fit")(state, needs, ours, rival, bonus, fit, rival_fit)
        return
    rows = np.flatnonzero((state >= _WAITING) & (state <= _CUSTOMER))
    if needs.strides[0] < needs.strides[1]:  # stored capability by prospect (the market's)
        fits = _fits_of_columns(needs.T[:, rows], ours, rival, bonus[rows])
    else:
        fits = _fits_in_order(needs[rows], ours, rival, bonus[rows])
    fit[rows], rival_fit[rows] = fits


def top_missing(needs, rows, coverage) -> tuple[np.ndarray, np.ndarray]:
    """For the prospects ``rows``: the needed capability our product covers least (-1 when none
    needed or all are fully covered) and how many capabilities each needs, from the month's needs
    matrix (float32 0/1)."""
    if compiled_now():
        return _kernel("top_missing")(needs, rows, coverage)
    wanted = needs[rows] > 0.5
    return top_missing_need(wanted, coverage), wanted.sum(axis=1)


def pitch_inputs(needs, rows, coverage, planned_eta, wait_scale: float) -> tuple:
    """``top_missing`` of the prospects ``rows``, each one's planned eta for that capability
    (``planned_eta`` by capability; one needing nothing reads capability 0's, as
    ``planned_eta[np.maximum(k, 0)]`` does) and ``-eta / wait_scale``, the exponent of how much
    that distance discounts a promise (its ``np.exp`` is left to numpy)."""
    if compiled_now():
        return _kernel("pitch_inputs")(needs, rows, coverage, planned_eta, float(wait_scale))
    k, needed = top_missing(needs, rows, coverage)
    eta = planned_eta[np.maximum(k, 0)]
    return k, needed, eta, -eta / wait_scale


def _pitch_inputs_loop(needs, rows, coverage, planned_eta, wait_scale):
    k, needed = _top_missing_c(needs, rows, coverage)
    eta, exponent = np.empty(k.shape[0]), np.empty(k.shape[0])
    for r in range(k.shape[0]):
        eta[r] = planned_eta[max(k[r], 0)]
        exponent[r] = -eta[r] / wait_scale
    return k, needed, eta, exponent


def _pairwise_sum_loop(a, n):
    """numpy's pairwise sum of ``a[:n]`` (float64), the same additions in the same order: a block
    of up to 128 values is summed in eight running sums (below 8 values, one by one); a longer
    range is split in two halves at a multiple of 8, each summed the same way, then added. numpy
    adds the total to 0.0 (so ``0.0 + _pairwise_sum(...)``). numpy recurses; this walks the same
    tree with a stack (a cached numba function must not recurse)."""
    lo_of, n_of, stage_of = np.empty(64, np.int64), np.empty(64, np.int64), np.empty(64, np.int64)
    values = np.empty(64)
    lo_of[0], n_of[0], stage_of[0] = 0, n, 0
    frames, held = 1, 0
    while frames > 0:
        top = frames - 1
        lo, m = lo_of[top], n_of[top]
        if m <= 128:
            frames -= 1
            if m < 8:
                res = 0.0
                for i in range(lo, lo + m):
                    res += a[i]
            else:
                r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
                r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
                i = 8
                whole = m - m % 8
                while i < whole:
                    j = lo + i
                    r0 += a[j]
                    r1 += a[j + 1]
                    r2 += a[j + 2]
                    r3 += a[j + 3]
                    r4 += a[j + 4]
                    r5 += a[j + 5]
                    r6 += a[j + 6]
                    r7 += a[j + 7]
                    i += 8
                res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
                while i < m:
                    res += a[lo + i]
                    i += 1
            values[held] = res
            held += 1
            continue
        half = m // 2
        half -= half % 8
        if stage_of[top] == 0:  # the left half first
            stage_of[top] = 1
            lo_of[frames], n_of[frames], stage_of[frames] = lo, half, 0
            frames += 1
        elif stage_of[top] == 1:  # then the right half
            stage_of[top] = 2
            lo_of[frames], n_of[frames], stage_of[frames] = lo + half, m - half, 0
            frames += 1
        else:  # both done: left + right
            frames -= 1
            held -= 1
            values[held - 1] = values[held - 1] + values[held]
    return values[0]


_pairwise_sum = _pairwise_sum_loop  # the compiled helper replaces it when the loops compile


# The scans below count and sum per segment along runs: prospects arrive in blocks of one
# segment, so a run's count and sum stay in registers and go to the segment's slot when the
# segment changes (a count or sum kept in memory waits on its own last store at every prospect,
# ~3x slower). Each segment's values are still added one by one in index order: the same numbers.


def _state_counts_loop(state):
    """Prospects per state code (0-7): eight counters, one comparison each per prospect."""
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = 0
    for i in range(state.shape[0]):
        x = state[i]
        c0 += x == 0
        c1 += x == 1
        c2 += x == 2
        c3 += x == 3
        c4 += x == 4
        c5 += x == 5
        c6 += x == 6
        c7 += x == 7
    return np.array([c0, c1, c2, c3, c4, c5, c6, c7], np.int64)


_state_counts = _state_counts_loop  # the compiled helper replaces it when the loops compile


def _census_loop(state, seg, fit, comp_fit, promise_cap, satisfaction, segments):
    n = state.shape[0]
    seg_live = np.zeros(segments, np.int64)
    seg_fit = np.zeros(segments)
    cust_seg = np.zeros(segments, np.int64)
    fit_live, comp_live, sat = np.empty(n), np.empty(n), np.empty(n)
    live = customers = promises = 0
    run, run_live, run_fit = -1, 0, 0.0  # the current run's segment, live count and fit sum
    for i in range(n):
        x = state[i]
        if x <= _CUSTOMER:
            s = seg[i]
            if s != run:
                if run >= 0:
                    seg_live[run] += run_live
                    seg_fit[run] = run_fit
                run, run_live, run_fit = s, 0, seg_fit[s]
            run_live += 1
            run_fit += fit[i]
            fit_live[live] = fit[i]
            comp_live[live] = comp_fit[i]
            live += 1
            if x == _CUSTOMER:
                cust_seg[s] += 1
                sat[customers] = satisfaction[i]
                customers += 1
        promises += promise_cap[i] >= 0
    if run >= 0:
        seg_live[run] += run_live
        seg_fit[run] = run_fit
    return (
        _state_counts(state),
        seg_live,
        seg_fit,
        cust_seg,
        0.0 + _pairwise_sum(fit_live, live),
        0.0 + _pairwise_sum(comp_live, live),
        0.0 + _pairwise_sum(sat, customers),
        promises,
    )


def _awareness_scan_loop(state, seg, segments):
    n = state.shape[0]
    unaware = np.empty(n, np.int64)
    counts = np.zeros(segments, np.int64)
    customers = m = 0
    run, run_live = -1, 0  # the current run's segment and live count
    for i in range(n):
        x = state[i]
        if x == _UNAWARE:
            unaware[m] = i
            m += 1
        elif x == _CUSTOMER:
            customers += 1
        if x <= _CUSTOMER:
            s = seg[i]
            if s != run:
                if run >= 0:
                    counts[run] += run_live
                run, run_live = s, 0
            run_live += 1
    if run >= 0:
        counts[run] += run_live
    return customers, unaware[:m].copy(), counts.astype(np.float64)


_awareness_scan = _awareness_scan_loop  # the compiled helper replaces it when the loops compile


def _spread_awareness_loop(
    state, seg, segments, base, referral, key, month, satisfaction, threshold, referred
):  # fmt: skip
    """``awareness_scan``'s counts and each unaware prospect's draw in two passes: the referring
    customers first (they set the rate), then the live counts and the draws (waking up keeps a
    prospect live: the counts are those before it)."""
    n = state.shape[0]
    customers = 0
    for i in range(n):
        customers += state[i] == _CUSTOMER and satisfaction[i] >= threshold
    rate = min(1.0, base + referral * customers)
    counts = np.zeros(segments, np.int64)
    run, run_live = -1, 0  # the current run's segment and live count
    for i in range(n):
        x = state[i]
        if x <= _CUSTOMER:
            s = seg[i]
            if s != run:
                if run >= 0:
                    counts[run] += run_live
                run, run_live = s, 0
            run_live += 1
            if x == _UNAWARE:
                z = _mix_one(_mix_one(np.uint64(i) ^ key) + month) >> MANTISSA_SHIFT
                u = np.float64(z) * TO_UNIT
                if u < rate:
                    state[i] = _LEAD
                    if u >= base:
                        referred[i] = True
    if run >= 0:
        counts[run] += run_live
    return counts.astype(np.float64)


def _love_share_loop(state, seg, fit, threshold, segments):
    total = np.zeros(segments, np.int64)
    loved = np.zeros(segments, np.int64)
    run, run_total, run_loved = -1, 0, 0  # the current run's segment and counts
    for i in range(state.shape[0]):
        if state[i] <= _CUSTOMER:
            s = seg[i]
            if s != run:
                if run >= 0:
                    total[run] += run_total
                    loved[run] += run_loved
                run, run_total, run_loved = s, 0, 0
            run_total += 1
            run_loved += fit[i] >= threshold
    if run >= 0:
        total[run] += run_total
        loved[run] += run_loved
    best = loved[0] / max(total[0], 1)
    for s in range(1, segments):
        best = max(best, loved[s] / max(total[s], 1))
    return best


def _sales_scan_loop(state, next_contact, month):
    n = state.shape[0]
    leads, pipeline = np.empty(n, np.int64), np.empty(n, np.int64)
    a = b = 0
    for i in range(n):
        x = state[i]
        if x == _LEAD and next_contact[i] <= month:
            leads[a] = i
            a += 1
        elif x == _PIPELINE:
            pipeline[b] = i
            b += 1
    return leads[:a].copy(), pipeline[:b].copy()


def _fresh_leads_loop(leads, state, next_contact, month, seg, wanted, every):
    out = np.empty(leads.shape[0], leads.dtype)
    m = 0
    for r in range(leads.shape[0]):
        i = leads[r]
        if state[i] == _LEAD and next_contact[i] <= month and (every or wanted[seg[i]]):
            out[m] = i
            m += 1
    return out[:m].copy()


def _lead_count_loop(state, next_contact, month, seg, wanted, every):
    m = 0
    for i in range(state.shape[0]):
        m += (state[i] == _LEAD) & (next_contact[i] <= month) & (every or wanted[seg[i]])
    return m


def _lead_scan_loop(state, next_contact, month, seg, wanted, every):
    n = state.shape[0]
    out = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if state[i] == _LEAD and next_contact[i] <= month and (every or wanted[seg[i]]):
            out[m] = i
            m += 1
    return out[:m].copy()


def _due_deals_loop(deals, state, decide_month, month, asks_custom, fit, min_fit):
    n = deals.shape[0]
    asks, rest = np.empty(n, deals.dtype), np.empty(n, deals.dtype)
    a = b = 0
    for r in range(n):
        i = deals[r]
        if state[i] == _PIPELINE and decide_month[i] <= month:
            if asks_custom[i] and fit[i] < min_fit:
                asks[a] = i
                a += 1
            else:
                rest[b] = i
                b += 1
    return asks[:a].copy(), rest[:b].copy()


def _seen_fit_one(fit, visibility):
    """``seen_fit`` of one number."""
    if visibility == 1.0:
        return fit
    return FIT_PRIOR + visibility * (fit - FIT_PRIOR)


_seen_fit_c = _seen_fit_one  # the compiled helper replaces it when the loops compile


def _win_logit_loop(
    idx, budget, fit, comp_fit, skill, gain, max_discount, base, relative, absolute,
    per_discount, complexity, visibility, referral_logit, referred,
):  # fmt: skip
    n = idx.shape[0]
    out = np.empty((2, n))
    for r in range(n):
        i = idx[r]
        need = 1.0 - budget[i]
        need = min(max(need, 0.0), MAX_NEEDED_DISCOUNT)
        discount = min(need, max_discount)
        seen = _seen_fit_c(fit[i], visibility) + gain[r]
        logit = base + skill[r]
        logit = logit + relative * (seen - _seen_fit_c(comp_fit[i], visibility))
        logit = logit + absolute * (seen - 0.5)
        logit = logit + per_discount * discount
        logit = logit - PRICE_GAP_SLOPE * (need - discount)
        logit = logit - complexity
        if referral_logit != 0.0 and referred[i]:
            logit = logit + referral_logit
        out[0, r], out[1, r] = discount, logit
    return out


def _sums_by_owner_loop(values, owners, ids):
    m, n = ids.shape[0], owners.shape[0]
    sums, present = np.zeros(m), np.zeros(m, np.bool_)
    picked = np.empty(n)
    for j in range(m):
        c = 0
        for r in range(n):
            if owners[r] == ids[j]:
                picked[c] = values[r]
                c += 1
        if c > 0:
            present[j] = True
            sums[j] = 0.0 + _pairwise_sum(picked, c)
    return sums, present


def _start_and_charge_loop(
    buyers, price, month, commission_on, rate, state, owner, seats, price_of, satisfaction, fit,
    start_month, seats_wanted, closer, commissioned, commission_paid,
):  # fmt: skip
    """The booking kernels' writes, buyer by buyer: ``CustomerBase.start``, the deal's rep as
    closer, the commission flag and paid commission (``rate`` < 0: none at booking); returns
    each buyer's rep, MRR and commission."""
    n = buyers.shape[0]
    reps, mrr, commission = np.empty(n, owner.dtype), np.empty(n), np.empty(n)
    for r in range(n):
        i = buyers[r]
        reps[r] = owner[i]
        state[i] = _CUSTOMER
        owner[i] = _NO_ONE
        seats[i] = seats_wanted[i]
        price_of[i] = price[r]
        satisfaction[i] = fit[i]
        start_month[i] = month
        mrr[r] = seats[i] * price_of[i]
        closer[i] = reps[r]
        commissioned[i] = commission_on
        if rate >= 0.0:
            commission[r] = rate * mrr[r]
            commission_paid[i] = commission[r]
    return reps, mrr, commission


_start_and_charge_c = _start_and_charge_loop  # the compiled helper replaces it (``_kernel``)


def _start_and_book_loop(buyers, price, month, commission_on, rate, ids, *arrays):
    reps, mrr, commission = _start_and_charge_c(buyers, price, month, commission_on, rate, *arrays)
    n = buyers.shape[0]
    paid = 0.0 + _pairwise_sum(commission, n) if rate >= 0.0 else 0.0
    sums, present = _sums_by_owner(mrr, reps, ids)
    return 0.0 + _pairwise_sum(mrr, n), paid, sums, present


def _start_and_book_by_rep_loop(buyers, price, month, commission_on, rate, *arrays):
    reps, mrr, commission = _start_and_charge_c(buyers, price, month, commission_on, rate, *arrays)
    ids = np.unique(reps)
    booked, paid = np.empty(ids.size), np.zeros(ids.size)
    mine_mrr, mine_commission = np.empty(reps.size), np.empty(reps.size)
    for j in range(ids.size):
        c = 0
        for r in range(reps.size):
            if reps[r] == ids[j]:
                mine_mrr[c], mine_commission[c] = mrr[r], commission[r]
                c += 1
        booked[j] = 0.0 + _pairwise_sum(mine_mrr, c)
        if rate >= 0.0:
            paid[j] = 0.0 + _pairwise_sum(mine_commission, c)
    return ids, booked, paid


def _arrivals_loop(
    start, counts, draws, budget_ratio, honesty, asks_share, seats_scale, seg, state, budget,
    seats_wanted, honesty_of, asks_custom,
):  # fmt: skip
    r = 0
    for segment in range(counts.shape[0]):
        for _ in range(counts[segment]):
            i = start + r
            seg[i] = segment
            state[i] = _UNAWARE
            budget[i] = max(0.05, budget_ratio[segment] * (1.0 + BUDGET_SD * draws[0, r]))
            # np.rint: numpy's round to even, as ``round()`` of the numpy twin
            seats_wanted[i] = max(1.0, np.rint(draws[1, r] * seats_scale[segment]))
            honest = honesty[segment] + HONESTY_SD * draws[2, r]
            honesty_of[i] = min(max(honest, 0.0), 1.0)
            asks_custom[i] = draws[3, r] < asks_share[segment]
            r += 1


def _arrive_loop(
    state_address, next_uint64, next_uint32, next_double, means, counts, segment, end, ut, seg,
    state, budget, seats_wanted, honesty_of, asks_custom, budget_ratio, honesty, asks_share,
    seats_scale, seats_shape,
):  # fmt: skip
    rng = _generator_at(state_address, next_uint64, next_uint32, next_double)
    capabilities, capacity = ut.shape
    for s in range(segment, counts.shape[0]):
        if counts[s] < 0:
            counts[s] = rng.poisson(means[s])
        stop = end + counts[s]
        if stop > capacity:
            return s, end
        for i in range(end, stop):
            for k in range(capabilities):
                ut[k, i] = rng.random(dtype=np.float32)
        # the arithmetic of ``_arrivals_loop``
        for i in range(end, stop):
            budget[i] = max(0.05, budget_ratio[s] * (1.0 + BUDGET_SD * rng.standard_normal()))
        for i in range(end, stop):
            seats_wanted[i] = max(1.0, np.rint(rng.standard_gamma(seats_shape) * seats_scale[s]))
        for i in range(end, stop):
            honest = honesty[s] + HONESTY_SD * rng.standard_normal()
            honesty_of[i] = min(max(honest, 0.0), 1.0)
        for i in range(end, stop):
            asks_custom[i] = rng.random() < asks_share[s]
            seg[i] = s
            state[i] = _UNAWARE
        end = stop
    return counts.shape[0], end


def _needs_drift_loop(
    state_address, next_uint64, next_uint32, next_double, logit, target, chance, base, spread,
    sd, reversion,
):  # fmt: skip
    """``NeedSpace.drift``'s draws and arithmetic: every long-run level's uniform (C order), the
    new levels of those whose uniform falls below the jump chance (``base`` plus a normal of
    ``spread``, in C order, as a boolean mask assigns them), then value by value in numpy's order
    its noise (a normal of ``sd``, drawn after every new level), the difference to its long-run
    level times the reversion plus the noise, added to the level, and the levels' ``expit`` (new
    array)."""
    rng = _generator_at(state_address, next_uint64, next_uint32, next_double)
    rows, columns = logit.shape
    u = np.empty((rows, columns))
    for s in range(rows):
        for k in range(columns):
            u[s, k] = rng.random()
    for s in range(rows):
        for k in range(columns):
            if u[s, k] < chance:
                target[s, k] = base + rng.normal(0.0, spread)
    prob = np.empty((rows, columns))
    for s in range(rows):
        for k in range(columns):
            noise = rng.normal(0.0, sd)
            level = logit[s, k] + (reversion * (target[s, k] - logit[s, k]) + noise)
            logit[s, k] = level
            prob[s, k] = _expit(level)
    return prob


def _qualify_loop(picked, place, noise, z, fit, min_fit, next_contact, cooldown):
    n = picked.shape[0]
    ok_idx, ok_place = np.empty(n, picked.dtype), np.empty(n, place.dtype)
    m = 0
    for r in range(n):
        i = picked[r]
        if fit[i] + noise[place[r]] * z[r] >= min_fit:
            ok_idx[m], ok_place[m] = i, place[r]
            m += 1
        else:
            next_contact[i] = cooldown
    return ok_idx[:m].copy(), ok_place[:m].copy()


def _open_deals_loop(idx, rep_ids, gamma, month, cycle_months, seg, state, owner, decide_month):
    for r in range(idx.shape[0]):
        i = idx[r]
        months = gamma[r] * (cycle_months[seg[i]] / CYCLE_SHAPE)
        state[i] = _PIPELINE
        owner[i] = rep_ids[r]
        decide_month[i] = month + int(max(1.0, np.rint(months)))  # rint: np.round's half-even


def _keyed_word_loop(i, month, key):
    """The keyed uniform of id ``i`` in ``month`` (``keyed_uniform`` of one id; month and key
    uint64)."""
    return np.float64(_mix_one(_mix_one(np.uint64(i) ^ key) + month) >> MANTISSA_SHIFT) * TO_UNIT


_keyed_word = _keyed_word_loop  # the compiled helpers replace them when the loops compile
_sums_by_owner = _sums_by_owner_loop


def _reach_leads_loop(state, next_contact, month, seg, wanted, every, key):
    n = state.shape[0]
    out, reach = np.empty(n, np.int64), np.empty(n)
    month_key = np.uint64(month)
    m = 0
    for i in range(n):
        if state[i] == _LEAD and next_contact[i] <= month and (every or wanted[seg[i]]):
            out[m] = i
            reach[m] = _keyed_word(i, month_key, key)
            m += 1
    return out[:m].copy(), reach[:m].copy()


def _pick_leads_loop(state, next_contact, month, seg, wanted, every, key, count):
    """``pick_leads`` as one loop: the smallest ``count`` draws so far, kept sorted (insertion:
    a draw above the largest kept is passed over); a draw equal to one kept is a tie."""
    month_key = np.uint64(month)
    best, best_i = np.empty(count), np.empty(count, np.int64)
    held = leads = 0
    tie = False
    for i in range(state.shape[0]):
        if state[i] == _LEAD and next_contact[i] <= month and (every or wanted[seg[i]]):
            leads += 1
            v = _keyed_word(i, month_key, key)
            if held == count:
                if v >= best[held - 1]:
                    tie = tie or v == best[held - 1]
                    continue
                held -= 1  # the largest kept makes room
            j = held
            while j > 0 and best[j - 1] > v:
                best[j], best_i[j] = best[j - 1], best_i[j - 1]
                j -= 1
            tie = tie or (j > 0 and best[j - 1] == v)
            best[j], best_i[j] = v, i
            held += 1
    return best_i[:held].copy(), leads, tie


def _pipeline_scan_loop(state, owner):
    n = state.shape[0]
    pipeline, owners = np.empty(n, np.int64), np.empty(n, owner.dtype)
    m, top, odd = 0, -1, False
    for i in range(n):
        if state[i] == _PIPELINE:
            pipeline[m] = i
            owners[m] = owner[i]
            top = max(top, owner[i])
            odd = odd or owner[i] < 0
            m += 1
    counts = np.zeros(0 if odd or m == 0 else top + 1, np.int64)
    if not odd:
        for r in range(m):
            counts[owners[r]] += 1
    return pipeline[:m].copy(), owners[:m].copy(), counts, odd


def _qualify_and_open_loop(
    picked, wants, noise, ids, perception, cycle, fit, min_fit, cooldown, month, cycle_months,
    seg, state, owner, next_contact, decide_month,
):  # fmt: skip
    month_key = np.uint64(month)
    place, left = 0, wants[0]
    for r in range(picked.shape[0]):
        while left == 0:  # the next rep with picks left (a rep may want none)
            place += 1
            left = wants[place]
        left -= 1
        i = picked[r]
        z = _ndtri_c(max(_keyed_word(i, month_key, perception), TO_UNIT), 0)
        if fit[i] + noise[place] * z >= min_fit:
            gamma = _gammaincinv_c(CYCLE_SHAPE, _keyed_word(i, month_key, cycle), 0)
            months = gamma * (cycle_months[seg[i]] / CYCLE_SHAPE)
            state[i] = _PIPELINE
            owner[i] = ids[place]
            decide_month[i] = month + int(max(1.0, np.rint(months)))  # rint: np.round's
        else:
            next_contact[i] = cooldown


def _pitch_loop(k, needed, eta, decay, horizon, step):
    n = k.shape[0]
    out_k, out = np.empty(n, k.dtype), np.empty((2, n))
    for r in range(n):
        if k[r] >= 0 and eta[r] <= horizon:
            out_k[r], out[0, r], out[1, r] = k[r], eta[r], step / max(needed[r], 1) * decay[r]
        else:
            out_k[r], out[0, r], out[1, r] = _NO_ONE, 0.0, 0.0
    return out_k, out


def _decide_outcomes_loop(
    idx, chance, first, second, wait_chance, promise_k, promise_eta, discount, month, list_price,
    seg, state, owner, fit, comp_fit, promise_cap, promise_due, promise_since,
):  # fmt: skip
    n = idx.shape[0]
    buyers, price = np.empty(n, idx.dtype), np.empty(n)
    won = recorded = b = 0
    for r in range(n):
        i = idx[r]
        if not first[r] < chance[r]:
            state[i] = _LOST_TO_COMPETITOR if comp_fit[i] > fit[i] else _LOST
            owner[i] = _NO_ONE
            continue
        won += 1
        promised = promise_k[r] >= 0
        waits = promised and second[r] < wait_chance[r]
        if waits:
            state[i] = _WAITING
        else:
            buyers[b] = i
            price[b] = list_price[seg[i]] * (1.0 - discount[r])
            b += 1
        if promised:
            promise_cap[i] = promise_k[r]
            promise_due[i] = month + int(np.ceil(promise_eta[r]))
            promise_since[i] = month
            recorded += 1
    return won, recorded, buyers[:b].copy(), price[:b].copy()


def _decide_deals_loop(
    idx, owner, place, skills, k, needed, eta, decay, horizon, step, budget, fit, comp_fit,
    max_discount, base, relative, absolute, per_discount, complexity, close_factor, win_key,
    wait_key, month, list_price, seg, state, promise_cap, promise_due, promise_since,
    visibility, referral_logit, referred,
):  # fmt: skip
    """``decide_deals`` as one loop: ``_pitch_loop``, ``_win_logit_loop``, the keyed draws
    and ``_decide_outcomes_loop``, buyer by buyer, with the same arithmetic."""
    n = idx.shape[0]
    top = place.shape[0] - 1
    month_key = np.uint64(month)
    buyers, price, sold = np.empty(n, idx.dtype), np.empty(n), np.empty(n)
    won = recorded = b = 0
    for r in range(n):
        i = idx[r]
        o = min(owner[i], top)
        skill = skills[place[o]]  # NO_ONE (-1) reads the last slot, as numpy's index does
        if k[r] >= 0 and eta[r] <= horizon:
            promise_k, promise_eta = k[r], eta[r]
            gain = step / max(needed[r], 1) * decay[r]
        else:
            promise_k, promise_eta, gain = _NO_ONE, 0.0, 0.0
        need = 1.0 - budget[i]
        need = min(max(need, 0.0), MAX_NEEDED_DISCOUNT)
        discount = min(need, max_discount)
        seen = _seen_fit_c(fit[i], visibility) + gain
        logit = base + skill
        logit = logit + relative * (seen - _seen_fit_c(comp_fit[i], visibility))
        logit = logit + absolute * (seen - 0.5)
        logit = logit + per_discount * discount
        logit = logit - PRICE_GAP_SLOPE * (need - discount)
        logit = logit - complexity
        if referral_logit != 0.0 and referred[i]:
            logit = logit + referral_logit
        chance = _expit(logit) * close_factor
        z = _mix_one(_mix_one(np.uint64(i) ^ win_key) + month_key) >> MANTISSA_SHIFT
        if not np.float64(z) * TO_UNIT < chance:
            state[i] = _LOST_TO_COMPETITOR if comp_fit[i] > fit[i] else _LOST
            owner[i] = _NO_ONE
            continue
        won += 1
        promised = promise_k >= 0
        waits = False
        if promised:
            z = _mix_one(_mix_one(np.uint64(i) ^ wait_key) + month_key) >> MANTISSA_SHIFT
            waits = np.float64(z) * TO_UNIT < 1.0 - decay[r]
        if waits:
            state[i] = _WAITING
        else:
            buyers[b] = i
            price[b] = list_price[seg[i]] * (1.0 - discount)
            sold[b] = seen
            b += 1
        if promised:
            promise_cap[i] = promise_k
            promise_due[i] = month + int(np.ceil(promise_eta))
            promise_since[i] = month
            recorded += 1
    return won, recorded, buyers[:b].copy(), price[:b].copy(), sold[:b].copy()


def _mrr_total_loop(state, seats, price):
    n = state.shape[0]
    mrr = np.empty(n)
    for i in range(n):
        mrr[i] = seats[i] * price[i] if state[i] == _CUSTOMER else 0.0
    return 0.0 + _pairwise_sum(mrr, n)


def _committed_fit_loop(state, needs, ours, rival, bonus, fit, rival_fit):
    one = np.float32(1.0)
    k_count = needs.shape[1]
    for i in range(state.shape[0]):
        if state[i] < _WAITING or state[i] > _CUSTOMER:
            continue
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


def _top_missing_loop(needs, rows, coverage):
    m, k_count = rows.shape[0], needs.shape[1]
    best, count = np.empty(m, np.int64), np.empty(m, np.int64)
    for r in range(m):
        i = rows[r]
        top, at, c = -1.0, 0, 0
        for k in range(k_count):  # the first largest gap, as argmax takes it
            if needs[i, k] > 0.5:
                gap = 1.0 - coverage[k]
                c += 1
            else:
                gap = -1.0
            if k == 0 or gap > top:
                top, at = gap, k
        best[r] = at if top > 0 else -1
        count[r] = c
    return best, count


_top_missing_c = _top_missing_loop  # the compiled helper replaces it (``_kernel``)


def _plan_eta_loop(
    coverage, killed_until, month, current, current_step, step, demand, ahead, effort, rate
):
    k_count = coverage.shape[0]
    full = np.empty(k_count, np.int64)
    whole = np.empty(k_count)  # value of a whole-step item (0: none worth planning)
    part = np.empty(k_count)  # value of the part-step item (0: none worth planning)
    for c in range(k_count):
        gap = 1.0 - coverage[c]
        if c == current:
            gap -= current_step
        gap = 0.0 if killed_until[c] > month else max(gap, 0.0)
        full[c] = np.int64(np.floor(gap / step + 1e-9))
        rest = gap - full[c] * step
        whole[c] = demand[c] * step if full[c] > 0 else 0.0
        part[c] = demand[c] * rest if rest > 1e-9 else 0.0
    eta = np.full(k_count, np.inf)
    for c in range(k_count):
        # the first of c's items in the plan: its place is the count of items sorted before it
        # (higher value; equal value and earlier in the list: whole steps by capability, then
        # part steps by capability)
        first = -1
        for is_part in (False, True):
            v = part[c] if is_part else whole[c]
            if not v > 0:
                continue
            place = 0
            for d in range(k_count):
                w, p = whole[d], part[d]
                if w > 0 and (w > v or (w == v and (is_part or d < c))):
                    place += full[d]
                if p > 0 and (p > v or (p == v and is_part and d < c)):
                    place += 1
            if first < 0 or place < first:
                first = place
        if first >= 0:
            eta[c] = (ahead + effort * (first + 1)) / rate
    if current >= 0:
        eta[current] = ahead / rate
    return eta


def _mix_word(z):
    """``_mix`` on one uint64 word (the compiled loop's helper)."""
    z = z + GOLDEN
    z = z ^ (z >> MIX_SHIFTS[0])
    z = z * MIX1
    z = z ^ (z >> MIX_SHIFTS[1])
    z = z * MIX2
    return z ^ (z >> MIX_SHIFTS[2])


_mix_one = _mix_word  # the compiled helper replaces it when the loops compile


def _customers_settle_loop(
    state, promise_cap, promise_since, promise_due, last_shipped, month, grace, satisfaction, fit,
    comp_fit, consume_penalty, stagnation,
):  # fmt: skip
    n = state.shape[0]
    customers = np.empty(n, np.int64)
    m = kept_count = broken_count = 0
    for i in range(n):
        if state[i] == _CUSTOMER:
            customers[m] = i
            m += 1
    customers = customers[:m].copy()
    shortfall, pull = np.empty(m), np.empty(m)
    for j in range(m):
        i = customers[j]
        k = promise_cap[i]
        if k >= 0:
            kept = last_shipped[max(k, 0)] >= promise_since[i]
            broken = month > promise_due[i] + grace and not kept
            if kept:
                kept_count += 1
            if broken:
                broken_count += 1
                satisfaction[i] -= PROMISE_DISAPPOINTMENT
            if kept or broken:
                promise_cap[i] = _NO_ONE
        target = fit[i] - consume_penalty
        satisfaction[i] += SATISFACTION_ADJUST * (target - satisfaction[i])
        shortfall[j] = max(0.0, SATISFIED - satisfaction[i])
        pull[j] = max(0.0, comp_fit[i] - fit[i]) * stagnation
    return customers, shortfall, pull, kept_count, broken_count


def _waiters_settle_loop(
    state, promise_cap, promise_since, promise_due, last_shipped, month, grace, fit, comp_fit,
    stagnation, steal, impatience, defect_key, month_key, owner,
):  # fmt: skip
    n = state.shape[0]
    buyers = np.empty(n, np.int64)
    b = walked = 0
    for i in range(n):
        if state[i] != _WAITING:
            continue
        kept = last_shipped[max(promise_cap[i], 0)] >= promise_since[i]
        broken = month > promise_due[i] + grace and not kept
        if not (kept or broken):  # a waiter who may still defect to the rival
            z = _mix_one(_mix_one(np.uint64(i) ^ defect_key) + month_key) >> MANTISSA_SHIFT
            pull = max(0.0, comp_fit[i] - fit[i]) * stagnation
            broken = np.float64(z) * TO_UNIT < min(1.0, steal * pull * impatience)
        if kept:
            buyers[b] = i
            b += 1
        if kept or broken:
            promise_cap[i] = _NO_ONE
        if broken:
            state[i] = _LOST_TO_COMPETITOR if comp_fit[i] > fit[i] else _LOST
            owner[i] = _NO_ONE
            walked += 1
    return buyers[:b].copy(), walked


def _customers_churn_and_pay_loop(
    customers, factor, pull, churn_base, seg, steal, u, state, promise_cap, seats, price,
    satisfaction, expansion, cost_per_seat,
):  # fmt: skip
    m = customers.shape[0]
    gone, staying = np.empty(m, np.int64), np.empty(m, np.int64)
    lost, paid, served = np.empty(m), np.empty(m), np.empty(m)
    g = s = 0
    for j in range(m):
        i = customers[j]
        hazard = churn_base[seg[i]] * factor[j] + steal * pull[j]
        if u[j] < min(hazard, 1.0):
            gone[g] = i
            lost[g] = seats[i] * price[i]
            g += 1
            state[i] = _CHURNED
            promise_cap[i] = _NO_ONE
        else:
            staying[s] = i
            s += 1
    for j in range(s):
        i = staying[j]
        if satisfaction[i] >= SATISFIED:
            seats[i] *= expansion
        paid[j] = seats[i] * price[i]
        served[j] = seats[i] * cost_per_seat[seg[i]]
    return (
        gone[:g].copy(),
        staying[:s].copy(),
        0.0 + _pairwise_sum(lost, g),
        0.0 + _pairwise_sum(paid, s),
        0.0 + _pairwise_sum(served, s),
    )


_churn_and_pay = _customers_churn_and_pay_loop  # the compiled helper replaces it (``_kernel``)


def _no_decision_loop(due, share, key, month, cooldown, state, owner, next_contact):
    n = due.shape[0]
    deciding = np.empty(n, due.dtype)
    m = 0
    for r in range(n):
        i = due[r]
        if _keyed_word(i, month, key) < share:
            state[i] = _LEAD
            owner[i] = _NO_ONE
            next_contact[i] = cooldown
        else:
            deciding[m] = i
            m += 1
    return deciding[:m].copy(), n - m


def _customers_churn_keyed_loop(
    customers, factor, pull, churn_base, seg, steal, key, month, state, promise_cap, seats, price,
    satisfaction, expansion, cost_per_seat,
):  # fmt: skip
    u = np.empty(customers.shape[0])
    for j in range(customers.shape[0]):
        u[j] = _keyed_word(customers[j], month, key)
    return _churn_and_pay(
        customers, factor, pull, churn_base, seg, steal, u, state, promise_cap, seats, price,
        satisfaction, expansion, cost_per_seat,
    )  # fmt: skip


def _expit_loop(x):
    """scipy's ``expit`` (``1 / (1 + exp(-x))``, the C library's ``exp``), one value."""
    return 1.0 / (1.0 + np.exp(-x))


_expit = _expit_loop  # the compiled helper replaces it when the loops compile


def _roadmap_work_loop(
    effort, item, new_step, new_effort, coverage, estimate, truth, weights, killed_until,
    kills_until, month, last_shipped, outcomes, drawn, measure, kill_value, kills,
):  # fmt: skip
    """``roadmap_work`` as one loop (compiled by numba): ``np.dot`` calls the same BLAS
    routines as numpy's ``@`` (tests/test_kernels.py), the estimate's probabilities are kept
    column by column (each column's ``expit`` is the whole matrix's, value by value)."""
    segments, caps = estimate.shape
    prob = np.empty((segments, caps))
    for s in range(segments):
        for c in range(caps):
            prob[s, c] = _expit(estimate[s, c])
    column = np.empty(segments)
    shipped = killed = 0
    while effort > 1e-9:
        if item[0] < 0:
            demand = np.dot(weights, prob)
            best, k = -np.inf, 0
            for c in range(caps):
                room = 1.0 - coverage[c]
                value = demand[c] * (min(new_step, room))
                if kills_until > month and killed_until[c] > month:
                    value = 0.0
                if value > best:
                    best, k = value, c
            item[0], item[1], item[2], item[3], item[4] = k, new_step, new_effort, demand[k], 0.0
        left = item[2] - item[4]
        used = min(effort, left)
        item[4] += used
        effort -= used
        if item[4] >= item[2] - 1e-9:
            if drawn >= outcomes.shape[0]:
                raise IndexError("roadmap_work: more items shipped than outcomes given")
            k = int(item[0])
            landed = coverage[k] + item[1] * outcomes[drawn]
            coverage[k] = min(1.0, landed)
            drawn += 1
            last_shipped[k] = month
            shipped += 1
            item[0] = -1.0
            if measure:
                for s in range(segments):
                    estimate[s, k] += SMALL_BET_LEARNING * (truth[s, k] - estimate[s, k])
                    prob[s, k] = _expit(estimate[s, k])
                    column[s] = _expit(truth[s, k])
                measured = np.dot(weights, column)
                if measured < kill_value * item[3]:
                    killed_until[k] = month + KILLED_LINE_MONTHS
                    kills_until = max(kills_until, month + KILLED_LINE_MONTHS)
                    kills[killed, 0], kills[killed, 1], kills[killed, 2] = k, measured, item[3]
                    killed += 1
    return drawn, shipped, killed, kills_until


def _keyed_normal_loop(ids, month, key, out):
    """``keyed_normal`` as one loop (compiled by numba)."""
    for i in range(ids.size):
        out[i] = _ndtri_c(max(_keyed_word(ids[i], month, key), TO_UNIT), 0)


def _request_draws_loop(ids, month, estimate, overrun, generality):
    out = np.empty((3, ids.shape[0]))
    for r in range(ids.shape[0]):
        out[0, r] = _ndtri_c(max(_keyed_word(ids[r], month, estimate), TO_UNIT), 0)
        out[1, r] = _ndtri_c(max(_keyed_word(ids[r], month, overrun), TO_UNIT), 0)
        out[2, r] = _keyed_word(ids[r], month, generality)
    return out


def _learn_needs_loop(estimate, truth, noise, rate, month, key):
    """``learn_needs`` as one loop (compiled by numba)."""
    segments, k_count = truth.shape
    for s in range(segments):
        for k in range(k_count):
            z = _ndtri_c(max(_keyed_word(s * k_count + k, month, key), TO_UNIT), 0)
            observed = truth[s, k] + noise * z
            estimate[s, k] += rate * (observed - estimate[s, k])


def _estimated_demand_loop(weights, estimate):
    segments, caps = estimate.shape
    prob = np.empty((segments, caps))
    for s in range(segments):
        for c in range(caps):
            prob[s, c] = _expit(estimate[s, c])
    return np.dot(weights, prob)


def _knowledge_error_loop(estimate, prob):
    """``knowledge_error`` as one loop: numpy sums a contiguous matrix as one flat run."""
    segments, k_count = estimate.shape
    gap = np.empty(segments * k_count)
    for s in range(segments):
        for k in range(k_count):
            gap[s * k_count + k] = abs(_expit(estimate[s, k]) - prob[s, k])
    return (0.0 + _pairwise_sum(gap, gap.size)) / gap.size


def _keyed_uniform_loop(ids, month, key, out):
    """``keyed_uniform`` as one loop (compiled by numba)."""
    for i in range(ids.size):
        z = _mix_one(np.uint64(ids[i]) ^ key) + month
        out[i] = np.float64(_mix_one(z) >> MANTISSA_SHIFT) * TO_UNIT


def _clawback_loop(gone, start_month, commission_paid, month, window):
    """``clawback`` as one loop (compiled by numba): the early leavers' commissions gathered,
    summed as numpy sums, then cleared."""
    early = np.empty(gone.size)
    m = 0
    for j in range(gone.size):
        if month - start_month[gone[j]] < window:
            early[m] = commission_paid[gone[j]]
            m += 1
    for j in range(gone.size):
        if month - start_month[gone[j]] < window:
            commission_paid[gone[j]] = 0.0
    return 0.0 + _pairwise_sum(early, m)


def _spawned_states_loop(prefix, keys, out):
    """``spawned_states`` as one loop (compiled by numba): per key, numpy's SeedSequence mixing
    ``prefix`` and the key into its pool of 4 words, then 8 output words paired little-endian."""
    pool = np.empty(SEED_POOL, np.uint64)
    entropy = np.empty(prefix.size + 1, np.uint64)
    entropy[: prefix.size] = prefix
    for j in range(keys.size):
        entropy[prefix.size] = keys[j]
        h = SEED_INIT_A
        for i in range(SEED_POOL):
            v = entropy[i] ^ h  # the entropy is at least the pool's size (a spawned child)
            h = (h * SEED_MULT_A) & SEED_MASK
            v = (v * h) & SEED_MASK
            pool[i] = v ^ (v >> SEED_SHIFT)
        for src in range(SEED_POOL):
            for dst in range(SEED_POOL):
                if src != dst:
                    v = pool[src] ^ h
                    h = (h * SEED_MULT_A) & SEED_MASK
                    v = (v * h) & SEED_MASK
                    v ^= v >> SEED_SHIFT
                    r = (SEED_MIX_L * pool[dst] - SEED_MIX_R * v) & SEED_MASK
                    pool[dst] = r ^ (r >> SEED_SHIFT)
        for src in range(SEED_POOL, entropy.size):
            for dst in range(SEED_POOL):
                v = entropy[src] ^ h
                h = (h * SEED_MULT_A) & SEED_MASK
                v = (v * h) & SEED_MASK
                v ^= v >> SEED_SHIFT
                r = (SEED_MIX_L * pool[dst] - SEED_MIX_R * v) & SEED_MASK
                pool[dst] = r ^ (r >> SEED_SHIFT)
        h = SEED_INIT_B
        for w in range(2 * out.shape[1]):
            v = pool[w % SEED_POOL] ^ h
            h = (h * SEED_MULT_B) & SEED_MASK
            v = (v * h) & SEED_MASK
            v ^= v >> SEED_SHIFT
            if w % 2 == 0:
                out[j, w // 2] = v
            else:
                out[j, w // 2] |= v << np.uint64(32)


_LOOPS: dict[str, Callable[..., Any]] = {
    "spawned_states": _spawned_states_loop,
    "clawback": _clawback_loop,
    "keyed_uniform": _keyed_uniform_loop,
    "needs_and_fit": _needs_and_fit_loop,
    "needs_and_fit_t": _needs_and_fit_t_loop,
    "reach_leads": _reach_leads_loop,
    "pipeline_scan": _pipeline_scan_loop,
    "pick_leads": _pick_leads_loop,
    "qualify_and_open": _qualify_and_open_loop,
    "start_and_book": _start_and_book_loop,
    "start_and_book_by_rep": _start_and_book_by_rep_loop,
    "keyed_normal": _keyed_normal_loop,
    "learn_needs": _learn_needs_loop,
    "customers_churn_keyed": _customers_churn_keyed_loop,
    "no_decision": _no_decision_loop,
    "pitch_inputs": _pitch_inputs_loop,
    "request_draws": _request_draws_loop,
    "knowledge_error": _knowledge_error_loop,
    "estimated_demand": _estimated_demand_loop,
    "fit_of": _fit_of_loop,
    "census": _census_loop,
    "awareness_scan": _awareness_scan_loop,
    "spread_awareness": _spread_awareness_loop,
    "love_share": _love_share_loop,
    "sales_scan": _sales_scan_loop,
    "fresh_leads": _fresh_leads_loop,
    "lead_scan": _lead_scan_loop,
    "lead_count": _lead_count_loop,
    "due_deals": _due_deals_loop,
    "win_logit": _win_logit_loop,
    "sums_by_owner": _sums_by_owner_loop,
    "arrivals": _arrivals_loop,
    "arrive": _arrive_loop,
    "needs_drift": _needs_drift_loop,
    "qualify": _qualify_loop,
    "open_deals": _open_deals_loop,
    "pitch": _pitch_loop,
    "decide_outcomes": _decide_outcomes_loop,
    "decide_deals": _decide_deals_loop,
    "mrr_total": _mrr_total_loop,
    "committed_fit": _committed_fit_loop,
    "top_missing": _top_missing_loop,
    "plan_eta": _plan_eta_loop,
    "roadmap_work": _roadmap_work_loop,
    "customers_settle": _customers_settle_loop,
    "waiters_settle": _waiters_settle_loop,
    "customers_churn_and_pay": _customers_churn_and_pay_loop,
}
