"""``sensorlab import``: vendor exports -> a contract CSV and its sidecar.

Also the vendor options that ``sensorlab analyze`` shares (``--map``, ``--mapping``,
``--rate``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sensorlab.cli.common import check_new_recording
from sensorlab.errors import InputError

IMPORT_EPILOG = """\
examples:
  sensorlab import Pelvis_2021.csv LFemur_2021.csv RFemur_2021.csv --out session.csv
  sensorlab import IMUData/*.txt --mapping myIMUMappings.xml --out walk.csv
  sensorlab import a.csv b.csv c.csv --map a.csv=pelvis --map b.csv=left_thigh \\
      --map c.csv=right_thigh --out session.csv

Reads Movella DOT CSV, Xsens MT Manager .txt, MbientLab MetaBase CSV, WitMotion, Movesense
Showcase CSV, APDM Opal .h5 (needs h5py), x-IMU3 Inertial.csv and gaitmap CSV (see
docs/vendors.md). Placements come from --map, --mapping, a label or device tag in the
file, or words in the file name (Pelvis, LFemur, left_thigh...). The files are aligned on
the devices' clocks; lost packets are counted from the devices' counters. A missing
gyroscope is derived from the device's orientation. Writes SESSION.csv (the recording
contract) and SESSION.json (sidecar: per sensor the source file, format and conversions).
"""


def add_vendor_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that say how to read vendor files."""
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="KEY=PLACEMENT",
        help="placement of a file or device: file name, stem or device id = pelvis, "
        "left_thigh, right_thigh (or another word); repeat for each",
    )
    parser.add_argument(
        "--mapping",
        metavar="FILE",
        help="placements from a JSON object {key: placement} or OpenSense's myIMUMappings.xml",
    )
    parser.add_argument(
        "--rate",
        type=float,
        metavar="HZ",
        help="sampling rate of files that have no time column (gaitmap CSV)",
    )


def import_settings(args: argparse.Namespace):
    """The :class:`~sensorlab.io.vendors.session.ImportSettings` of the parsed options."""
    from sensorlab.io.vendors.mapping import parse_map_options
    from sensorlab.io.vendors.session import ImportSettings

    if args.rate is not None and not args.rate > 0:
        raise InputError(f"--rate {args.rate:g}: give the sampling rate in Hz, above 0")
    return ImportSettings(
        mapping=parse_map_options(args.map),
        mapping_file=Path(args.mapping) if args.mapping else None,
        rate_hz=args.rate,
    )


def _import(args: argparse.Namespace) -> int:
    """Read the files, write the contract CSV and sidecar, print what was done."""
    from sensorlab.io.open_session import read_session_files
    from sensorlab.io.writer import check_output_dir, write_recording

    out = Path(args.out)
    check_new_recording(out)
    check_output_dir(out.parent, "--out")
    recording = read_session_files(args.files, import_settings(args))
    for warning in recording.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    write_recording(recording, out)
    for placement, chunk in recording.chunks.items():
        source = recording.meta.extra.get("import", {}).get(placement, {})
        print(
            f"{placement:12s} {len(chunk):7d} samples  {chunk.t_s[0]:8.3f} to "
            f"{chunk.t_s[-1]:8.3f} s  {source.get('file', '')} ({source.get('format', '')})"
        )
    print(f"recording  {out} (+ {out.with_suffix('.json').name})")
    return 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``import`` to the subcommands."""
    parser = commands.add_parser(
        "import",
        help="convert vendor exports (DOT, MT Manager, MetaBase, ...) to a contract CSV",
        description="Convert the vendor files of one session to a contract CSV + sidecar.",
        epilog=IMPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", help="the session's vendor files")
    parser.add_argument("--out", required=True, metavar="SESSION.csv", help="new recording")
    add_vendor_arguments(parser)
    parser.set_defaults(handler=_import)
