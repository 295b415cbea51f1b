"""`sim dashboard`: `streamlit run dashboard/app.py`, headless when CI is set or no display."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.cli.common import EXIT_CODES_HELP, EXIT_OK, PROG, SubParsers, UsageError, port

REPO_ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_APP = REPO_ROOT / "dashboard" / "app.py"
DEFAULT_PORT = 8501
LOCAL_ADDRESS = "127.0.0.1"
SHARE_ADDRESS = "0.0.0.0"
MAX_UPLOAD_MB = 1
"""Streamlit's own upload limit (whole MB); the app refuses anything over the loader's 256 KB."""


def add_parser(sub: SubParsers) -> None:
    """Register `sim dashboard`."""
    app = DASHBOARD_APP.relative_to(REPO_ROOT)
    p = sub.add_parser(
        "dashboard",
        help="start the Streamlit workshop dashboard",
        description=f"Start the workshop dashboard ({app}) with Streamlit. "
        "Headless (no browser opened) when CI is set or no display is available.",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})"
    )
    p.add_argument(
        "--headless", action="store_true", help="do not open a browser, whatever the display"
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--share",
        action="store_true",
        help=f"serve the room's network (every interface, {SHARE_ADDRESS}) instead of this "
        f"machine only ({LOCAL_ADDRESS}, the default)",
    )
    where.add_argument(
        "--address",
        default=None,
        metavar="ADDR",
        help=f"the address to listen on (default {LOCAL_ADDRESS}: this machine only)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="print the streamlit command instead of running it"
    )
    p.set_defaults(handler=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    """`sim dashboard`: `streamlit run dashboard/app.py`, headless when CI or no display."""
    if not DASHBOARD_APP.is_file():
        raise UsageError(
            f"{PROG} dashboard: {DASHBOARD_APP}: not found (the dashboard is not installed here)"
        )
    missing = [name for name in ("streamlit", "plotly") if importlib.util.find_spec(name) is None]
    if missing and not args.dry_run:
        raise UsageError(
            f"{PROG} dashboard: {', '.join(missing)} not installed (the 'dashboard' extra): run "
            "`make dashboard`, or `pip install -e '.[dashboard]'`"
        )
    address = SHARE_ADDRESS if args.share else (args.address or LOCAL_ADDRESS)
    command = dashboard_command(args.port, args.headless or needs_headless(), address)
    if args.dry_run:
        print(" ".join(command))
        return EXIT_OK
    if address in (LOCAL_ADDRESS, "localhost", "::1"):
        print(
            f"{PROG} dashboard: serving this machine only (http://{LOCAL_ADDRESS}:{args.port}); "
            "--share serves the room's network",
            file=sys.stderr,
        )
    else:
        print(
            f"{PROG} dashboard: serving the network on {address}:{args.port}: anyone who can "
            "reach this machine can open the dashboard",
            file=sys.stderr,
        )
    return run_forwarding_signals(command, REPO_ROOT)


def run_forwarding_signals(command: list[str], cwd: Path) -> int:
    """Run ``command`` to its end; a SIGTERM to us is passed on, so no server is left orphaned.

    Ctrl-C reaches the child through the terminal's process group; we just wait for it to stop.
    """
    child = subprocess.Popen(command, cwd=cwd)

    def forward(signum: int, frame: Any) -> None:
        child.send_signal(signum)

    previous = _install_handler(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _install_handler(signum: int, handler: Callable[[int, Any], None]) -> Any:
    """Install a signal handler where allowed (main thread only); the previous one, or None."""
    try:
        return signal.signal(signum, handler)
    except ValueError:
        return None


def dashboard_command(port: int, headless: bool, address: str = LOCAL_ADDRESS) -> list[str]:
    """The streamlit command line for the dashboard: this machine only unless ``address`` says
    otherwise, uploads capped, and no error details (tracebacks, server paths) on the page."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_APP),
        "--server.port",
        str(port),
        "--server.headless",
        "true" if headless else "false",
        "--server.address",
        address,
        "--server.maxUploadSize",
        str(MAX_UPLOAD_MB),
        "--client.showErrorDetails",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]


def needs_headless(env: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """True under CI, or on Linux/BSD with neither DISPLAY nor WAYLAND_DISPLAY."""
    env = dict(os.environ) if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("CI"):
        return True
    has_display = bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return not has_display and not platform.startswith(("darwin", "win"))
