"""``sensorlab calibrate-device``: the guided calibration of one Bluetooth sensor."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from sensorlab.cli.bluetooth_errors import bluetooth_errors
from sensorlab.cli.common import add_virtual_speed, check_virtual_speed, require_bluetooth_extra

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
    require_bluetooth_extra(args)
    import asyncio

    from sensorlab.ble.calibration import save_calibration
    from sensorlab.ble.config import (
        DEFAULT_CALIBRATION_DIR,
        find_and_load_config,
        normalize_address,
    )

    address = normalize_address(args.address, "ADDR")
    check_virtual_speed(args)
    _, config = find_and_load_config(args.config)
    if args.out_dir:
        out_dir = Path(args.out_dir)
    else:
        out_dir = config.calibration_dir if config else DEFAULT_CALIBRATION_DIR
    model = args.model
    if model is None and config is not None:
        model = next((s.model for s in config.sensors.values() if s.address == address), None)
    with bluetooth_errors("--virtual poses"):
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

        def answer() -> None:
            if not answered.done():
                answered.set_result(None)

        def read() -> None:  # a daemon thread: Ctrl-C does not wait for Enter
            with contextlib.suppress(EOFError):
                input(prompt)
            loop.call_soon_threadsafe(answer)

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
    """A collector of one virtual sensor at ``address`` with a known error.

    The sensor holds the six positions by itself (running until ``stack`` closes).
    """
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
        worst = max(tilts, key=tilts.__getitem__)
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


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``calibrate-device`` to the subcommands."""
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
        "--out-dir",
        metavar="DIR",
        help="where to write (default: sensorlab.toml's calibration_dir, calibration/ next "
        "to it; without a sensorlab.toml, calibration/ in the current folder)",
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
    add_virtual_speed(calibrate_device)
    calibrate_device.set_defaults(handler=_calibrate_device)
