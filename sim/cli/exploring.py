"""What `sim sweep`, `sim sensitivity` and `sim robustness` share: their options (seeds, output
folder, executor), the run store, and writing a table plus a self-contained HTML chart."""

from __future__ import annotations

import argparse
import io
import math
import sys
from pathlib import Path
from typing import Any

from sim.cli.common import add_scheduler, positive_int
from sim.cli.outputs import MANIFEST_NAME, check_outputs, write_outputs

RESULTS_DIR = Path("results")


def add_explore_options(p: argparse.ArgumentParser, seeds: int, out_help: str) -> None:
    """--seeds, --set, --months, --workers, --scheduler, --out, --force, --json."""
    p.add_argument(
        "--seeds",
        type=positive_int,
        default=seeds,
        metavar="S",
        help=f"seeds per point, 0..S-1, the same at every point (default: {seeds})",
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a lever of the base scenario by dotted key, value as YAML (repeatable)",
    )
    p.add_argument(
        "--months", type=positive_int, default=None, metavar="M", help="horizon in months"
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="W",
        help="local worker processes (default: 1; same results whatever W)",
    )
    add_scheduler(p)
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help=out_help)
    p.add_argument("--force", action="store_true", help="replace files sim did not write in DIR")
    p.add_argument("--json", action="store_true", help="print the results as JSON")


def executor_and_store(args: argparse.Namespace) -> tuple[Any, Any]:
    from sim.experiment.executors import executor_for
    from sim.experiment.store import default_store

    return executor_for(args.workers, args.scheduler), default_store()


def show_progress(args: argparse.Namespace) -> bool:
    import os

    return not args.json and sys.stderr.isatty() and not os.environ.get("CI")


def table_files(stem: str, table: Any, html: bytes) -> dict[str, bytes]:
    """``<stem>.csv``, ``<stem>.parquet`` and ``<stem>.html`` as name -> bytes."""
    parquet = io.BytesIO()
    table.to_parquet(parquet, index=False)
    csv = table.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return {f"{stem}.csv": csv, f"{stem}.parquet": parquet.getvalue(), f"{stem}.html": html}


def prepare_out(args: argparse.Namespace, default: Path, names: list[str]) -> Path:
    """The output folder (``--out`` or ``default``), checked before anything runs."""
    out = args.out if args.out is not None else default
    check_outputs(out, names, force=args.force)
    return out


def write(out: Path, files: dict[str, bytes], args: argparse.Namespace) -> None:
    write_outputs(out, files, force=args.force)
    if not args.json:
        names = ", ".join(files)
        print(f"\nwrote {out}/: {names} (listed in {out / MANIFEST_NAME})")


def bar(value: float | None, width: int = 30) -> str:
    """A text bar for a share 0-1."""
    if value is None or math.isnan(value):
        return ""
    filled = round(max(0.0, min(1.0, value)) * width)
    return "#" * filled + "." * (width - filled)
