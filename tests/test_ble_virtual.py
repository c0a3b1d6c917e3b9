"""Virtual BLE sensors on bumble, driven through plain bleak (sensorlab.virtual).

Every test runs its own event loop (``asyncio.run``) and its own :class:`VirtualRadio`; no
Bluetooth adapter is touched. Streams run in real time (``realtime`` marker), so the tests
assert on what arrived (counts, order, content) and on the radio's own counters, and wait
for conditions rather than for fixed times; where a test is about timing (connection
events), the intervals are long against the event loop's lateness on a busy machine.
How long things take is a figure of ``benchmarks/bench_ble_virtual.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import struct
import time
from collections.abc import Callable

import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.exc import (
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
    BleakGATTProtocolErrorCode,
)

from sensorlab.virtual import (
    PeripheralSpec,
    RadioConditions,
    VirtualPeripheral,
    VirtualRadio,
    client_kwargs,
    scanner_kwargs,
)

# Sensor 0 and 2 look like WitMotion (16-bit UUIDs), sensor 1 like a Nordic UART (128-bit).
WIT_SERVICE, WIT_NOTIFY, WIT_WRITE = "ffe5", "ffe4", "ffe9"
NUS_SERVICE = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
NUS_WRITE = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"
NUS_NOTIFY = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"
ADDRESSES = ("C1:00:00:00:00:01", "C1:00:00:00:00:02", "C1:00:00:00:00:03")
NOTIFY_UUIDS = (WIT_NOTIFY, NUS_NOTIFY, WIT_NOTIFY)
WRITE_UUIDS = (WIT_WRITE, NUS_WRITE, WIT_WRITE)
RSSI_DBM = (-41, -58, -77)
MANUFACTURER_ID = 0x0059  # Nordic Semiconductor
PAYLOAD = struct.Struct("<Id")  # sequence number, perf_counter stamp; padded to 20 bytes
PAYLOAD_SIZE = 20
GUARD_S = 30.0
"""How long a wait for a condition may take before the test gives up (a hung test guard)."""

pytestmark = pytest.mark.realtime


def sensor_spec(index: int) -> PeripheralSpec:
    """Sensor ``index`` of the three used throughout."""
    if index == 1:
        gatt = {
            NUS_SERVICE: [
                {"uuid": NUS_WRITE, "properties": ["write", "write_without_response"]},
                {"uuid": NUS_NOTIFY, "properties": ["notify"]},
            ]
        }
        service_uuids: tuple[str, ...] = (NUS_SERVICE,)
    else:
        gatt = {
            WIT_SERVICE: [
                {"uuid": WIT_NOTIFY, "properties": ["notify", "read"], "value": b"\x55\x61"},
                {"uuid": WIT_WRITE, "properties": ["read", "write", "write_without_response"]},
            ]
        }
        service_uuids = (WIT_SERVICE,)
    return PeripheralSpec(
        name=f"IMU-{index}",
        address=ADDRESSES[index],
        gatt=gatt,
        service_uuids=service_uuids,
        manufacturer_data={MANUFACTURER_ID: bytes([index, 0xAB])},
    )


async def add_sensors(
    radio: VirtualRadio,
    conditions: dict[int, RadioConditions] | None = None,
    on_write: Callable[[str, bytes], None] | None = None,
    present: tuple[bool, ...] = (True, True, True),
) -> list[VirtualPeripheral]:
    """The three sensors, with RSSI_DBM unless ``conditions`` say otherwise."""
    conditions = conditions or {}
    return [
        await radio.add_peripheral(
            sensor_spec(i),
            conditions=conditions.get(i, RadioConditions(rssi_dbm=RSSI_DBM[i])),
            on_write=on_write,
            present=present[i],
        )
        for i in range(3)
    ]


class Sink:
    """Notification callback that stamps and keeps (as the collector will)."""

    def __init__(self) -> None:
        self.arrivals_s: list[float] = []
        self.payloads: list[bytes] = []

    def __call__(self, _characteristic: BleakGATTCharacteristic, data: bytearray) -> None:
        self.arrivals_s.append(time.perf_counter())
        self.payloads.append(bytes(data))

    def seqs(self) -> list[int]:
        return [PAYLOAD.unpack_from(p)[0] for p in self.payloads]


async def stream(
    peripheral: VirtualPeripheral, char_uuid: str, rate_hz: float, n_samples: int
) -> list[bytes]:
    """Notify ``n_samples`` payloads at ``rate_hz``; return those handed to the radio."""
    loop = asyncio.get_running_loop()
    start_s = loop.time()
    sent = []
    for seq in range(n_samples):
        delay_s = start_s + seq / rate_hz - loop.time()
        await asyncio.sleep(max(delay_s, 0.0))
        payload = PAYLOAD.pack(seq, time.perf_counter()).ljust(PAYLOAD_SIZE, b"\0")
        if await peripheral.notify(char_uuid, payload):
            sent.append(payload)
    return sent


async def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Poll ``predicate`` until true or ``timeout_s`` passed; return its last value."""
    loop = asyncio.get_running_loop()
    deadline_s = loop.time() + timeout_s
    while not predicate() and loop.time() < deadline_s:
        await asyncio.sleep(0.01)
    return predicate()


