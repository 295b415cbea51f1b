"""Slider-to-updated-chart time of the dashboard, measured in a real browser.

Starts `streamlit run dashboard/app.py` on a free port, opens the compare page (default: 2 x 32
seeds of 60 months, the scenario files sales_led and product_led), then drags side A's
"'Buy if you build X' deals accepted" slider to values not seen before and times, from the mouse
release:

* first redraw: the cash chart shows the new comparison (the first, small ensemble: 4 seeds a side);
* first stage, all charts: every one of the nine charts shows the new comparison (the charts at
  the top are sent first, so the cash chart can be drawn before the ones below it);
* all runs: the status line says every seed of both sides is in (the refined, final charts).

With each move it prints the browser's main-thread time for the move (Chromium's
``TaskDuration``, from the release until all runs are drawn): the browser shares the machine's
cores with the server and its workers here.

A last move back to the starting value shows the cached case. Prints a table and, with --json,
the raw figures. The machine's load average is printed too: the figures are wall-clock times.

    .venv/bin/python benchmarks/dashboard_latency.py [--seeds 32] [--months 60] [--moves 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser_driver import (
    _TRACES,
    _VISIBLE,
    ARTIFACTS,
    browser,
    chart_data,
    chart_runs,
    drag_slider,
    find_chromium,
    slider,
    slider_value,
    status,
    streamlit_server,
    wait_chart_change,
    wait_charts,
    wait_done,
)

SLIDER = "deals accepted"
_VISIBLE_CASH = _VISIBLE.format(name="cash")
CHARTS = ("survival", "cash", "runway", "arr", "customers", "fit", "custom", "reps", "pressure")
_VISIBLE_N = _VISIBLE.replace("{name}", "' + n + '")  # the chart named by the JS variable n
_MARK_OLD = f"""() => {{ for (const n of {json.dumps(list(CHARTS))}) {{
    const e = {_VISIBLE_N}; if (e) e.__simOld = true; }}
    const s = document.querySelector('[data-status]');
    return {{comparison: s ? s.dataset.comparison : '',
             traces: Object.fromEntries({json.dumps(list(CHARTS))}.map(n => {{
                 const e = {_VISIBLE_N};
                 return [n, e && e.data ? JSON.stringify({_TRACES}) : null]; }}))}}; }}"""
# Every chart drawn anew since _MARK_OLD (a new plot element), or, once the status line names the
# new comparison, left as it was because its new spec is the same (same traces, same runs per side:
# Streamlit keeps such an element instead of mounting a new one).
_ALL_CHANGED = f"""(old) => {{
    const s = document.querySelector('[data-status]');
    const fresh = !!(s && s.dataset.comparison !== old.comparison);
    return Object.keys(old.traces).every(n => {{
        const e = {_VISIBLE_N};
        if (!(e && e.data)) return false;
        if (!e.__simOld) return true;
        const runs = e.layout && e.layout.meta ? String(e.layout.meta.runs_per_side) : '';
        return fresh && runs === s.dataset.shown
               && JSON.stringify({_TRACES}) === old.traces[n]; }}); }}"""


def browser_busy_s(cdp) -> float | None:
    """The page's main-thread time so far (Chromium's TaskDuration, seconds), or None."""
    if cdp is None:
        return None
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next((m["value"] for m in metrics if m["name"] == "TaskDuration"), None)


def measure_move(page, box, fraction: float, old_comparison: str, cdp=None) -> dict:
    before = chart_data(page, "cash")
    before_all = page.evaluate(_MARK_OLD)
    busy = browser_busy_s(cdp)
    started = drag_slider(page, box, fraction)  # timed from the mouse release
    value = slider_value(box)
    wait_chart_change(page, "cash", before)
    first = time.perf_counter() - started
    shown_first = chart_runs(page, "cash") or 0
    page.wait_for_function(_ALL_CHANGED, arg=before_all, timeout=240_000, polling=20)
    first_all = time.perf_counter() - started
    done = wait_done(page, other_than=old_comparison)
    wait_charts(page, 9)
    total = time.perf_counter() - started
    busy_after = browser_busy_s(cdp)
    return {
        "value": value,
        "first_redraw_s": round(first, 3),
        "first_redraw_runs_per_side": int(shown_first),
        "first_stage_all_charts_s": round(first_all, 3),
        "all_runs_s": round(total, 3),
        "runs_per_side": int(done["shown"]),
        "comparison": done["comparison"],
        "browser_busy_s": (
            round(busy_after - busy, 3) if busy is not None and busy_after is not None else None
        ),
    }


_CHANGED = f"""(old) => {{ const e = {_VISIBLE_CASH};
                 const previous = !!(e && e.layout && e.layout.meta && e.layout.meta.previous);
                 return !!(e && e.data) && !previous && JSON.stringify({_TRACES}) !== old; }}"""


_WATCH = f"""(old) => {{
    // In the page itself: the mouse release and the first redraw on the page's own clock. The
    // loop below visits eight pages in turn (and drags every slider first), so what it sees is
    // late by up to a round of visits; these two stamps are not.
    window.__simReleased = null; window.__simRedrawn = null;
    // the event's own time stamp: when the release happened, even if the page was busy then
    // (pointerup: the slider cancels pointerdown, so no mouseup follows)
    const released = (e) => {{
        if (window.__simReleased === null) window.__simReleased = e.timeStamp; }};
    for (const kind of ['pointerup', 'mouseup'])
        document.addEventListener(kind, released, {{capture: true, once: true}});
    if (window.__simTimer) clearInterval(window.__simTimer);
    const timer = window.__simTimer = setInterval(() => {{
        if (window.__simReleased === null) return;
        if (({_CHANGED})(old)) {{ window.__simRedrawn = performance.now(); clearInterval(timer); }}
    }}, 20);
}}"""
_STAMPS = "() => [window.__simReleased, window.__simRedrawn]"


ROUND_TIMEOUT_S = 120.0
"""A session that has not redrawn within this long of its release is counted as missed (so the
benchmark ends, and says so, rather than waiting for ever)."""


def measure_sessions(url: str, b, sessions: int, rounds: int, seeds: int, months: int):
    """``sessions`` browser contexts (separate Streamlit sessions, as tables in a room) each move
    their slider at the same moment, ``rounds`` times; per session and round, the time from its
    own mouse release to its first redraw (timed in the page: ``_WATCH``; the figure this loop
    sees is kept as ``seen_first_redraw_s``) and to all its runs (as this loop sees it)."""
    firsts, finals, seen = [], [], []
    per_session: list[list[float | None]] = [[] for _ in range(sessions)]
    missed: list[tuple[int, int, str]] = []
    contexts = []
    try:
        pages = []
        for _ in range(sessions):
            contexts.append(b.new_context(viewport={"width": 1280, "height": 720}))
            page = contexts[-1].new_page()
            page.goto(f"{url}/?seeds={seeds}&months={months}")
            pages.append(page)
        states = [wait_done(page) for page in pages]
        for page in pages:
            wait_charts(page, 9)
        boxes = [slider(page, SLIDER, 0) for page in pages]
        for r in range(rounds):
            befores = [chart_data(page, "cash") for page in pages]
            for page, before in zip(pages, befores, strict=True):
                page.evaluate(_WATCH, before)
            released = []
            for i, (page, box) in enumerate(zip(pages, boxes, strict=True)):
                # a value per session and round that no session has asked for before, and not
                # the starting value (10 %: no redraw would come); 0.2-0.95 of the track
                fraction = 0.2 + 0.75 * ((r * sessions + i + 1) / (rounds * sessions + 1))
                released.append(drag_slider(page, box, fraction))
            first = [None] * sessions
            final = [None] * sessions
            deadline = time.perf_counter() + ROUND_TIMEOUT_S
            while any(f is None for f in final) and time.perf_counter() < deadline:
                for i, page in enumerate(pages):
                    now = time.perf_counter()
                    if first[i] is None and page.evaluate(_CHANGED, befores[i]):
                        first[i] = now - released[i]
                    if final[i] is None and first[i] is not None:
                        st = status(page)
                        if (
                            st.get("status") == "done"
                            and st.get("comparison") != states[i]["comparison"]
                        ):
                            final[i] = now - released[i]
                            states[i] = st
                time.sleep(0.02)
            seen += [x for x in first if x is not None]
            for i, page in enumerate(pages):
                stamp_released, stamp_redrawn = page.evaluate(_STAMPS)
                if stamp_released is not None and stamp_redrawn is not None:
                    first[i] = (stamp_redrawn - stamp_released) / 1000
            for i in range(sessions):
                if final[i] is None:  # never seen within the round's time: counted as missed
                    missed.append((r, i, "first" if first[i] is None else "all runs"))
                    states[i] = status(pages[i])
                per_session[i].append(first[i])
            firsts += [x for x in first if x is not None]
            finals += [x for x in final if x is not None]
    finally:
        for context in contexts:
            context.close()
    medians = [
        statistics.median([x for x in xs if x is not None] or [float("nan")]) for xs in per_session
    ]
    return {
        "sessions": sessions,
        "rounds": rounds,
        "first_redraw_s": [round(x, 3) for x in firsts],
        "all_runs_s": [round(x, 3) for x in finals],
        "per_session_first_redraw_s": [[x and round(x, 3) for x in xs] for xs in per_session],
        "per_session_median_first_redraw_s": [round(m, 2) for m in medians],
        "missed": missed,
        "median_first_redraw_s": round(statistics.median(firsts), 2) if firsts else None,
        "seen_first_redraw_s": [round(x, 3) for x in seen],
        "median_seen_first_redraw_s": round(statistics.median(seen), 2) if seen else None,
        "max_first_redraw_s": round(max(firsts), 2) if firsts else None,
        "median_all_runs_s": round(statistics.median(finals), 2) if finals else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=32, help="runs per side (default 32)")
    parser.add_argument("--months", type=int, default=60, help="months per run (default 60)")
    parser.add_argument(
        "--moves", type=int, default=5, help="slider moves to new values (default 5)"
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=0,
        help="also: this many browser sessions move their sliders at once (e.g. 8)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --sessions moves")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args(argv)

    chromium = find_chromium()
    if chromium is None:
        print("chromium not found: install Debian's 'chromium' package", file=sys.stderr)
        return 2
    ARTIFACTS.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    moves = []
    with streamlit_server() as url, browser(chromium) as page:
        started = time.perf_counter()
        page.goto(f"{url}/?seeds={args.seeds}&months={args.months}")
        state = wait_done(page)
        wait_charts(page, 9)
        cold = time.perf_counter() - started
        box = slider(page, SLIDER, 0)
        start_value = slider_value(box)
        # new values spread over the slider, none of them the starting one (that is the cached case)
        fractions = [
            f
            for f in (0.05 + 0.9 * (i + 1) / (args.moves + 2) for i in range(args.moves + 1))
            if abs(f - start_value / 100) > 0.04
        ][: args.moves]
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        for fraction in fractions:
            result = measure_move(page, box, fraction, state["comparison"], cdp)
            state = {"comparison": result["comparison"]}
            moves.append(result)
        cached = measure_move(page, box, start_value / 100, state["comparison"], cdp)
        # Never frozen: move again while the page is still refining, and time that redraw.
        before = chart_data(page, "cash")
        drag_slider(page, box, 0.1 if abs(start_value / 100 - 0.1) > 0.04 else 0.3)  # a new value
        wait_chart_change(page, "cash", before)
        interrupted = measure_move(page, box, 0.95, "")
        state = {"comparison": interrupted["comparison"]}
        page.screenshot(path=str(ARTIFACTS / "dashboard_latency_last.png"))
        many = (
            measure_sessions(
                url, page.context.browser, args.sessions, args.rounds, args.seeds, args.months
            )
            if args.sessions > 0
            else None
        )
    load_after = os.getloadavg()

    firsts = [m["first_redraw_s"] for m in moves]
    first_alls = [m["first_stage_all_charts_s"] for m in moves]
    totals = [m["all_runs_s"] for m in moves]
    busies = [m["browser_busy_s"] for m in moves if m["browser_busy_s"] is not None]
    report = {
        "seeds_per_side": args.seeds,
        "months": args.months,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "cold_page_load_s": round(cold, 2),
        "moves": moves,
        "cached_move": cached,
        "move_while_refining": interrupted,
        "median_first_redraw_s": round(statistics.median(firsts), 2),
        "median_first_stage_all_charts_s": round(statistics.median(first_alls), 2),
        "median_all_runs_s": round(statistics.median(totals), 2),
        "median_browser_busy_s": round(statistics.median(busies), 2) if busies else None,
        "sessions": many,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"dashboard latency: 2 x {args.seeds} seeds x {args.months} months, {os.cpu_count()} CPUs, "
        f"load average {load_before[0]:.1f} before / {load_after[0]:.1f} after"
    )
    print(f"  cold page load (server just started, workers warming up): {cold:.2f} s")
    print(
        f"  {'move to':>8} {'first redraw':>13} {'(runs/side)':>11} {'all 9 charts':>13} "
        f"{'all runs in':>12} {'browser busy':>13}"
    )
    for m in moves:
        busy = m["browser_busy_s"]
        print(
            f"  {m['value']:>8.0f} {m['first_redraw_s']:>12.2f}s "
            f"{m['first_redraw_runs_per_side']:>11} "
            f"{m['first_stage_all_charts_s']:>12.2f}s "
            f"{m['all_runs_s']:>11.2f}s "
            + (f"{busy:>12.2f}s" if busy is not None else f"{'-':>13}")
        )
    print(
        f"  {cached['value']:>8.0f} {cached['first_redraw_s']:>12.2f}s "
        f"{cached['first_redraw_runs_per_side']:>11} "
        f"{cached['first_stage_all_charts_s']:>12.2f}s "
        f"{cached['all_runs_s']:>11.2f}s   (back to a value seen before: cached)"
    )
    print(
        f"  {interrupted['value']:>8.0f} {interrupted['first_redraw_s']:>12.2f}s "
        f"{interrupted['first_redraw_runs_per_side']:>11} "
        f"{interrupted['first_stage_all_charts_s']:>12.2f}s {interrupted['all_runs_s']:>11.2f}s   "
        "(moved while the previous value was still refining)"
    )
    print(
        f"  median: first redraw {report['median_first_redraw_s']:.2f} s (all nine charts of "
        f"the first stage {report['median_first_stage_all_charts_s']:.2f} s), "
        f"all {args.seeds} runs per side {report['median_all_runs_s']:.2f} s; the browser's main "
        f"thread busy {report['median_browser_busy_s']} s a move"
    )
    if many is not None:
        print(
            f"  {many['sessions']} sessions moving at once, {many['rounds']} rounds: first redraw "
            f"median {many['median_first_redraw_s']:.2f} s "
            f"(slowest {many['max_first_redraw_s']:.2f} s), "
            f"all runs median {many['median_all_runs_s']:.2f} s"
        )
        print(
            f"    (first redraw as the polling loop saw it, which drags all {many['sessions']} "
            f"sliders first and visits the pages in turn: median "
            f"{many['median_seen_first_redraw_s']:.2f} s)"
        )
        print(
            "    each session's first-redraw median: "
            + ", ".join(f"{m:.2f}" for m in many["per_session_median_first_redraw_s"])
            + " s"
            + (f"; missed {many['missed']}" if many["missed"] else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
