"""`sim schema`: the JSON Schema of scenario files on stdout."""

from __future__ import annotations

import argparse
import json

from sim.cli.common import EXIT_CODES_HELP, EXIT_OK, SubParsers
from sim.config import json_schema
from sim.report.text import JSON_INDENT


def add_parser(sub: SubParsers) -> None:
    """Register `sim schema`."""
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of scenario files",
        description="Print the JSON Schema of scenario files.",
        epilog=EXIT_CODES_HELP,
    )
    p.set_defaults(handler=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    """`sim schema`: the JSON Schema of scenario files on stdout."""
    print(json.dumps(json_schema(), indent=JSON_INDENT))
    return EXIT_OK