async def connect_all(radio: VirtualRadio, **client_options: object) -> list[BleakClient]:
    """Scan once, then connect to the three sensors one after another (as on BlueZ)."""
    found = await BleakScanner.discover(0.3, return_adv=True, **scanner_kwargs(radio))
    clients = []
    for address in ADDRESSES:
        device, _ = found[address]
        client = BleakClient(device, timeout=5.0, **client_options, **client_kwargs(radio))
        await client.connect()
        clients.append(client)
    return clients


def burst_sizes(arrivals_s: list[float], gap_s: float = 0.002) -> list[int]:
    """Sizes of the runs of arrivals closer than ``gap_s`` to the previous one."""
    sizes = [1]
    for previous, current in itertools.pairwise(arrivals_s):
        if current - previous < gap_s:
            sizes[-1] += 1
        else:
            sizes.append(1)
    return sizes


def gaps_s(arrivals_s: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(arrivals_s)]


# --------------------------------------------------------------------------------------
def test_scan_finds_three_sensors_with_name_rssi_uuids_and_manufacturer_data() -> None:
    async def main() -> None:
        async with VirtualRadio() as radio:
            await add_sensors(radio)
            found = await BleakScanner.discover(0.3, return_adv=True, **scanner_kwargs(radio))
            assert sorted(found) == list(ADDRESSES)
            for i, address in enumerate(ADDRESSES):
                device, adv = found[address]
                assert device.name == adv.local_name == f"IMU-{i}"
                assert adv.rssi == RSSI_DBM[i]
                assert adv.manufacturer_data == {MANUFACTURER_ID: bytes([i, 0xAB])}
            assert found[ADDRESSES[0]][1].service_uuids == ["0000ffe5-0000-1000-8000-00805f9b34fb"]
            assert found[ADDRESSES[1]][1].service_uuids == [NUS_SERVICE]

            # Filter on a service, the detection callback, and the find_* helpers.
            seen: list[str] = []
            scanner = BleakScanner(
                lambda d, _adv: seen.append(d.address),
                service_uuids=[NUS_SERVICE],
                **scanner_kwargs(radio),
            )
            async with scanner:
                await asyncio.sleep(0.2)
            assert seen and set(seen) == {ADDRESSES[1]}
            by_address = await BleakScanner.find_device_by_address(
                ADDRESSES[2].lower(), timeout=1.0, **scanner_kwargs(radio)
            )
            assert by_address is not None and by_address.name == "IMU-2"
            by_name = await BleakScanner.find_device_by_name("IMU-1", 1.0, **scanner_kwargs(radio))
            assert by_name is not None and by_name.address == ADDRESSES[1]

            # RSSI changes show in the next advertisements.
            radio.set_conditions(ADDRESSES[0], RadioConditions(rssi_dbm=-90))
            found = await BleakScanner.discover(0.2, return_adv=True, **scanner_kwargs(radio))
            assert found[ADDRESSES[0]][1].rssi == -90

    asyncio.run(main())


