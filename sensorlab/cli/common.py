"""What several commands share: argument helpers and the streaming runner."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sensorlab.cli.catalogue import add_catalogue_arguments, chosen_catalogue
from sensorlab.errors import InputError
from sensorlab.extras import require_extra


def parse_speed(text: str) -> float | None:
    """The ``--speed`` option: a factor of real time, or ``None`` for ``max``.

    A factor: ``1``, ``4``, ``4x``; ``max``: as fast as possible.
    """
    if text == "max":
        return None
    try:
        value = float(text.rstrip("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"speed is a number (1, 4, ...) or 'max', not {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError("speed must be positive")
    return value


def add_recording_arguments(parser: argparse.ArgumentParser, vendor: bool = False) -> None:
    """The arguments of every command that reads a recording and writes the outputs.

    ``vendor``: also vendor exports, one or more files.
    """
    if vendor:
        parser.add_argument(
            "recording",
            nargs="+",
            help="the session CSV (its sidecar NAME.json is read too), or vendor exports",
        )
    else:
        parser.add_argument(
            "recording",
            help="the session CSV (its sidecar NAME.json is read too) or its .parquet conversion",
        )
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the outputs")
    add_activity_argument(
        parser, "what the session is (default: the sidecar's 'activity', else detected)"
    )
    add_catalogue_arguments(parser)


def add_activity_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--activity``: step-ups, walks and the standing drills (docs/drills.md)."""
    from sensorlab.processing.activity import ANALYSED
    from sensorlab.processing.movements import drill_names

    parser.add_argument(
        "--activity",
        choices=(*ANALYSED, *drill_names()),
        metavar="ACTIVITY",
        help=f"{', '.join((*ANALYSED, *drill_names()))} (the drills: docs/drills.md); {help_text}",
    )


def check_new_recording(out: Path, option: str = "--out", also: tuple[str, ...] = ()) -> None:
    """Refuse to overwrite a recording.

    ``out`` must be a new ``.csv`` name, and its sidecar (and the files with the ``also`` suffixes)
    must not exist either.
    """
    if out.suffix.lower() != ".csv":
        raise InputError(f"{option} {out}: give a file name ending in .csv")
    for path in (out, out.with_suffix(".json"), *(out.with_suffix(x) for x in also)):
        if path.exists():
            raise InputError(
                f"{path} exists; record to a new name (sensorlab never overwrites a recording)"
            )


async def print_events(session) -> None:
    """Run a session, printing each event a person would want to see as it happens."""
    from sensorlab.events_text import EventPrinter

    printer = EventPrinter()
    async for event in session.events():
        line = printer.line(event)
        if line is not None:
            print(line, flush=True)


def run_session(
    source, args: argparse.Namespace, record: Path | None, report_dir: Path | None
) -> int:
    """Stream a source through the live pipeline, printing events; then the summary."""
    import asyncio

    from sensorlab.session import Session
    from sensorlab.summary.outputs import write_outputs
    from sensorlab.summary.summary import build_summary
    from sensorlab.summary.text import format_text_summary

    session = Session(source, getattr(args, "activity", None), record_path=record)
    add_lsl_sink(session, args, args.speed)

    speed = "as fast as possible" if args.speed is None else f"at {args.speed:g}x"
    print(f"streaming {source.name} {speed} (Ctrl-C ends the session early)", flush=True)
    try:
        asyncio.run(print_events(session))
        analysis = session.analysis
        assert analysis is not None  # set once the event stream has ended
    except KeyboardInterrupt:
        print("\nstopped: summarising what came in", file=sys.stderr)
        analysis = session.analyzer.finish()
    for warning in analysis.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print()
    if report_dir is not None:
        from sensorlab.catalogue.entry import session_origin

        replayed = Path(args.recording) if getattr(args, "recording", None) else None
        outputs = write_outputs(
            analysis,
            report_dir,
            meta=source.meta,
            catalogue=chosen_catalogue(args, report_dir),
            origin=session_origin(source.meta, replayed),
        )
        print(format_text_summary(outputs.summary))
        print()
        print_output_paths(outputs)
    else:
        print(format_text_summary(build_summary(analysis, started_at=source.meta.started_at)))
    if record is not None:
        print(f"recorded {record}")
    return 0


LSL_HELP = (
    "publish each sensor's raw IMU, the angles and the reps/steps as Lab Streaming Layer "
    "streams PREFIX_imu_<sensor>, PREFIX_angles, PREFIX_events (default PREFIX: sensorlab); "
    "needs pip install 'sensorlab[lsl]'; see docs/export.md"
)


def add_lsl_argument(parser: argparse.ArgumentParser) -> None:
    """``--lsl [PREFIX]`` of the commands that stream a session."""
    parser.add_argument("--lsl", nargs="?", const="sensorlab", metavar="PREFIX", help=LSL_HELP)


def check_lsl(args: argparse.Namespace, speed: float | None) -> None:
    """Check ``--lsl`` before any work: the extra is installed and the speed is real time.

    A fixed factor of real time (``--speed 4``) is fine; ``max`` is refused.
    """
    if getattr(args, "lsl", None) is None:
        return
    require_extra("lsl", "--lsl (Lab Streaming Layer)")
    from sensorlab.sinks.lsl import check_time_scale

    check_time_scale(speed)


def add_lsl_sink(session, args: argparse.Namespace, speed: float | None) -> None:
    """With ``--lsl [PREFIX]``: publish ``session`` as Lab Streaming Layer streams."""
    if getattr(args, "lsl", None) is None:
        return
    from sensorlab.sinks.lsl import LslSettings, LslSink, check_time_scale

    settings = LslSettings(prefix=args.lsl, time_scale=check_time_scale(speed))
    sink = LslSink(session.source.meta, session.analyzer.rate_hz, session.source.name, settings)
    session.sinks.append(sink)
    print(f"LSL streams: {', '.join(sink.stream_names)}", flush=True)


def print_output_paths(outputs) -> None:
    """The paths of a session's outputs (and of the catalogue it was recorded in)."""
    print(f"summary   {outputs.summary_path}")
    print(f"report    {outputs.report_path}")
    print(f"reps      {outputs.table_path}")
    if outputs.catalogue is not None:
        print(f"catalogue {outputs.catalogue}")


def add_virtual_speed(parser: argparse.ArgumentParser) -> None:
    """``--speed`` of the commands that can run ``--virtual`` sensors."""
    parser.add_argument(
        "--speed", type=parse_speed, default=1.0, help="with --virtual: 1, 4, ... (default 1)"
    )


def check_virtual_speed(args: argparse.Namespace) -> None:
    """--speed (of :func:`add_virtual_speed`) runs virtual sensors faster, never real ones."""
    if args.speed is None:
        raise InputError("--speed max is for replays; virtual sensors run at 1, 4, ... x")
    if args.virtual is None and args.speed != 1.0:
        raise InputError("--speed is for --virtual sensors only (real ones run in real time)")


def require_bluetooth_extra(args: argparse.Namespace) -> None:
    """The extra of a Bluetooth command: ``virtual`` with ``--virtual``, else ``ble``."""
    if args.virtual is None:
        require_extra("ble", "talking to Bluetooth sensors")
    else:
        require_extra("virtual", "running virtual Bluetooth sensors")
