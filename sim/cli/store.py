"""`sim store info|clear`: the on-disk run store (see ``sim.experiment.store``)."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_CODES_HELP, EXIT_OK, SubParsers, UsageError
from sim.report.text import to_json


def add_parser(sub: SubParsers) -> None:
    """Register `sim store`."""
    p = sub.add_parser(
        "store",
        help="the on-disk run store: info, clear",
        description="Every finished run is kept on disk, keyed by (scenario, seed, model "
        "version), and read back instead of recomputed. `info` tells where it is and what it "
        "holds; `clear` deletes it (--stale: only runs of other code versions). SIM_STORE_DIR "
        "moves it (default results/store), SIM_STORE=off turns it off.",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("action", choices=("info", "clear"), metavar="info|clear")
    p.add_argument(
        "--stale", action="store_true", help="with clear: only runs of other model versions"
    )
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(handler=cmd_store)


def cmd_store(args: argparse.Namespace) -> int:
    from sim.experiment.store import RunStore, default_store, model_version

    store = default_store()
    if store is None:
        raise UsageError("sim store: the run store is turned off (SIM_STORE=off)")
    assert isinstance(store, RunStore)
    if args.action == "clear":
        deleted = store.clear(stale_only=args.stale)
        what = "stale " if args.stale else ""
        print(
            to_json({"deleted_runs": deleted})
            if args.json
            else f"deleted {deleted} {what}runs from {store.path}/"
        )
        return EXIT_OK
    info = store.info()
    data = {
        "path": str(info.path),
        "model_version": model_version(),
        "runs": info.runs,
        "scenarios": info.scenarios,
        "stale_runs": info.stale_runs,
        "stale_versions": info.stale_versions,
        "bytes": info.bytes,
    }
    if args.json:
        print(to_json(data))
    else:
        print(
            f"run store {info.path}/ (model version {info.version}): {info.runs} runs of "
            f"{info.scenarios} scenarios; {info.stale_runs} stale runs of {info.stale_versions} "
            f"other code versions (never served; `sim store clear --stale` deletes them); "
            f"{info.bytes / 1e6:.1f} MB"
        )
    return EXIT_OK
