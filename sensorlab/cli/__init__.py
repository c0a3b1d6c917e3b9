"""The ``sensorlab`` command line: one module per command family.

Each subcommand is a thin layer over the library: parse arguments, call it, print what a
person needs, and turn a user's mistake (:class:`sensorlab.errors.InputError`) into one
clear message and exit status 2, without a traceback.

- :mod:`~sensorlab.cli.analysis`: ``analyze``, ``simulate``
- :mod:`~sensorlab.cli.vendor_import`: ``import`` (vendor exports to a contract CSV)
- :mod:`~sensorlab.cli.streaming`: ``replay``, ``live``
- :mod:`~sensorlab.cli.export`: ``convert`` (Parquet), ``export-bids`` (Motion-BIDS)
- :mod:`~sensorlab.cli.bluetooth`: ``scan``, ``record`` (and the ``--virtual`` options);
  :mod:`~sensorlab.cli.calibrate`: ``calibrate-device``;
  :mod:`~sensorlab.cli.bluetooth_errors`: Bluetooth trouble as one message
- :mod:`~sensorlab.cli.batch`: ``batch``; :mod:`~sensorlab.cli.catalogue`: ``history`` and
  the catalogue options of the commands that write outputs
- :mod:`~sensorlab.cli.common`: argument helpers and the streaming runner they share

Each family module imports only the standard library and sensorlab's pure modules at the
top; what a command needs beyond that is imported when it runs.
"""

from __future__ import annotations

import argparse
import sys

from sensorlab import __version__
from sensorlab.cli import (
    analysis,
    batch,
    bluetooth,
    calibrate,
    catalogue,
    export,
    streaming,
    vendor_import,
)
from sensorlab.errors import InputError

EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="sensorlab",
        description=(
            "Pelvis and thigh IMUs -> repetitions and gait steps -> pelvic drop, tilt, "
            "thigh depth, tempo, stability and left-right symmetry."
        ),
    )
    parser.add_argument("--version", action="version", version=f"sensorlab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for family in (
        analysis,
        vendor_import,
        streaming,
        export,
        bluetooth,
        calibrate,
        batch,
        catalogue,
    ):
        family.add_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sensorlab`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        print(f"sensorlab {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
