"""The ``sensorlab`` command line.

Each subcommand is a thin layer over the library: parse arguments, call it, print what a
person needs, and turn a user's mistake (:class:`sensorlab.errors.InputError`) into one
clear message and exit status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import traceback
from pathlib import Path

from sensorlab import __version__
from sensorlab.errors import InputError

EXIT_USER_ERROR = 2

ANALYZE_EPILOG = """\
examples:
  sensorlab analyze recordings/step_up_asymmetric.csv --out out/demo
  sensorlab analyze walk.csv --out out/walk --activity walk

The recording is the contract CSV (t, sensor, acc_x..z in m/s^2, gyr_x..z in deg/s) with
its JSON sidecar next to it (same name, .json). The session must start with about 3 s of
quiet standing (or the sidecar's "calibration" span says where it is); sensors: pelvis,
left_thigh, right_thigh. Writes DIR/summary.json, DIR/report.html and DIR/reps.csv.
"""


def _analyze(args: argparse.Namespace) -> int:
    from sensorlab.io.recording import read_recording
    from sensorlab.io.writer import check_output_dir

    started = time.perf_counter()
    check_output_dir(Path(args.out))  # before the analysis, not after minutes of it
    recording = read_recording(Path(args.recording))
    # The analysis and report stack (about 150 MB) only once the file is known to be good.
    from sensorlab.processing.pipeline import SessionAnalyzer
    from sensorlab.summary.outputs import write_outputs
    from sensorlab.summary.text import format_text_summary

    analyzer = SessionAnalyzer(recording.meta, args.activity, source=recording.source)
    analyzer.warnings.extend(recording.warnings)
    _feed_with_progress(analyzer, recording, show=not args.quiet)
    analysis = analyzer.finish()
    for warning in analysis.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    outputs = write_outputs(analysis, Path(args.out), started_at=recording.meta.started_at)
    print(format_text_summary(outputs.summary))
    print()
    print(f"summary  {outputs.summary_path}")
    print(f"report   {outputs.report_path}")
    print(f"reps     {outputs.table_path}")
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


SIMULATE_EPILOG = """\
examples:
  sensorlab simulate --out sim/step_up.csv
  sensorlab simulate --scenario walk_asymmetric --duration 120 --seed 3 --out sim/walk.csv

Writes NEW.csv with its sidecar NEW.json (the recording contract) and NEW.truth.json, the
ground truth (reps or steps and their true metrics, true mounts and biases). The
simulator is physically exact: specific force R^T(a + g) and body-frame angular rate of
prescribed body motion, then noise, bias, quantisation, strap error, clocks and losses.
"""


def _simulated_session(args: argparse.Namespace):
    from sensorlab.simulate.scenarios import make_scenario, with_asymmetry

    loss_fraction = None
    if args.loss is not None:
        if not 0.0 <= args.loss < 50.0:
            raise InputError(f"--loss {args.loss:g}: give a percentage from 0 to below 50")
        loss_fraction = args.loss / 100.0
    if args.asymmetry is not None:
        if args.scenario:
            raise InputError("give either --scenario or --asymmetry, not both")
        name = f"{args.activity} with pelvic-drop SI {args.asymmetry:+g}%"
        session = with_asymmetry(
            args.activity,
            args.asymmetry,
            args.seed,
            duration_s=args.duration,
            rate_hz=args.rate or 100.0,
            loss_fraction=loss_fraction or 0.0,
        )
        return name, session
    name = args.scenario or f"{args.activity}_asymmetric"
    session = make_scenario(
        name, args.seed, duration_s=args.duration, rate_hz=args.rate, loss_fraction=loss_fraction
    )
    return name, session


def _check_new_recording(out: Path, option: str = "--out", also: tuple[str, ...] = ()) -> None:
    """Refuse to overwrite a recording: ``out`` must be a new ``.csv`` name, and its
    sidecar (and the files with the ``also`` suffixes) must not exist either."""
    if out.suffix.lower() != ".csv":
        raise InputError(f"{option} {out}: give a file name ending in .csv")
    for path in (out, out.with_suffix(".json"), *(out.with_suffix(x) for x in also)):
        if path.exists():
            raise InputError(
                f"{path} exists; record to a new name (sensorlab never overwrites a recording)"
            )


def _simulate(args: argparse.Namespace) -> int:
    from sensorlab.io.recording import write_recording
    from sensorlab.io.writer import check_output_dir
    from sensorlab.simulate import write_truth

    out = Path(args.out) if args.out else None
    if out is None and not args.live:
        raise InputError("give --out NEW.csv for the recording (or --live to stream it)")
    if out is not None:  # like 'record': never overwrite, and know before simulating
        _check_new_recording(out, also=(".truth.json",))
        check_output_dir(out.parent, "--out")
    name, session = _simulated_session(args)
    truth = session.truth
    counts = f"{len(truth.reps)} reps" if truth.reps else f"{len(truth.steps)} steps"
    print(f"{name}, seed {args.seed}: {truth.duration_s:.0f} s, {counts}")
    if out is not None:
        write_truth(truth, out.with_suffix(".truth.json"))
    if args.live:
        from sensorlab.sources.simulated import SimulatedSource

        source = SimulatedSource.from_session(session, f"sim:{name}", speed=args.speed)
        return _run_session(source, args, record=out, report_dir=None)
    write_recording(session.recording, out)
    print(f"recording  {out} (+ {out.with_suffix('.json').name})")
    print(f"truth      {out.with_suffix('.truth.json')}")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from sensorlab.io.writer import check_output_dir
    from sensorlab.sources.replay import ReplaySource

    check_output_dir(Path(args.out))
    if args.record:
        _check_new_recording(Path(args.record), "--record")
    source = ReplaySource.from_path(Path(args.recording), speed=args.speed)
    return _run_session(
        source, args, record=Path(args.record) if args.record else None, report_dir=Path(args.out)
    )


async def _print_events(session) -> None:
    """Run a session, printing each event a person would want to see as it happens."""
    from sensorlab.events_text import EventPrinter

    printer = EventPrinter()
    async for event in session.events():
        line = printer.line(event)
        if line is not None:
            print(line, flush=True)


def _run_session(
    source, args: argparse.Namespace, record: Path | None, report_dir: Path | None
) -> int:
    """Stream a source through the live pipeline, printing events; then the summary."""
    import asyncio

    from sensorlab.session import Session
    from sensorlab.summary.outputs import write_outputs
    from sensorlab.summary.summary import build_summary
    from sensorlab.summary.text import format_text_summary

    session = Session(source, getattr(args, "activity", None), record_path=record)

    speed = "as fast as possible" if args.speed is None else f"at {args.speed:g}x"
    print(f"streaming {source.name} {speed} (Ctrl-C ends the session early)", flush=True)
    try:
        asyncio.run(_print_events(session))
        analysis = session.analysis
    except KeyboardInterrupt:
        print("\nstopped: summarising what came in", file=sys.stderr)
        analysis = session.analyzer.finish()
    for warning in analysis.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print()
    if report_dir is not None:
        outputs = write_outputs(analysis, report_dir, started_at=source.meta.started_at)
        print(format_text_summary(outputs.summary))
        print()
        print(f"summary  {outputs.summary_path}")
        print(f"report   {outputs.report_path}")
        print(f"reps     {outputs.table_path}")
    else:
        print(format_text_summary(build_summary(analysis, started_at=source.meta.started_at)))
    if record is not None:
        print(f"recorded {record}")
    return 0


def _speed(text: str) -> float | None:
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
    from sensorlab.io.writer import check_output_dir
    from sensorlab.live.app import LiveOptions, run_live

    check_output_dir(Path(args.out))  # written when the window closes: know it now
    if args.record:
        _check_new_recording(Path(args.record), "--record")
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
        )
    )


def _feed_with_progress(analyzer, recording, show: bool) -> None:
    """Feed the recording in 60 s blocks (same result as one block) behind a progress bar."""
    from tqdm import tqdm

    from sensorlab.io.blocks import iter_time_blocks

    duration_s = recording.duration_s
    with tqdm(
        total=round(duration_s),
        unit="s",
        desc="analysing",
        disable=not show or duration_s < 600 or not sys.stderr.isatty(),
        leave=False,
    ) as bar:
        for block_end_s, chunks in iter_time_blocks(recording, block_s=60.0):
            analyzer.update(chunks)
            bar.update(round(block_end_s) - bar.n)


def _add_recording_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of every command that reads a recording and writes the outputs."""
    parser.add_argument("recording", help="the session CSV (its sidecar NAME.json is read too)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the outputs")
    parser.add_argument(
        "--activity",
        choices=("step_up", "walk"),
        help="what the session is (default: the sidecar's 'activity', else detected)",
    )


# --------------------------------------------------------------------------------------
# Bluetooth: scan, record, calibrate-device
# --------------------------------------------------------------------------------------
VIRTUAL_HELP = (
    "virtual sensors in this process instead of the Bluetooth adapter: replay:PATH.csv "
    "(they feel a recording's motion) or sim[:SCENARIO] (the simulator's)"
)

VIRTUAL_MODEL_HELP = (
    "model of the virtual sensors: witmotion, metamotion, movesense, dot or diy, or one per "
    "sensor (pelvis, left thigh, right thigh) separated by commas (default diy)"
)

SCAN_EPILOG = """\
examples:
  sensorlab scan
  sensorlab scan --timeout 10
  sensorlab scan --virtual sim --virtual-model diy,witmotion,movesense

Lists the Bluetooth devices advertising nearby, the sensors sensorlab recognises first
(model from the advertised name and services), with the signal strength (RSSI in dBm:
above about -80 is comfortable) and the battery where the model reports one (read by
connecting briefly). Copy the addresses into sensorlab.toml (see docs/ble.md) or give them
to 'sensorlab record' with --pelvis, --left-thigh and --right-thigh. A sensor that is not
listed is off, out of range or connected to something else (a phone app).
"""


NO_STACK_FIX = (
    "sensorlab talks to Bluetooth through BlueZ over the D-Bus system bus. On Debian or "
    "Ubuntu: 'sudo apt install bluez dbus', then 'sudo systemctl start dbus bluetooth' (in "
    "a container without systemd: start 'dbus-daemon --system' and 'bluetoothd'); check "
    "with 'bluetoothctl show'"
)


@contextlib.contextmanager
def _bluetooth_errors(virtual: str = "--virtual sim"):
    """Bluetooth trouble that reaches the command as an InputError: no Bluetooth stack
    (no D-Bus system bus, BlueZ not running), no adapter, Bluetooth off or not allowed;
    link problems with single sensors are handled below it. ``virtual`` is the option
    that tries the command without sensors, suggested in every message."""
    from bleak.exc import BleakBluetoothNotAvailableError, BleakDBusError, BleakError

    try:
        yield
    except BleakBluetoothNotAvailableError as exc:
        raise InputError(_not_available_message(exc, virtual)) from exc
    except BleakDBusError as exc:
        if exc.dbus_error in (
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "org.freedesktop.DBus.Error.NameHasNoOwner",
        ):
            raise InputError(
                f"Bluetooth is not available: BlueZ (bluetoothd) is not running ({exc}). "
                f"{NO_STACK_FIX}. To try sensorlab without sensors, add {virtual}"
            ) from exc
        raise InputError(_bleak_failed(exc, virtual)) from exc
    except BleakError as exc:
        raise InputError(_bleak_failed(exc, virtual)) from exc
    except (FileNotFoundError, ConnectionRefusedError, PermissionError) as exc:
        if not _raised_by_bluetooth_stack(exc):
            raise
        if isinstance(exc, PermissionError):
            raise InputError(
                f"Bluetooth is not available: the D-Bus system bus refused the connection "
                f"({exc.strerror}). Allow this user to use Bluetooth (on most systems: "
                f"'sudo usermod -aG bluetooth $USER', then log in again), or add {virtual} to "
                "try without sensors"
            ) from exc
        raise InputError(
            f"Bluetooth is not available: no D-Bus system bus to reach BlueZ ({exc.strerror}: "
            "nothing listens at the system bus socket, usually /run/dbus/system_bus_socket). "
            f"{NO_STACK_FIX}. To try sensorlab without sensors, add {virtual}"
        ) from exc


def _bleak_failed(exc: Exception, virtual: str) -> str:
    return (
        f"Bluetooth failed: {exc}. Check that Bluetooth is switched on and the adapter "
        "is plugged in (on Linux: 'bluetoothctl show'); to try sensorlab without "
        f"sensors, add {virtual}"
    )


def _not_available_message(exc, virtual: str) -> str:
    """What is missing, and the fix, for bleak's BleakBluetoothNotAvailableError."""
    from bleak.exc import BleakBluetoothNotAvailableReason as Reason

    fixes = {
        Reason.NO_BLUETOOTH: (
            "no Bluetooth adapter found: plug in a Bluetooth 4.0+ (BLE) adapter or enable "
            "the built-in one ('rfkill unblock bluetooth'); 'bluetoothctl list' shows them"
        ),
        Reason.NO_BLE_CENTRAL_ROLE: (
            "the Bluetooth adapter cannot act as a BLE central (a classic-only adapter): use "
            "a Bluetooth 4.0+ (BLE) adapter"
        ),
        Reason.POWERED_OFF: (
            "Bluetooth is switched off: switch it on ('bluetoothctl power on', or the "
            "system's Bluetooth settings)"
        ),
    }
    fix = fixes.get(
        exc.reason,
        "this user may not use Bluetooth: allow it (on most Linux systems: 'sudo usermod "
        "-aG bluetooth $USER', then log in again)",
    )
    return (
        f"Bluetooth is not available ({exc.args[0]}): {fix}; to try without sensors, add {virtual}"
    )


def _raised_by_bluetooth_stack(exc: BaseException) -> bool:
    """Whether ``exc`` came from bleak or its D-Bus library (not from, e.g., a file of ours)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return any(
        part in frame.filename.replace("\\", "/")
        for frame in frames
        for part in ("/bleak/", "/dbus_fast/", "/dbus_next/")
    )


def _scan(args: argparse.Namespace) -> int:
    import asyncio

    from sensorlab.ble.collector import scan_devices

    async def scan() -> list:
        if args.virtual is None:
            return await scan_devices(args.timeout)
        from sensorlab.virtual import client_kwargs, scanner_kwargs
        from sensorlab.virtual.sensors import running_sensors

        async with running_sensors(_virtual_set(args)) as radio:
            return await scan_devices(
                args.timeout,
                scanner_kwargs=scanner_kwargs(radio),
                client_kwargs=client_kwargs(radio),
            )

    print(f"scanning for {args.timeout:g} s ...", flush=True)
    with _bluetooth_errors():
        results = asyncio.run(scan())
    if not results:
        print("no Bluetooth devices found: switch the sensors on and bring them closer")
        return 0
    print(f"{'NAME':<24}{'ADDRESS':<20}{'MODEL':<12}{'RSSI':>9}{'BATTERY':>9}")
    for found in results:
        rssi = "?" if found.rssi_dbm is None else f"{found.rssi_dbm} dBm"
        battery = "-" if found.battery_pct is None else f"{found.battery_pct}%"
        name = (found.name or "(no name)")[:23]
        print(f"{name:<24}{found.address:<20}{found.model or '-':<12}{rssi:>9}{battery:>9}")
    known = sum(found.model is not None for found in results)
    print(f"{known} sensor(s) sensorlab knows, {len(results) - known} other device(s)")
    return 0


def _virtual_set(args: argparse.Namespace):
    """Three virtual sensors for 'scan --virtual' (their motion does not matter here)."""
    from sensorlab.virtual.source import VirtualBleSource

    return VirtualBleSource(args.virtual, args.virtual_model, duration_s=10.0).sensors


RECORD_EPILOG = """\
examples:
  sensorlab record --out sessions/anna_step_up.csv
  sensorlab record --pelvis C1:5E:00:00:00:01 --left-thigh C1:5E:00:00:00:02 \\
      --right-thigh C1:5E:00:00:00:03 --rate 100 --duration 120 --out walk.csv
  sensorlab record --virtual sim --virtual-model witmotion --out try.csv
  sensorlab record --virtual replay:recordings/step_up_asymmetric.csv \\
      --virtual-model diy,witmotion,movesense --speed 4 --out copy.csv

Finds the sensors of sensorlab.toml (current folder, or --config; --pelvis, --left-thigh,
--right-thigh and --rate override it), connects to them one at a time, starts them
together and records to NEW.csv (+ NEW.json), printing a status line per sensor every few
seconds and the session's events (calibration, reps, a sensor lost and back). Stand still
for the first 3 s. A sensor that drops reconnects by itself; the gap stays in the file.
Ctrl-C or --duration stops cleanly and keeps the file; analyse it with 'sensorlab analyze'.
Per-device calibration files (calibration/<address>.json, from 'sensorlab
calibrate-device') are applied automatically. With --virtual, three virtual sensors in
this process play a recording or the simulator (--speed runs them faster than real time),
and the recording ends with it.
"""


def _collector_config(args: argparse.Namespace):
    from sensorlab.ble.config import CollectorConfig, find_and_load_config, with_overrides

    path, config = find_and_load_config(args.config)
    config = config or CollectorConfig()
    flags = {
        "pelvis": args.pelvis,
        "left_thigh": args.left_thigh,
        "right_thigh": args.right_thigh,
    }
    config = with_overrides(config, flags, rate_hz=args.rate)
    if not config.sensors:
        where = f"{path} has no [sensors.*] tables" if path else "there is no sensorlab.toml here"
        raise InputError(
            f"which sensors? {where}. Give their addresses with --pelvis, --left-thigh and "
            "--right-thigh, or write them into sensorlab.toml (see docs/ble.md); "
            "'sensorlab scan' lists the sensors in range. To try without sensors: --virtual sim"
        )
    return config


def _record_source(args: argparse.Namespace):
    if args.virtual is not None:
        from sensorlab.virtual.source import VirtualBleSource

        return VirtualBleSource(
            args.virtual,
            args.virtual_model,
            rate_hz=args.rate or 100.0,
            speed=args.speed,
            duration_s=args.duration,
        )
    from sensorlab.ble.collector import BleSource

    return BleSource(_collector_config(args), activity=args.activity)


def _record(args: argparse.Namespace) -> int:
    import asyncio

    from sensorlab.io.writer import check_output_dir

    out = Path(args.out)
    _check_new_recording(out)
    check_output_dir(out.parent)
    _check_virtual_speed(args)
    source = _record_source(args)
    with _bluetooth_errors():
        try:
            asyncio.run(_record_session(source, args, out))
        except KeyboardInterrupt:
            print("\nstopped (Ctrl-C)", file=sys.stderr)
    for line in _status_summary(source.status()):
        print(line)
    if out.exists():
        print(f"recorded {out} (+ {out.with_suffix('.json').name})")
        print(f"analyse it with: sensorlab analyze {out} --out {out.with_suffix('')}_report")
    return 0


async def _record_session(source, args: argparse.Namespace, out: Path) -> None:
    import asyncio

    from sensorlab.session import Session

    print(f"connecting to {len(source.meta.sensors)} sensor(s) ...", flush=True)
    await source.start()
    for status in source.status().values():
        print(f"  {status.line()}", flush=True)
    session = Session(source, args.activity, record_path=out)
    started = time.perf_counter()

    async def report_status() -> None:
        while True:
            await asyncio.sleep(args.status_every)
            elapsed = (time.perf_counter() - started) * args.speed
            for status in source.status().values():
                print(f"[{elapsed:7.1f} s] {status.line()}", flush=True)

    async def stop_after(seconds: float) -> None:
        await asyncio.sleep(seconds / args.speed)
        source.stop()

    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(report_status())]
    if args.duration is not None:
        tasks.append(loop.create_task(stop_after(args.duration)))
    how = f"for {args.duration:g} s" if args.duration else "until Ctrl-C"
    print(f"recording to {out} {how}; stand still for the first 3 s", flush=True)
    try:
        await _print_events(session)
    finally:
        for task in tasks:
            task.cancel()


def _status_summary(status: dict) -> list[str]:
    lines = []
    for placement, sensor in status.items():
        lines.append(f"  {sensor.line()}")
        if sensor.decode_errors:
            lines.append(
                f"  warning: {placement}: {sensor.decode_errors} notification(s) could not be "
                f"decoded and were skipped ({sensor.last_error}); if this grows, check the "
                "sensor's firmware and its model in sensorlab.toml"
            )
    return lines


CALIBRATE_DEVICE_EPILOG = """\
examples:
  sensorlab calibrate-device C1:5E:00:00:00:01
  sensorlab calibrate-device C1:5E:00:00:00:01 --model witmotion --out-dir calibration
  sensorlab calibrate-device C1:5E:00:00:00:09 --virtual poses --yes --speed 8

Guided calibration of one sensor's accelerometer and gyroscope, done once per device:
  1. put it on a table and keep it still (the gyroscope's bias),
  2. hold each axis straight up, then straight down (six positions; press the sensor
     against something level, such as the side of a box standing on a table).
Each step waits until the sensor has been still in the asked position for 1.5 s and
averages that stretch; press Enter when in position (--yes: do not wait for Enter).
Writes calibration/C1-5E-00-00-00-01.json (per-axis gyroscope bias, accelerometer offset
and scale) and reports how well each position fits: |corrected| - g should be within a
few hundredths of m/s^2 and each position within a few degrees of vertical. 'record' and
'live' apply the file automatically from then on.
--virtual poses makes a virtual sensor at ADDR that performs the positions by itself,
with a known error (gyroscope bias 0.8, -0.5, 0.3 deg/s; accelerometer offset 0.12,
-0.08, 0.2 m/s^2 and scale 1.015, 0.99, 1.02), to try the procedure.
"""


def _calibrate_device(args: argparse.Namespace) -> int:
    import asyncio

    from sensorlab.ble.calibration import save_calibration
    from sensorlab.ble.config import (
        DEFAULT_CALIBRATION_DIR,
        find_and_load_config,
        normalize_address,
    )

    address = normalize_address(args.address, "ADDR")
    _check_virtual_speed(args)
    _, config = find_and_load_config(args.config)
    if args.out_dir:
        out_dir = Path(args.out_dir)
    else:
        out_dir = config.calibration_dir if config else DEFAULT_CALIBRATION_DIR
    model = args.model
    if model is None and config is not None:
        model = next((s.model for s in config.sensors.values() if s.address == address), None)
    with _bluetooth_errors("--virtual poses"):
        calibration = asyncio.run(_calibrate(args, address, model, config))
    saved = save_calibration(calibration, out_dir)
    _print_calibration(calibration)
    print(f"saved {saved}")
    return 0


async def _calibrate(args: argparse.Namespace, address: str, model: str | None, config):
    import asyncio
    import dataclasses
    import threading

    from sensorlab.ble.collector import DEFAULT_COLLECTOR, BleSource
    from sensorlab.ble.config import SensorConfig
    from sensorlab.ble.guided import run_guided_calibration

    async def ask(prompt: str) -> None:
        loop = asyncio.get_running_loop()
        answered = loop.create_future()

        def read() -> None:  # a daemon thread: Ctrl-C does not wait for Enter
            with contextlib.suppress(EOFError):
                input(prompt)
            loop.call_soon_threadsafe(lambda: answered.done() or answered.set_result(None))

        threading.Thread(target=read, daemon=True).start()
        await answered

    sensor = [SensorConfig("device", address, model, args.rate)]
    async with contextlib.AsyncExitStack() as stack:
        if args.virtual is None:
            settings = DEFAULT_COLLECTOR
            if config is not None:
                settings = dataclasses.replace(settings, scan_timeout_s=config.scan_timeout_s)
            source = BleSource(sensor, settings=settings, calibration_dir=None)
            print(f"connecting to {address} ...", flush=True)
        else:
            source = await _virtual_calibration_source(args, address, sensor, stack)
        await source.start()
        return await run_guided_calibration(source, ask=None if args.yes else ask)


async def _virtual_calibration_source(
    args: argparse.Namespace, address: str, sensor: list, stack: contextlib.AsyncExitStack
):
    """A collector of one virtual sensor at ``address`` with a known error, which holds
    the six positions by itself (running until ``stack`` closes)."""
    from sensorlab.ble.collector import BleSource
    from sensorlab.virtual import client_kwargs, scanner_kwargs
    from sensorlab.virtual.sensors import (
        DEMO_ERROR,
        VirtualSensorSet,
        parse_models,
        pose_motion,
        running_sensors,
    )
    from sensorlab.virtual.source import VIRTUAL_SETTINGS

    virtual_model = parse_models(args.virtual_model)[0]
    sensors = VirtualSensorSet.build(
        {"device": pose_motion(args.rate or 100.0)},
        virtual_model,
        rate_hz=args.rate or 100.0,
        speed=args.speed,
        addresses=[address],
        errors={"device": DEMO_ERROR},
    )
    radio = await stack.enter_async_context(running_sensors(sensors))
    print(f"connecting to the virtual {virtual_model} sensor at {address} ...", flush=True)
    return BleSource(
        sensor,
        settings=VIRTUAL_SETTINGS,
        scanner_kwargs=scanner_kwargs(radio),
        client_kwargs=client_kwargs(radio),
        calibration_dir=None,
        clock=sensors.world.host_clock,
    )


def _print_calibration(calibration) -> None:
    import numpy as np

    def triple(values, digits: int) -> str:
        return ", ".join(f"{v:+.{digits}f}" for v in values)

    print(f"gyroscope bias        {triple(np.degrees(calibration.gyro_bias_rad_s), 3)} deg/s")
    print(f"accelerometer offset  {triple(calibration.acc_offset_m_s2, 4)} m/s^2")
    print(f"accelerometer scale   {triple(calibration.acc_scale, 5)}")
    residuals, tilts = calibration.residuals_m_s2 or {}, calibration.tilt_deg or {}
    for pose, residual in residuals.items():
        print(
            f"  {pose}: |corrected| - g {residual:+.4f} m/s^2, {tilts[pose]:.1f} deg off vertical"
        )
    if tilts and max(tilts.values()) > 5.0:
        worst = max(tilts, key=tilts.get)
        print(
            f"warning: position {worst} was {tilts[worst]:.0f} deg off vertical; for a better "
            "fit hold the sensor against a level surface and calibrate again",
            file=sys.stderr,
        )
    too_large = (np.abs(calibration.acc_scale - 1.0) > 0.1).any() or (
        np.abs(calibration.acc_offset_m_s2) > 1.0
    ).any()
    if too_large:
        print(
            "warning: the accelerometer error found is unusually large (scale off by more "
            "than 10 % or offset above 1 m/s^2); check that each position was the one asked for",
            file=sys.stderr,
        )


def _add_virtual_arguments(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    parser.add_argument(
        "--virtual",
        metavar="SPEC",
        nargs="?" if default else None,
        const=default,
        help=VIRTUAL_HELP + (f" (default SPEC: {default})" if default else ""),
    )
    parser.add_argument(
        "--virtual-model", default="diy", metavar="MODEL[,MODEL,MODEL]", help=VIRTUAL_MODEL_HELP
    )


def _add_virtual_speed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--speed", type=_speed, default=1.0, help="with --virtual: 1, 4, ... (default 1)"
    )


def _check_virtual_speed(args: argparse.Namespace) -> None:
    """--speed (of :func:`_add_virtual_speed`) runs virtual sensors faster, never real ones."""
    if args.speed is None:
        raise InputError("--speed max is for replays; virtual sensors run at 1, 4, ... x")
    if args.virtual is None and args.speed != 1.0:
        raise InputError("--speed is for --virtual sensors only (real ones run in real time)")


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

    analyze = commands.add_parser(
        "analyze",
        help="analyse a recorded session into summary.json, report.html and reps.csv",
        description="Analyse a recorded session (contract CSV + sidecar).",
        epilog=ANALYZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_recording_arguments(analyze)
    analyze.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    analyze.set_defaults(handler=_analyze)

    from sensorlab.simulate.scenarios import SCENARIOS

    simulate = commands.add_parser(
        "simulate",
        help="make a recording (and its ground truth) with the physically exact simulator",
        description="Simulate a session into a contract recording plus its ground truth.",
        epilog=SIMULATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    simulate.add_argument(
        "--activity", choices=("step_up", "walk"), default="step_up", help="default: step_up"
    )
    simulate.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        help="a named preset (default: <activity>_asymmetric)",
    )
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    simulate.add_argument("--duration", type=float, metavar="S", help="approximate length, s")
    simulate.add_argument("--rate", type=float, metavar="HZ", help="sensor rate (default 100)")
    simulate.add_argument(
        "--loss",
        type=float,
        metavar="PCT",
        help="percent of each sensor's samples lost in bursts of 1-10 samples, as over "
        "Bluetooth (default 0; e.g. 2)",
    )
    simulate.add_argument(
        "--asymmetry",
        type=float,
        metavar="SI",
        help="pelvic-drop symmetry index to simulate, %% (positive: the right leg lets "
        "the pelvis drop more)",
    )
    simulate.add_argument(
        "--live", action="store_true", help="stream in real time through the live pipeline"
    )
    simulate.add_argument(
        "--speed", type=_speed, default=1.0, help="with --live: 1, 4, ... or max (default 1)"
    )
    simulate.add_argument(
        "--out",
        metavar="NEW.csv",
        help="recording to write (with --live: recorded while it streams)",
    )
    simulate.set_defaults(handler=_simulate)

    replay = commands.add_parser(
        "replay",
        help="play a recording through the live pipeline, printing events as they happen",
        description="Play a recording through the live pipeline as if the sensors were streaming.",
        epilog=REPLAY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_recording_arguments(replay)
    replay.add_argument(
        "--speed", type=_speed, default=1.0, help="1 (real time), 4, ... or max (default 1)"
    )
    replay.add_argument("--record", metavar="NEW.csv", help="record the stream to a new file")
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
        "--speed", type=_speed, default=1.0, help="replays and sim: 1, 4, ... or max (default 1)"
    )
    live.add_argument(
        "--activity", choices=("step_up", "walk"), help="default: the sidecar's, else both"
    )
    live.add_argument("--record", metavar="NEW.csv", help="record from the start to this file")
    live.add_argument(
        "--out", default="out/live", metavar="DIR", help="outputs at close (default out/live)"
    )
    live.add_argument(
        "--window", type=float, default=10.0, metavar="S", help="seconds of traces (default 10)"
    )
    live.add_argument("--duration", type=float, metavar="S", help="close by itself after S seconds")
    live.add_argument(
        "--screenshot",
        metavar="PNG",
        help="with --duration: save the window to PNG at the end (runs headless if no screen)",
    )
    live.set_defaults(handler=_live)

    scan = commands.add_parser(
        "scan",
        help="list the Bluetooth sensors in range (name, address, model, RSSI, battery)",
        description="List the Bluetooth devices advertising nearby, sensors sensorlab knows first.",
        epilog=SCAN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument(
        "--timeout", type=float, default=5.0, metavar="S", help="how long to listen (default 5)"
    )
    _add_virtual_arguments(scan, default="sim")
    scan.set_defaults(handler=_scan)

    record = commands.add_parser(
        "record",
        help="record a session from the Bluetooth sensors (or virtual ones) to a new CSV",
        description="Record pelvis and thigh sensors over Bluetooth to a contract CSV + sidecar.",
        epilog=RECORD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    record.add_argument("--config", metavar="TOML", help="sensor config (default ./sensorlab.toml)")
    for flag in ("--pelvis", "--left-thigh", "--right-thigh"):
        where = flag[2:].replace("-", " ")
        record.add_argument(flag, metavar="ADDR", help=f"address of the {where} sensor")
    record.add_argument("--rate", type=float, metavar="HZ", help="requested rate (default 100)")
    record.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    record.add_argument("--out", required=True, metavar="NEW.csv", help="recording to write")
    record.add_argument(
        "--activity", choices=("step_up", "walk"), help="what the session is (for the sidecar)"
    )
    record.add_argument(
        "--status-every", type=float, default=5.0, metavar="S", help="status lines every S s"
    )
    _add_virtual_arguments(record)
    _add_virtual_speed(record)
    record.set_defaults(handler=_record)

    calibrate_device = commands.add_parser(
        "calibrate-device",
        help="guided gyroscope-bias and six-position accelerometer calibration of one sensor",
        description="Calibrate one sensor (gyroscope bias; accelerometer offset and scale).",
        epilog=CALIBRATE_DEVICE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    calibrate_device.add_argument("address", metavar="ADDR", help="the sensor's address")
    calibrate_device.add_argument("--model", help="its model (default: recognised)")
    calibrate_device.add_argument("--rate", type=float, metavar="HZ", help="rate (default 100)")
    calibrate_device.add_argument("--config", metavar="TOML", help="default ./sensorlab.toml")
    calibrate_device.add_argument(
        "--out-dir", metavar="DIR", help="where to write (default: calibration/)"
    )
    calibrate_device.add_argument(
        "--yes", action="store_true", help="do not wait for Enter between steps"
    )
    calibrate_device.add_argument(
        "--virtual",
        choices=("poses",),
        help="a virtual sensor at ADDR that performs the six positions itself",
    )
    calibrate_device.add_argument(
        "--virtual-model", default="diy", metavar="MODEL", help="with --virtual (default diy)"
    )
    _add_virtual_speed(calibrate_device)
    calibrate_device.set_defaults(handler=_calibrate_device)
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


if __name__ == "__main__":
    sys.exit(main())