def test_connect_three_one_after_another_then_read_write_and_services() -> None:
    async def main() -> None:
        async with VirtualRadio() as radio:
            await add_sensors(radio)
            disconnected: list[str] = []
            clients = await connect_all(
                radio, disconnected_callback=lambda c: disconnected.append(c.address)
            )
            assert all(c.is_connected for c in clients)
            assert [c.name for c in clients] == ["IMU-0", "IMU-1", "IMU-2"]
            assert all(c.mtu_size == 247 for c in clients)  # min(517 asked, 247 served)

            wit, nus = clients[0], clients[1]
            char = wit.services.get_characteristic(WIT_NOTIFY)
            assert char is not None and sorted(char.properties) == ["notify", "read"]
            assert char.service_uuid == "0000ffe5-0000-1000-8000-00805f9b34fb"
            assert [d.uuid for d in char.descriptors] == ["00002902-0000-1000-8000-00805f9b34fb"]
            nus_char = nus.services.get_characteristic(NUS_WRITE)
            assert nus_char is not None
            assert sorted(nus_char.properties) == ["write", "write-without-response"]
            assert nus_char.max_write_without_response_size == 244
            assert nus.services.get_service(WIT_SERVICE) is None

            assert await wit.read_gatt_char(WIT_NOTIFY) == bytearray(b"\x55\x61")
            await wit.write_gatt_char(WIT_WRITE, b"\xff\xaa\x03\x08\x00", response=True)
            assert await wit.read_gatt_char(WIT_WRITE) == bytearray(b"\xff\xaa\x03\x08\x00")
            assert radio.peripheral(ADDRESSES[0]).value(WIT_WRITE) == b"\xff\xaa\x03\x08\x00"
            with pytest.raises(BleakGATTProtocolError) as error:
                await nus.read_gatt_char(NUS_WRITE)  # write-only
            assert error.value.code == BleakGATTProtocolErrorCode.READ_NOT_PERMITTED
            radio.peripheral(ADDRESSES[2]).set_value(WIT_NOTIFY, b"\x01\x02")
            assert await clients[2].read_gatt_char(WIT_NOTIFY) == bytearray(b"\x01\x02")

            for client in clients:
                await client.disconnect()
            assert not any(c.is_connected for c in clients)
            assert await wait_until(lambda: len(disconnected) == 3, GUARD_S)
            assert sorted(disconnected) == list(ADDRESSES)  # as BlueZ: on any disconnect
            with pytest.raises(BleakError, match="Service Discovery"):
                _ = clients[0].services  # reset on disconnection, as BlueZ

    asyncio.run(main())


def test_write_callback_receives_the_central_bytes_in_order() -> None:
    async def main() -> None:
        writes: list[tuple[str, bytes]] = []
        async with VirtualRadio() as radio:
            await add_sensors(radio, on_write=lambda uuid, data: writes.append((uuid, data)))
            clients = await connect_all(radio)
            await clients[0].write_gatt_char(WIT_WRITE, b"\xff\xaa\x69\x88\xb5", response=True)
            for k in range(5):
                await clients[1].write_gatt_char(NUS_WRITE, bytes([k]) * 3, response=False)
            await clients[1].write_gatt_char(NUS_WRITE, bytearray(b"end"), response=True)
            assert await wait_until(lambda: len(writes) == 7, GUARD_S)
            assert writes[0] == ("0000ffe9-0000-1000-8000-00805f9b34fb", b"\xff\xaa\x69\x88\xb5")
            assert writes[1:] == [(NUS_WRITE, bytes([k]) * 3) for k in range(5)] + [
                (NUS_WRITE, b"end")
            ]
            for client in clients:
                await client.disconnect()

    asyncio.run(main())


def test_three_sensors_at_200hz_for_2s_arrive_complete_and_in_order() -> None:
    async def main() -> None:
        async with VirtualRadio() as radio:
            sensors = await add_sensors(radio)
            clients = await connect_all(radio)
            sinks = [Sink() for _ in clients]
            for client, uuid, sink in zip(clients, NOTIFY_UUIDS, sinks, strict=True):
                await client.start_notify(uuid, sink)
            sent = await asyncio.gather(
                *(stream(s, u, 200.0, 400) for s, u in zip(sensors, NOTIFY_UUIDS, strict=True))
            )
            assert await wait_until(lambda: all(len(s.payloads) >= 400 for s in sinks), GUARD_S)
            await asyncio.sleep(0.05)  # nothing extra may trickle in
            for i, sink in enumerate(sinks):
                assert len(sent[i]) == 400
                assert sink.payloads == sent[i]  # count, content and order
                stats = radio.stats(ADDRESSES[i])
                assert stats.notifications_offered == stats.notifications_delivered == 400
                # No connection interval: each notification goes as it comes, unbatched.
                assert stats.connection_events == 0
            for client, uuid in zip(clients, NOTIFY_UUIDS, strict=True):
                await client.stop_notify(uuid)
            assert not any(s.is_subscribed(u) for s, u in zip(sensors, NOTIFY_UUIDS, strict=True))
            assert not await sensors[0].notify(WIT_NOTIFY, b"x")  # nobody listens now

    asyncio.run(main())


