"""Before/after slider moves in the real browser, paired move by move (for a shared machine).

Serves two dashboards at once, each from its own checkout (``--before DIR``, ``--after DIR``:
e.g. a ``git worktree`` of the base commit and this one), opens both in one Chromium, and moves
side A's "'Buy if you build X' deals accepted" slider on each in turn to the same new values,
the order alternating (ABBA): both sides then see the same load on the machine, within seconds,
and compute the same runs. Each move is timed as ``dashboard_latency.py`` times it (first redraw,
all nine charts of the first stage, all runs, the browser's main-thread time). Prints each pair,
the medians, and the median of the paired differences (after - before) with how often after
was faster. Each server runs with ``SIM_STORE=off`` (no run store: every move computes its runs)
and ``PYTHONPATH`` set to its own checkout.

    .venv/bin/python benchmarks/dashboard_paired.py --before /tmp/base --after . [--pairs 8]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

import dashboard_latency as latency
from browser_driver import (
    browser,
    find_chromium,
    free_port,
    slider,
    wait_charts,
    wait_done,
)

FIGURES = ("first_redraw_s", "first_stage_all_charts_s", "all_runs_s", "browser_busy_s")


def serve(root: Path) -> tuple[subprocess.Popen, str]:
    """`streamlit run ROOT/dashboard/app.py` in ROOT, on a free port: the process and its URL."""
    port = free_port()
    env = {**os.environ, "SIM_STORE": "off", "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "streamlit", "run", str(root / "dashboard" / "app.py")]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none"]
    proc = subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2),
        ):
            return proc, url
        time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError(f"the dashboard in {root} did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the base checkout")
    parser.add_argument("--after", type=Path, default=HERE.parent, help="default: this one")
    parser.add_argument("--pairs", type=int, default=8, help="moves on each side (default 8)")
    parser.add_argument("--json", type=Path, help="also write every move's figures here")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("chromium not found: install Debian's 'chromium' package", file=sys.stderr)
        return 2
    roots = {"before": args.before.resolve(), "after": args.after.resolve()}
    servers: dict[str, tuple[subprocess.Popen, str]] = {}
    moves: dict[str, list[dict]] = {name: [] for name in roots}
    try:
        for name, root in roots.items():
            servers[name] = serve(root)
        with browser(chromium) as first_page:
            pages, boxes, states, cdps = {}, {}, {}, {}
            for name in roots:
                context = first_page.context.browser.new_context(
                    viewport={"width": 1920, "height": 1080}
                )
                page = context.new_page()
                page.goto(f"{servers[name][1]}/?seeds=32&months=60")
                states[name] = wait_done(page)
                wait_charts(page, 9)
                pages[name], boxes[name] = page, slider(page, latency.SLIDER, 0)
                cdps[name] = context.new_cdp_session(page)
                cdps[name].send("Performance.enable")
            time.sleep(3)  # the workers' warm-up
            for i in range(args.pairs):
                fraction = 0.12 + 0.8 * (i + 1) / (args.pairs + 1)  # never the starting 10 %
                order = list(roots) if i % 2 == 0 else list(reversed(roots))
                for name in order:
                    move = latency.measure_move(
                        pages[name], boxes[name], fraction, states[name]["comparison"], cdps[name]
                    )
                    states[name] = {"comparison": move["comparison"]}
                    move["load"] = round(os.getloadavg()[0], 2)
                    moves[name].append(move)
                    time.sleep(0.5)
                print(
                    f"  {i}: "
                    + " | ".join(
                        f"{name} first {moves[name][-1]['first_redraw_s']:.2f} "
                        f"nine {moves[name][-1]['first_stage_all_charts_s']:.2f} "
                        f"all {moves[name][-1]['all_runs_s']:.2f} s"
                        for name in roots
                    )
                    + f" (load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
    finally:
        for proc, _ in servers.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    for figure in FIGURES:
        before = [m[figure] for m in moves["before"]]
        after = [m[figure] for m in moves["after"]]
        diffs = [a - b for a, b in zip(after, before, strict=True)]
        print(
            f"{figure:26} before {statistics.median(before):.2f} s, after "
            f"{statistics.median(after):.2f} s; paired difference median "
            f"{statistics.median(diffs):+.2f} s, after faster in "
            f"{sum(d < 0 for d in diffs)} of {len(diffs)}"
        )
    if args.json:
        args.json.write_text(json.dumps(moves, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
