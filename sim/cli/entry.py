"""The `sim` command's entry point: the parser (one module per subcommand registers its own),
the exit codes and the error handling that turns every failure into one line on stderr.

Exit codes (every subcommand, defined in ``sim.cli.common``): 0 success, 1 an expectation failed
(`sim check`), 2 bad input (missing or invalid file, unknown key, bad --set, bad --out: one line
on stderr naming the file or option, the key and the problem - never a traceback), 3 internal
error (a bug: one line, and the traceback when SIM_DEBUG=1), 130 interrupted. ``main(argv)``
returns the code instead of exiting so tests can call it directly; the console script exits with
it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence

from sim.cli import (
    check,
    compare,
    dashboard,
    explain,
    report,
    robustness,
    run,
    schema,
    sensitivity,
    store,
    sweep,
)
from sim.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CODES_HELP,
    EXIT_EXPECTATION_FAILED,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    PROG,
    Parser,
    UsageError,
)
from sim.cli.outputs import OutputError
from sim.config import ScenarioError
from sim.config.hints import one_line

__all__ = [
    "COMMANDS",
    "EXIT_BAD_INPUT",
    "EXIT_EXPECTATION_FAILED",
    "EXIT_INTERNAL_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "INTERRUPT_GRACE_S",
    "build_parser",
    "console",
    "main",
]

DEBUG_ENV = "SIM_DEBUG"
INTERRUPT_GRACE_S = 10.0
"""Seconds an interrupted `sim` process has to tidy up (a worker pool's teardown, temporary
files) before it ends anyway with exit code 130: a teardown that hangs must not keep the
command alive. Its worker processes end with it (``executors.die_with_parent``)."""

COMMANDS = (
    run,
    compare,
    check,
    sweep,
    sensitivity,
    robustness,
    schema,
    store,
    dashboard,
    explain,
    report,
)
"""The subcommand modules, in `sim --help` order; each has ``add_parser(subparsers)``."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `sim` command with ``argv`` (default: sys.argv[1:]) and return its exit code."""
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        return int(args.handler(args))
    except UsageError as err:  # already starts with the command's name
        return _fail(str(err), EXIT_BAD_INPUT, prefix="")
    except (ScenarioError, OutputError) as err:
        return _fail(str(err), EXIT_BAD_INPUT)
    except SystemExit as exc:  # --help and --version print and exit 0
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # `sim ... | head`: the reader has gone; stop quietly
        _silence_stdout()
        return EXIT_OK
    except Exception as err:  # noqa: BLE001 - a bug, not bad input: one line, traceback on request
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        return _fail(
            f"internal error: {type(err).__name__}: {one_line(err)} "
            f"(a bug, please report; {DEBUG_ENV}=1 shows the traceback)",
            EXIT_INTERNAL_ERROR,
        )


def console() -> int:
    """The console script: ``main`` with a deadline on Ctrl-C (``INTERRUPT_GRACE_S``).

    Only the `sim` process gets the deadline; code that calls ``main`` in its own process (the
    tests, a notebook) keeps its own interrupt handling.
    """
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt_with_deadline)
    return main()


def _interrupt_with_deadline(signum: int, frame: object) -> None:
    """Raise KeyboardInterrupt as Python would, and end the process if unwinding takes longer
    than ``INTERRUPT_GRACE_S``."""
    deadline = threading.Timer(INTERRUPT_GRACE_S, os._exit, args=(EXIT_INTERRUPTED,))
    deadline.daemon = True
    deadline.start()
    raise KeyboardInterrupt


def build_parser() -> argparse.ArgumentParser:
    """The `sim` argument parser with one subcommand per module in ``COMMANDS``."""
    parser = Parser(
        prog=PROG,
        description="Company-dynamics simulator: sales-led vs product-led "
        "software companies and the death spiral.",
        epilog=EXIT_CODES_HELP,
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _fail(message: str, code: int, prefix: str = f"{PROG}: ") -> int:
    """Print ``message`` as one line on stderr and return ``code``."""
    print(prefix + one_line(message), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(console())