def test_connection_event_batching_keeps_order_and_delivers_in_bursts() -> None:
    """A 22.5 ms connection interval under a 200 Hz stream: everything arrives in order,
    in fewer connection events than notifications, never more than one event per
    interval (the radio's event count against the time the stream took)."""
    interval_s = 0.0225  # 18 x 1.25 ms; 4.5 samples of a 200 Hz stream per event

    async def main() -> None:
        async with VirtualRadio() as radio:
            conditions = {
                i: RadioConditions(rssi_dbm=RSSI_DBM[i], connection_interval_s=interval_s, seed=i)
                for i in range(3)
            }
            sensors = await add_sensors(radio, conditions)
            clients = await connect_all(radio)
            sinks = [Sink() for _ in clients]
            for client, uuid, sink in zip(clients, NOTIFY_UUIDS, sinks, strict=True):
                await client.start_notify(uuid, sink)
            # Setup traffic (discovery: one request and one response per event) counts too.
            events_before = [radio.stats(a).connection_events for a in ADDRESSES]
            loop = asyncio.get_running_loop()
            began_s = loop.time()
            sent = await asyncio.gather(
                *(stream(s, u, 200.0, 300) for s, u in zip(sensors, NOTIFY_UUIDS, strict=True))
            )
            done = lambda: all(len(s.payloads) >= 300 for s in sinks)  # noqa: E731
            assert await wait_until(done, GUARD_S)
            took_s = loop.time() - began_s
            for i, sink in enumerate(sinks):
                assert sink.payloads == sent[i]
                events = radio.stats(ADDRESSES[i]).connection_events - events_before[i]
                assert events < len(sent[i]) / 2, events  # batched: 4.5 a event when on time
                assert events <= took_s / interval_s + 1, (events, took_s)

    asyncio.run(main())


def test_a_late_feeder_joins_the_event_it_woke_for_and_without_a_join_waits() -> None:
    """Queued 5 ms after an event: with a join it goes at once, without one it waits for
    the next event; a join in the second half of the interval does not reopen the event.
    Judged by the event each notification went with (before or at the next one), not by
    absolute waits; the 200 ms interval leaves the event loop's lateness on a busy machine
    (milliseconds) far from the half-interval boundary of a join."""
    interval_s = 0.2

    async def main() -> dict[str, list[float]]:
        async with VirtualRadio() as radio:
            conditions = {0: RadioConditions(connection_interval_s=interval_s, seed=0)}
            peripheral = (await add_sensors(radio, conditions))[0]
            client = (await connect_all(radio))[0]
            sink = Sink()
            await client.start_notify(NOTIFY_UUIDS[0], sink)
            # After the event began, in intervals: early in its first half, or late in it.
            trials = {"joined": 0.15, "not joined": 0.15, "joined late": 0.7}
            # Arrival minus the next event's time, per trial, in intervals.
            early: dict[str, list[float]] = {name: [] for name in trials}
            for seq in range(9):
                name, after_event_s = list(trials.items())[seq % 3]
                next_s = peripheral.next_connection_event_in_s()
                await asyncio.sleep(next_s + after_event_s * interval_s)
                if name != "not joined":
                    peripheral.join_connection_event()
                sent_s = time.perf_counter()
                next_event_s = sent_s + peripheral.next_connection_event_in_s()
                assert await peripheral.notify(NOTIFY_UUIDS[0], PAYLOAD.pack(seq, sent_s))
                assert await wait_until(lambda n=seq + 1: len(sink.payloads) == n, GUARD_S)
                early[name].append((sink.arrivals_s[-1] - next_event_s) / interval_s)
            return early

    after_next = asyncio.run(main())
    # Joined: well before the next event; otherwise at it (an event is never early).
    assert statistics.median(after_next["joined"]) < -0.5, after_next
    for name in ("not joined", "joined late"):
        assert min(after_next[name]) > -0.02, (name, after_next)
        assert statistics.median(after_next[name]) < 0.2, (name, after_next)


