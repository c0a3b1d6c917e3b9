"""``sensorlab scan`` and ``sensorlab record``: Bluetooth sensors, real or virtual."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sensorlab.cli.bluetooth_errors import bluetooth_errors
from sensorlab.cli.common import (
    add_lsl_argument,
    add_lsl_sink,
    add_virtual_speed,
    check_lsl,
    check_new_recording,
    check_virtual_speed,
    print_events,
    require_bluetooth_extra,
)
from sensorlab.errors import InputError

VIRTUAL_HELP = (
    "virtual sensors in this process instead of the Bluetooth adapter: replay:PATH.csv "
    "(they feel a recording's motion) or sim[:SCENARIO] (the simulator's)"
)


VIRTUAL_MODEL_HELP = (
    "model of the virtual sensors: witmotion, metamotion, movesense, dot or diy, or one per "
    "sensor (pelvis, left thigh, right thigh) separated by commas (default diy)"
)


def add_virtual_arguments(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """Add ``--virtual`` (a bare one means ``default``) and ``--virtual-model`` to ``parser``."""
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


def _scan(args: argparse.Namespace) -> int:
    require_bluetooth_extra(args)
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
    with bluetooth_errors():
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
        where = (
            f"{path.name} has no [sensors.*] tables" if path else "there is no sensorlab.toml here"
        )
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
    require_bluetooth_extra(args)
    import asyncio

    from sensorlab.io.writer import check_output_dir

    out = Path(args.out)
    check_new_recording(out)
    check_output_dir(out.parent)
    check_virtual_speed(args)
    check_lsl(args, args.speed)
    source = _record_source(args)
    with bluetooth_errors():
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
    add_lsl_sink(session, args, args.speed)
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
        await print_events(session)
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


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``scan`` and ``record`` to the subcommands."""
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
    add_virtual_arguments(scan, default="sim")
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
    add_virtual_arguments(record)
    add_virtual_speed(record)
    add_lsl_argument(record)
    record.set_defaults(handler=_record)
