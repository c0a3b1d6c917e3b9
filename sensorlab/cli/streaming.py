"""``sensorlab replay`` and ``sensorlab live``: a recording or source through the live pipeline."""

from __future__ import annotations

import argparse
from pathlib import Path

from sensorlab.cli.catalogue import add_catalogue_arguments, chosen_catalogue
from sensorlab.cli.common import (
    add_activity_argument,
    add_lsl_argument,
    add_recording_arguments,
    check_lsl,
    check_new_recording,
    parse_speed,
    run_session,
)
from sensorlab.extras import require_extra

REPLAY_EPILOG = """\
examples:
  sensorlab replay recordings/step_up_asymmetric.csv --out out/replay
  sensorlab replay walk.csv --speed max --record copy.csv --out out/walk

Plays a recording through the live pipeline exactly as if the sensors were streaming
(original timing, jitter and gaps), prints events as they happen ("rep 3, right lead:
thigh ROM 68 deg, pelvic drop 6.1 deg; SI so far +41%"), and at the end writes the same
summary.json, report.html and reps.csv as 'sensorlab analyze'. The first reps appear once
calibration is done (quiet standing, then enough movement to find each segment's axes).
"""


def _replay(args: argparse.Namespace) -> int:
    from sensorlab.io.writer import check_output_dir
    from sensorlab.sources.replay import ReplaySource

    check_output_dir(Path(args.out))
    if args.record:
        check_new_recording(Path(args.record), "--record")
    check_lsl(args, args.speed)
    source = ReplaySource.from_path(Path(args.recording), speed=args.speed)
    return run_session(
        source, args, record=Path(args.record) if args.record else None, report_dir=Path(args.out)
    )


LIVE_EPILOG = """\
examples:
  sensorlab live --source replay:recordings/step_up_asymmetric.csv
  sensorlab live --source sim:walk_asymmetric --record recordings/walk.csv
  sensorlab live --source replay:recordings/step_up_asymmetric.csv --speed 4 \\
      --duration 30 --screenshot live.png          (headless: no screen needed)

Sources:
{sources}

The window shows the last 10 s of pelvic obliquity and tilt and both thighs' sagittal
angles (left blue, right orange, as in the report), each rep as a shaded span, the last
rep's metrics, per-side symmetry bars (green |SI| < 10 %, amber to 15 %, red above) and
each sensor's state, rate and losses; a tab shows raw acc/gyro. Keys: R record,
M mark, C recalibrate (stand still 3 s), Space pause the view. Angles appear once
calibration is done (quiet standing, then a few reps or steps). Closing the window
writes summary.json, report.html and reps.csv to --out.
"""


def _live(args: argparse.Namespace) -> int:
    require_extra("live", "the live window")
    check_lsl(args, args.speed)
    from sensorlab.io.writer import check_output_dir
    from sensorlab.live.app import LiveOptions, run_live

    check_output_dir(Path(args.out))  # written when the window closes: know it now
    if args.record:
        check_new_recording(Path(args.record), "--record")
    return run_live(
        LiveOptions(
            source=args.source,
            speed=args.speed,
            activity=args.activity,
            record=Path(args.record) if args.record else None,
            out_dir=Path(args.out),
            duration_s=args.duration,
            screenshot=Path(args.screenshot) if args.screenshot else None,
            window_s=args.window,
            lsl_prefix=args.lsl,
            catalogue=chosen_catalogue(args, Path(args.out)),
        )
    )


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``replay`` and ``live`` to the subcommands."""
    replay = commands.add_parser(
        "replay",
        help="play a recording through the live pipeline, printing events as they happen",
        description="Play a recording through the live pipeline as if the sensors were streaming.",
        epilog=REPLAY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_recording_arguments(replay)
    replay.add_argument(
        "--speed", type=parse_speed, default=1.0, help="1 (real time), 4, ... or max (default 1)"
    )
    replay.add_argument("--record", metavar="NEW.csv", help="record the stream to a new file")
    add_lsl_argument(replay)
    replay.set_defaults(handler=_replay)

    from sensorlab.sources.base import SOURCE_HELP

    live = commands.add_parser(
        "live",
        help="the live window: traces, reps, symmetry and sensor status as the session runs",
        description="Open the live view on a source (a replay, the simulator or sensors).",
        epilog=LIVE_EPILOG.format(sources=SOURCE_HELP),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    live.add_argument(
        "--source",
        required=True,
        metavar="KIND[:ARG]",
        help="replay:SESSION.csv, sim[:SCENARIO], ... (see below)",
    )
    live.add_argument(
        "--speed",
        type=parse_speed,
        default=1.0,
        help="replays and sim: 1, 4, ... or max (default 1)",
    )
    add_activity_argument(live, "default: the sidecar's, else decided at the end")
    live.add_argument("--record", metavar="NEW.csv", help="record from the start to this file")
    live.add_argument(
        "--out", default="out/live", metavar="DIR", help="outputs at close (default out/live)"
    )
    live.add_argument(
        "--window", type=float, default=10.0, metavar="S", help="seconds of traces (default 10)"
    )
    live.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="close by itself after S seconds, without asking anything (not interactive: "
        "the outputs are named on the terminal, no dialog waits for a click)",
    )
    live.add_argument(
        "--screenshot",
        metavar="PNG",
        help="with --duration: save the window to PNG at the end (runs headless if no screen)",
    )
    add_lsl_argument(live)
    add_catalogue_arguments(live)
    live.set_defaults(handler=_live)
