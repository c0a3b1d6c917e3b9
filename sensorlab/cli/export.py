"""``sensorlab convert`` and ``sensorlab export-bids``: recordings out, to the formats labs use."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sensorlab.errors import InputError

CONVERT_EPILOG = """\
examples:
  sensorlab convert recordings/walk_asymmetric.csv --to parquet
  sensorlab convert session.csv --to parquet --out archive/session.parquet

Writes the recording's rows (those the reader keeps) with the CSV's column names and
values to NEW.parquet (default: beside the CSV), the sidecar embedded in the file's
metadata. 'sensorlab analyze NEW.parquet' gives the same summary as the CSV. Needs the
parquet extra: pip install 'sensorlab[parquet]'. See docs/export.md.
"""


def _convert(args: argparse.Namespace) -> int:
    from sensorlab.extras import require_extra

    require_extra("parquet", "writing Parquet")
    from sensorlab.io.parquet import convert_csv_to_parquet

    source = Path(args.recording)
    out = Path(args.out) if args.out else source.with_suffix(".parquet")
    if out.suffix.lower() != ".parquet":
        raise InputError(f"--out {out}: give a file name ending in .parquet")
    if out.exists():
        raise InputError(f"{out} exists; remove it or give another name with --out")
    for warning in convert_csv_to_parquet(source, out):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"parquet  {out}")
    return 0


EXPORT_BIDS_EPILOG = """\
examples:
  sensorlab export-bids recordings/step_up_asymmetric.csv --out bids --subject 01
  sensorlab export-bids walk.csv --out bids --subject p07 --session 2 --task walk

Analyses the session (for its reps and steps) and writes it into the Motion-BIDS dataset
at BIDS_ROOT: sub-ID/[ses-S/]motion/..._tracksys-imu_motion.tsv (each sensor's samples
as recorded, not resampled), _channels.tsv, _channels.json, _motion.json, _events.tsv
(reps and steps with their side), the scans table, and dataset_description.json,
participants.tsv and README at the root (created, or extended for a new subject). Sensors
with different rates go to one tracking system each (tracksys-imu100, tracksys-imu60).
See docs/export.md.
"""


def _export_bids(args: argparse.Namespace) -> int:
    from sensorlab.io.bids import BidsTarget, export_bids
    from sensorlab.io.recording import read_recording
    from sensorlab.processing.pipeline import analyze

    target = BidsTarget(args.subject, args.session, args.task)  # checks the labels first
    recording = read_recording(Path(args.recording))
    analysis = analyze(recording, args.activity)
    for warning in analysis.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for path in export_bids(recording, analysis, Path(args.out), target):
        print(f"wrote    {path}")
    return 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``convert`` and ``export-bids`` to the subcommands."""
    convert = commands.add_parser(
        "convert",
        help="convert a recording CSV to Parquet (same columns and values, sidecar embedded)",
        description="Convert a recording (contract CSV + sidecar) to Parquet.",
        epilog=CONVERT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    convert.add_argument("recording", help="the session CSV (its sidecar NAME.json is read too)")
    convert.add_argument("--to", required=True, choices=("parquet",), help="the format")
    convert.add_argument("--out", metavar="NEW.parquet", help="default: beside the CSV")
    convert.set_defaults(handler=_convert)

    export_bids = commands.add_parser(
        "export-bids",
        help="write a session into a Motion-BIDS dataset (motion, channels, events)",
        description="Export a recorded session to Motion-BIDS.",
        epilog=EXPORT_BIDS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export_bids.add_argument("recording", help="the session CSV or Parquet file")
    export_bids.add_argument("--out", required=True, metavar="BIDS_ROOT", help="dataset folder")
    export_bids.add_argument("--subject", required=True, metavar="ID", help="letters and digits")
    export_bids.add_argument("--session", metavar="S", help="session label (letters, digits)")
    export_bids.add_argument(
        "--task", metavar="T", help="task label (default: the activity, e.g. stepup, walk)"
    )
    export_bids.add_argument(
        "--activity",
        choices=("step_up", "walk"),
        help="what the session is (default: the sidecar's 'activity', else detected)",
    )
    export_bids.set_defaults(handler=_export_bids)