def test_cap_per_event_spreads_notifications_and_full_queue_drops_them() -> None:
    async def main() -> None:
        async with VirtualRadio() as radio:
            capped = RadioConditions(connection_interval_s=0.015, max_notifications_per_event=2)
            conditions = {
                0: capped,  # 133 notifications/s for a 200 Hz stream: a backlog builds up
                1: RadioConditions(
                    connection_interval_s=0.015, max_notifications_per_event=2, tx_queue_limit=10
                ),
            }
            sensors = await add_sensors(radio, conditions)
            clients = await connect_all(radio)
            sinks = [Sink() for _ in clients]
            for client, uuid, sink in zip(clients, NOTIFY_UUIDS, sinks, strict=True):
                await client.start_notify(uuid, sink)
            sent = await asyncio.gather(
                *(stream(s, u, 200.0, 200) for s, u in zip(sensors, NOTIFY_UUIDS, strict=True))
            )
            fed = radio.stats(ADDRESSES[0])  # when the feeding ended
            assert await wait_until(lambda: len(sinks[0].payloads) >= 200, GUARD_S)
            await asyncio.sleep(0.05)

            # Capped: complete and in order, never more than 2 per event, so a backlog
            # built up while 200 a second were fed.
            assert sinks[0].payloads == sent[0]
            stats = radio.stats(ADDRESSES[0])
            assert stats.notifications_delivered == 200
            assert stats.notifications_delivered <= 2 * stats.connection_events
            assert fed.notifications_delivered <= 2 * fed.connection_events
            backlog = fed.notifications_offered - fed.notifications_delivered
            assert backlog > 40 and stats.max_queue_depth >= backlog

            # Capped with a 10-deep queue: what overflows is gone, the rest is in order.
            stats = radio.stats(ADDRESSES[1])
            got = sinks[1].payloads
            assert stats.notifications_overflowed > 30
            assert len(got) + stats.notifications_overflowed == len(sent[1]) == 200
            assert stats.max_queue_depth == 10
            seqs = sinks[1].seqs()
            assert seqs == sorted(set(seqs)) and set(got) <= set(sent[1])

            # Unimpaired neighbour.
            assert sinks[2].payloads == sent[2]

    asyncio.run(main())


def test_loss_drops_the_expected_fraction_reproducibly_with_a_seed() -> None:
    n_samples, loss = 400, 0.2

    async def lost_seqs(seed: int) -> set[int]:
        async with VirtualRadio() as radio:
            conditions = {0: RadioConditions(loss_probability=loss, seed=seed)}
            sensors = await add_sensors(radio, conditions)
            clients = await connect_all(radio)
            sinks = [Sink(), Sink()]
            for client, uuid, sink in zip(clients[:2], NOTIFY_UUIDS, sinks, strict=False):
                await client.start_notify(uuid, sink)
            sent = await asyncio.gather(
                stream(sensors[0], WIT_NOTIFY, 1000.0, n_samples),
                stream(sensors[1], NUS_NOTIFY, 1000.0, n_samples),
            )
            assert await wait_until(
                lambda: (
                    len(sinks[0].payloads)
                    == n_samples - radio.stats(ADDRESSES[0]).notifications_lost
                    and len(sinks[1].payloads) == n_samples
                ),
                GUARD_S,
            )
            stats = radio.stats(ADDRESSES[0])
            assert len(sent[0]) == stats.notifications_offered == n_samples
            assert stats.notifications_delivered == len(sinks[0].payloads)
            got = sinks[0].seqs()
            assert got == sorted(got) and set(sinks[0].payloads) <= set(sent[0])
            assert sinks[1].payloads == sent[1]  # no loss on the other link
            return set(range(n_samples)) - set(got)

    async def main() -> None:
        first = await lost_seqs(seed=7)
        sigma = (n_samples * loss * (1 - loss)) ** 0.5
        assert abs(len(first) - n_samples * loss) < 4 * sigma, len(first)
        assert await lost_seqs(seed=7) == first  # seeded: the same samples go missing
        assert await lost_seqs(seed=8) != first

    asyncio.run(main())


