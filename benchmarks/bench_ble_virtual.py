"""The virtual BLE sensors' cost and latency (issue 5 infrastructure).

Three virtual peripherals (bumble, in process) notify 20-byte payloads at 200 Hz for 20 s
through the bleak backend of ``sensorlab.virtual`` into one list per sensor, as the
collector's callback will (stamp and keep). Prints:

- CPU: process CPU time over the streaming window, as % of one core (the whole process:
  producers, both bumble stacks, the emulated link and the bleak callbacks);
- latency from the peripheral's ``notify()`` call to the central's bleak callback, p50 and
  p99 (the payload carries a ``time.perf_counter()`` stamp; same process, same clock);
- notifications sent, received and lost per sensor;
- how long connecting to an absent sensor takes to fail, against the 0.5 s timeout
  asked for (by address: not found; by a device seen earlier: timeout).

``--interval-ms`` turns on connection-event batching (and ``--cap`` a per-event cap), whose
latency is then dominated by the wait for the next event.

Run: ``.venv/bin/python benchmarks/bench_ble_virtual.py [--seconds 20] [--rate-hz 200]
[--interval-ms 15] [--cap 4] [--loss 0.01]``
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import struct
import time

import numpy as np
from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic

from sensorlab.virtual import (
    PeripheralSpec,
    RadioConditions,
    VirtualPeripheral,
    VirtualRadio,
    client_kwargs,
    scanner_kwargs,
)

SERVICE, NOTIFY = "ffe5", "ffe4"
PAYLOAD = struct.Struct("<Id")  # sequence number, perf_counter at notify(); padded
PAYLOAD_SIZE = 20
N_SENSORS = 3


async def produce(
    peripheral: VirtualPeripheral, rate_hz: float, n_samples: int, sent: list[int]
) -> None:
    loop = asyncio.get_running_loop()
    start_s = loop.time()
    for seq in range(n_samples):
        delay_s = start_s + seq / rate_hz - loop.time()
        await asyncio.sleep(max(delay_s, 0.0))
        payload = PAYLOAD.pack(seq, time.perf_counter()).ljust(PAYLOAD_SIZE, b"\0")
        if await peripheral.notify(NOTIFY, payload):
            sent[0] += 1


async def run(args: argparse.Namespace) -> None:
    conditions = RadioConditions(
        connection_interval_s=None if args.interval_ms is None else args.interval_ms / 1000.0,
        max_notifications_per_event=args.cap,
        loss_probability=args.loss,
    )
    n_samples = round(args.rate_hz * args.seconds)
    async with VirtualRadio() as radio:
        setup_wall0 = time.perf_counter()
        sensors = []
        for i in range(N_SENSORS):
            spec = PeripheralSpec(
                name=f"IMU-{i}",
                address=f"C1:00:00:00:00:0{i + 1}",
                gatt={SERVICE: [{"uuid": NOTIFY, "properties": ["notify"]}]},
                service_uuids=(SERVICE,),
            )
            # One seed per sensor, or they would all lose the same samples.
            sensor_conditions = dataclasses.replace(conditions, seed=i + 1)
            sensors.append(await radio.add_peripheral(spec, conditions=sensor_conditions))
        found = await BleakScanner.discover(0.3, return_adv=True, **scanner_kwargs(radio))
        received: list[list[tuple[float, bytes]]] = [[] for _ in sensors]
        clients = []
        for sensor, rows in zip(sensors, received, strict=True):
            client = BleakClient(found[sensor.address][0], **client_kwargs(radio))
            await client.connect()

            def on_notify(
                _char: BleakGATTCharacteristic, data: bytearray, rows: list = rows
            ) -> None:
                rows.append((time.perf_counter(), bytes(data)))

            await client.start_notify(NOTIFY, on_notify)
            clients.append(client)
        setup_s = time.perf_counter() - setup_wall0

        sent = [[0] for _ in sensors]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(
            *(produce(s, args.rate_hz, n_samples, n) for s, n in zip(sensors, sent, strict=True))
        )
        # Let queued notifications (batching) arrive before the clock stops.
        deadline_s = time.perf_counter() + 5.0
        while time.perf_counter() < deadline_s and any(
            len(rows) < n[0] - radio.stats(s.address).notifications_lost
            for rows, n, s in zip(received, sent, sensors, strict=True)
        ):
            await asyncio.sleep(0.01)
        cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
        for client in clients:
            await client.disconnect()

    latency_ms = np.array(
        [(t_rx - PAYLOAD.unpack_from(p)[1]) * 1e3 for rows in received for t_rx, p in rows]
    )
    realism = (
        "ideal link"
        if args.interval_ms is None
        else f"connection interval {args.interval_ms} ms, cap {args.cap}"
    )
    print(
        f"{N_SENSORS} virtual sensors x {args.rate_hz:g} Hz x {PAYLOAD_SIZE} B for "
        f"{args.seconds:g} s ({realism}, loss {args.loss:g}); setup (scan + 3 connects) "
        f"{setup_s:.2f} s"
    )
    print(f"  CPU            {100.0 * cpu_s / wall_s:.1f} % of one core over {wall_s:.1f} s")
    p50, p99 = np.percentile(latency_ms, [50, 99])
    print(
        f"  latency        p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {latency_ms.max():.3f} ms"
        "  (notify() -> bleak callback)"
    )
    for i, (rows, n, sensor) in enumerate(zip(received, sent, sensors, strict=True)):
        seqs = [PAYLOAD.unpack_from(p)[0] for _, p in rows]
        in_order = all(a < b for a, b in itertools.pairwise(seqs))
        print(
            f"  IMU-{i}          sent {n[0]}  received {len(rows)}  "
            f"lost {n[0] - len(rows)}  in order {in_order}  ({sensor.address})"
        )


async def absent_sensor_timeouts(timeout_s: float = 0.5) -> None:
    """Time to fail connecting to a sensor that is switched off, against ``timeout_s``."""
    spec = PeripheralSpec(
        name="IMU-absent",
        address="C1:00:00:00:00:09",
        gatt={SERVICE: [{"uuid": NOTIFY, "properties": ["notify"]}]},
        service_uuids=(SERVICE,),
    )
    async with VirtualRadio() as radio:
        await radio.add_peripheral(spec, present=True)
        device = await BleakScanner.find_device_by_address(
            spec.address, timeout=1.0, **scanner_kwargs(radio)
        )
        await radio.set_present(spec.address, False)
        for how, target in (("by address", spec.address), ("by a device seen earlier", device)):
            client = BleakClient(target, timeout=timeout_s, **client_kwargs(radio))
            start_s = time.perf_counter()
            try:
                await client.connect()
                outcome = "connected (unexpected)"
            except Exception as error:
                outcome = type(error).__name__
            elapsed_s = time.perf_counter() - start_s
            print(
                f"  absent sensor, {how}: {outcome} after {elapsed_s:.2f} s "
                f"({elapsed_s / timeout_s:.2f} x the {timeout_s:g} s timeout)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate-hz", type=float, default=200.0)
    parser.add_argument("--interval-ms", type=float, default=None, help="connection events")
    parser.add_argument("--cap", type=int, default=None, help="notifications per event")
    parser.add_argument("--loss", type=float, default=0.0, help="loss probability")
    asyncio.run(run(parser.parse_args()))
    asyncio.run(absent_sensor_timeouts())


if __name__ == "__main__":
    main()