def test_drop_link_mid_stream_disconnects_then_reconnect_resumes() -> None:
    """The link is cut after 120 notifications: silence for at least the supervision
    timeout, a disconnection, and after reconnecting the rest of the stream arrives (what
    went into the cut link is counted as silenced); the neighbour gets everything."""
    supervision_timeout_s = 0.2
    n_samples = 600

    async def main() -> None:
        async with VirtualRadio() as radio:
            sensors = await add_sensors(radio)
            disconnected = asyncio.Event()
            dropped_at: list[float] = []
            clients = await connect_all(radio, disconnected_callback=lambda _c: disconnected.set())
            sink, neighbour = Sink(), Sink()
            await clients[0].start_notify(WIT_NOTIFY, sink)
            await clients[1].start_notify(NUS_NOTIFY, neighbour)

            async def drop_and_reconnect() -> float:
                assert await wait_until(lambda: len(sink.payloads) >= 120, GUARD_S)
                dropped_at.append(time.perf_counter())
                assert radio.drop_link(ADDRESSES[0], supervision_timeout_s=supervision_timeout_s)
                await asyncio.wait_for(disconnected.wait(), GUARD_S)
                noticed_s = time.perf_counter() - dropped_at[0]
                assert not clients[0].is_connected
                await clients[0].connect()  # same BLEDevice; the sensor advertises again
                await clients[0].start_notify(WIT_NOTIFY, sink)
                return noticed_s

            noticed_s, sent, sent_neighbour = await asyncio.gather(
                drop_and_reconnect(),
                stream(sensors[0], WIT_NOTIFY, 200.0, n_samples),
                stream(sensors[1], NUS_NOTIFY, 200.0, n_samples),
            )
            assert await wait_until(lambda: len(neighbour.payloads) == n_samples, GUARD_S)
            last = PAYLOAD.pack(n_samples - 1, 0.0)[:4]
            assert await wait_until(lambda: sink.payloads[-1][:4] == last, GUARD_S)
            assert noticed_s > supervision_timeout_s * 0.9  # a cut link is noticed late
            before = [t for t in sink.arrivals_s if t <= dropped_at[0]]
            after = [t for t in sink.arrivals_s if t > dropped_at[0]]
            assert len(before) >= 120
            assert after and after[0] > dropped_at[0] + supervision_timeout_s  # silence
            seqs = sink.seqs()
            assert seqs == sorted(set(seqs)) and seqs[-1] == n_samples - 1
            assert set(sink.payloads) <= set(sent)
            stats = radio.stats(ADDRESSES[0])
            assert stats.links_dropped == 1 and stats.notifications_silenced > 0
            assert stats.notifications_delivered == len(sink.payloads)
            assert stats.notifications_delivered + stats.notifications_silenced <= len(sent)
            assert neighbour.payloads == sent_neighbour and len(sent_neighbour) == n_samples
            assert clients[0].is_connected

    asyncio.run(main())


def test_absent_sensor_is_not_found_and_connect_fails_cleanly_within_timeout() -> None:
    async def main() -> None:
        async with VirtualRadio() as radio:
            await add_sensors(radio, present=(True, True, False))
            found = await BleakScanner.discover(0.3, return_adv=True, **scanner_kwargs(radio))
            assert sorted(found) == list(ADDRESSES[:2])

            # By address: the implicit scan does not find it (how long that takes against
            # the timeout is a figure of benchmarks/bench_ble_virtual.py, not a test).
            with pytest.raises(BleakDeviceNotFoundError):
                await BleakClient(ADDRESSES[2], timeout=0.5, **client_kwargs(radio)).connect()

            # By a BLEDevice seen earlier (the sensor was then switched off): TimeoutError.
            await radio.set_present(ADDRESSES[2], True)
            device = await BleakScanner.find_device_by_address(
                ADDRESSES[2], timeout=1.0, **scanner_kwargs(radio)
            )
            assert device is not None
            await radio.set_present(ADDRESSES[2], False)
            client = BleakClient(device, timeout=0.5, **client_kwargs(radio))
            with pytest.raises(TimeoutError):
                await client.connect()
            assert not client.is_connected

            # The failed attempt left nothing pending: other sensors and a later retry connect.
            other = BleakClient(found[ADDRESSES[0]][0], timeout=2.0, **client_kwargs(radio))
            await other.connect()
            await radio.set_present(ADDRESSES[2], True)
            await client.connect()
            assert client.is_connected and other.is_connected
            await client.disconnect()
            await other.disconnect()

    asyncio.run(main())
