"""The BLE collector end to end over virtual sensors (sensorlab.ble).

Every test runs its own event loop and :class:`VirtualRadio`; no Bluetooth adapter is
touched. The virtual sensors are the device models of ``sensorlab.devices`` played from a
motion with a known content, and the collector is the unchanged :class:`BleSource` over
bleak with the virtual backend. Several tests run the world (and the collector's clock) 2-4
times faster than real time to stay short; times are then in world seconds.

These tests run in real time (``realtime`` marker). They assert on what arrived: counts,
order, values and device clocks, and wait for the samples they expect rather than for a
fixed time, so that a busy machine only makes them slower. How the collector's times are
made from the stamps (clock continuation, counter, spreading, ties) is tested on hand-made
sequences in ``tests/test_ble_stream.py``, the aligners in ``tests/test_clock.py``.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensorlab.ble.calibration import (
    DeviceCalibration,
    calibration_path,
    load_calibration,
    save_calibration,
)
from sensorlab.ble.collector import BleSource, CollectorSettings, scan_devices
from sensorlab.ble.guided import run_guided_calibration
from sensorlab.devices import diy, dot, metamotion, movesense, witmotion
from sensorlab.errors import InputError
from sensorlab.io.recording import read_recording
from sensorlab.processing.pipeline import SessionAnalyzer
from sensorlab.records import ImuChunk
from sensorlab.session import SensorLost, SensorResumed, SensorStale, Session
from sensorlab.simulate.scenarios import make_scenario
from sensorlab.units import STANDARD_GRAVITY_M_S2
from sensorlab.virtual import RadioConditions, client_kwargs, scanner_kwargs
from sensorlab.virtual.sensors import (
    Motion,
    SensorError,
    VirtualSensorSet,
    motions_from_spec,
    ordered_placements,
    pose_motion,
    running_sensors,
)
from sensorlab.virtual.source import VirtualBleSource

FAST = CollectorSettings(scan_timeout_s=3.0, connect_timeout_s=5.0)

# Half a count of each device's quantisation (plus float slack), m/s^2 and rad/s.
FLOAT32 = (2e-5 * 16 * STANDARD_GRAVITY_M_S2, math.radians(2e-5 * 2000))
QUANTUM = {
    "diy": (STANDARD_GRAVITY_M_S2 / diy.ACC_LSB_PER_G, math.radians(1 / diy.GYRO_LSB_PER_DPS)),
    "witmotion": (
        STANDARD_GRAVITY_M_S2 / witmotion.ACC_LSB_PER_G,
        math.radians(1 / witmotion.GYRO_LSB_PER_DPS),
    ),
    "movesense": FLOAT32,
    "metamotion": (
        STANDARD_GRAVITY_M_S2 / metamotion.acc_lsb_per_g(metamotion.PROFILE.acc_range_g),
        math.radians(1 / metamotion.GYRO_LSB_PER_DPS[metamotion.PROFILE.gyro_range_dps]),
    ),
    "dot": FLOAT32,
}


def sim_motions(duration_s: float, seed: int = 0) -> dict[str, Motion]:
    motions, _ = motions_from_spec("sim", seed=seed, duration_s=duration_s)
    return ordered_placements(motions)


async def collect(source) -> dict[str, list[ImuChunk]]:
    """Every block of a source, per placement, until it ends."""
    chunks: dict[str, list[ImuChunk]] = {}
    async for chunk in source.blocks():
        chunks.setdefault(chunk.placement, []).append(chunk)
    return chunks


async def until(predicate, guard_s: float = 60.0) -> None:
    """Wait until ``predicate()`` holds (polling); ``guard_s`` only ends a hung test."""
    loop = asyncio.get_running_loop()
    deadline_s = loop.time() + guard_s
    while not predicate() and loop.time() < deadline_s:
        await asyncio.sleep(0.02)


def everything_arrived(sensors: VirtualSensorSet, source, packing: dict[str, int]):
    """Whether the motion was played and the collector has every sample each sensor took,
    but for those a packing device holds back in its last, incomplete notification."""

    def check() -> bool:
        if not sensors.finished:
            return False
        status = source.status()
        return all(
            p in status and status[p].samples > sensor.log.samples - packing[p]
            for p, sensor in sensors.sensors.items()
        )

    return check


async def collect_everything(source, sensors: VirtualSensorSet, packing: dict[str, int]):
    """Every block of ``source``, stopped once every sample taken has arrived."""

    async def stop_then() -> None:
        await until(everything_arrived(sensors, source, packing))
        source.stop()

    stopper = asyncio.get_running_loop().create_task(stop_then())
    try:
        return await collect(source)
    finally:
        stopper.cancel()


def joined(chunks: list[ImuChunk]) -> ImuChunk:
    def cat(name: str):
        values = [getattr(c, name) for c in chunks]
        return None if any(v is None for v in values) else np.concatenate(values)

    return ImuChunk(
        chunks[0].placement,
        cat("t_s"),
        cat("acc_m_s2"),
        cat("gyr_rad_s"),
        seq=cat("seq"),
        device_t_s=cat("device_t_s"),
        host_t_s=cat("host_t_s"),
    )


def virtual_collector(radio, sensors: VirtualSensorSet, **options) -> BleSource:
    return BleSource(
        sensors.sensor_configs(),
        settings=options.pop("settings", FAST),
        scanner_kwargs=scanner_kwargs(radio),
        client_kwargs=client_kwargs(radio),
        calibration_dir=options.pop("calibration_dir", None),
        clock=sensors.world.host_clock,
        **options,
    )


# --------------------------------------------------------------------------------------
@pytest.mark.realtime
def test_scan_lists_the_virtual_sensors_with_model_rssi_and_battery() -> None:
    rssi = {"pelvis": -45, "left_thigh": -63, "right_thigh": -81}

    async def main():
        sensors = VirtualSensorSet.build(
            sim_motions(5.0),
            ["diy", "witmotion", "movesense"],
            conditions={p: RadioConditions(rssi_dbm=r) for p, r in rssi.items()},
            devices={"pelvis": diy.VirtualDiy(name="sensorlab-00A1", battery_pct=77)},
        )
        async with running_sensors(sensors) as radio:
            found = await scan_devices(
                0.4, scanner_kwargs=scanner_kwargs(radio), client_kwargs=client_kwargs(radio)
            )
        return sensors, found

    sensors, found = asyncio.run(main())
    by_address = {f.address: f for f in found}
    assert set(by_address) == set(sensors.addresses.values())
    expected = {
        "pelvis": ("sensorlab-00A1", "diy", 77),
        "left_thigh": ("WT901BLE02", "witmotion", None),  # no battery characteristic
        "right_thigh": ("Movesense 000000000003", "movesense", 100),
    }
    for placement, (name, model, battery) in expected.items():
        result = by_address[sensors.addresses[placement]]
        assert (result.name, result.model, result.battery_pct) == (name, model, battery)
        assert result.rssi_dbm == rssi[placement]
    assert [f.rssi_dbm for f in found] == sorted((f.rssi_dbm for f in found), reverse=True)


PACKING = {"diy": 2, "witmotion": 1, "movesense": 4, "metamotion": 3, "dot": 1}
"""Samples per notification (a MetaMotion's acc and gyro each pack 3)."""
CLOCK_RESOLUTION_S = {"diy": 1e-6, "movesense": 1e-3}
"""A tick of the device clock: a DIY stamps samples in us, a Movesense packets in ms."""


@pytest.mark.realtime
def test_three_models_stream_completely_and_equal_the_source_within_quantisation() -> None:
    models = ["diy", "witmotion", "movesense"]  # device clock + counter, nothing, clock
    duration_s = 6.0

    async def main():
        source = VirtualBleSource(
            "sim", models, duration_s=duration_s, speed=2.0, stop_at_end=False
        )
        packing = {p: PACKING[m] for p, m in zip(source.sensors.sensors, models, strict=True)}
        chunks = await collect_everything(source, source.sensors, packing)
        return source, chunks

    source, chunks = asyncio.run(main())
    status = source.status()
    for placement, model in zip(("pelvis", "left_thigh", "right_thigh"), models, strict=True):
        sensor = source.sensors.sensors[placement]
        rate_hz = 104.0 if model == "movesense" else 100.0
        assert source.meta.sensors[placement].model == model
        assert source.meta.sensors[placement].rate_hz == rate_hz
        got = joined(chunks[placement])
        sent = sensor.log
        # Nothing lost: every notification reached the collector, every sample came back
        # (a packing device keeps the last incomplete packet).
        assert sent.notifications_unsent == 0
        assert len(sent.runs) == 1 and sent.runs[0][0] == rate_hz
        first, end = sent.runs[0][1:]
        assert first <= 1 and end - first >= 0.99 * duration_s * rate_hz
        assert end - first - PACKING[model] < len(got) <= end - first
        assert status[placement].decode_errors == 0
        assert status[placement].samples == len(got)
        # Values: the motion the sensor felt, within half a count of its quantisation.
        motion = sensor.motion_at(rate_hz)
        acc_q, gyr_q = QUANTUM[model]
        k = np.arange(first, first + len(got))
        assert np.abs(got.acc_m_s2 - motion.acc_m_s2[k]).max() <= acc_q / 2 + 1e-9
        assert np.abs(got.gyr_rad_s - motion.gyr_rad_s[k]).max() <= gyr_q / 2 + 1e-9
        # Times: the device clock (where there is one) on the sample grid exactly; the
        # aligned times in order and never after their receive stamps. (How close those
        # come to the grid depends on how promptly this machine ran the event loop.)
        if got.device_t_s is not None:
            offset = got.device_t_s - k / rate_hz
            assert np.ptp(offset) <= CLOCK_RESOLUTION_S[model] + 1e-9, model
        assert (np.diff(got.t_s) > 0).all()
        assert np.all(got.host_t_s >= got.t_s)
    pelvis = joined(chunks["pelvis"])
    assert np.array_equal(pelvis.seq, np.arange(len(pelvis)) + pelvis.seq[0])
    assert status["pelvis"].lost_samples == 0
    assert pelvis.device_t_s is not None and joined(chunks["left_thigh"]).seq is None
    assert joined(chunks["right_thigh"]).device_t_s is not None


@pytest.mark.realtime
def test_metamotion_r_and_s_are_told_apart_and_stream_with_a_dot() -> None:
    """A MetaMotion S (BMI270) has other registers than an R (BMI160): the collector asks
    each board for its IMU, so both stream completely under the one model key."""
    models = ["metamotion", "metamotion", "dot"]
    devices = {"left_thigh": metamotion.VirtualMetaMotion(imu="bmi270")}

    async def main():
        sensors = VirtualSensorSet.build(sim_motions(4.0), models, devices=devices, speed=2.0)
        packing = {p: PACKING[m] for p, m in zip(sensors.sensors, models, strict=True)}
        async with running_sensors(sensors) as radio:
            source = virtual_collector(radio, sensors)
            chunks = await collect_everything(source, sensors, packing)
        return sensors, source, chunks

    sensors, source, chunks = asyncio.run(main())
    labels = {
        "pelvis": metamotion.LABELS["bmi160"],
        "left_thigh": metamotion.LABELS["bmi270"],
        "right_thigh": dot.PROFILE.label,
    }
    status = source.status()
    for placement, model in zip(("pelvis", "left_thigh", "right_thigh"), models, strict=True):
        info = source.meta.sensors[placement]
        assert (info.model, info.extra["device"]) == (model, labels[placement])
        sensor = sensors.sensors[placement]
        assert len(sensor.log.runs) == 1 and sensor.log.notifications_unsent == 0
        rate_hz, first, end = sensor.log.runs[0]
        motion = sensor.motion_at(rate_hz)
        # Streamed from its start command to the end of the motion (the world started
        # at the first command to any sensor, while the others were still connecting).
        assert rate_hz == info.rate_hz and end == len(motion) and end - first > rate_hz
        got = joined(chunks[placement])
        assert end - first - PACKING[model] < len(got) <= end - first, placement
        assert status[placement].decode_errors == 0
        k = np.arange(first, first + len(got))
        acc_q, gyr_q = QUANTUM[model]
        assert np.abs(got.acc_m_s2 - motion.acc_m_s2[k]).max() <= acc_q / 2 + 1e-9, placement
        assert np.abs(got.gyr_rad_s - motion.gyr_rad_s[k]).max() <= gyr_q / 2 + 1e-9, placement


@pytest.mark.realtime
def test_a_dropped_link_reconnects_and_the_gap_is_in_the_recording(tmp_path) -> None:
    """The one end-to-end run of a reconnection: two sensors' links dropped mid-session,
    the DIY's 32-bit microsecond clock wrapping while its link is down. (The clock that
    runs on or restarts, and the counter, on hand-made sequences: test_ble_stream.py.)"""
    out = tmp_path / "dropped.csv"
    drops = {"pelvis": 2.5, "left_thigh": 5.0}  # world seconds: diy (counter), witmotion
    wrap_s = diy.TIME_MODULUS / 1e6

    async def main():
        source = VirtualBleSource("sim", "diy,witmotion,movesense", duration_s=8.0, speed=2.0)
        pelvis = source.sensors.sensors["pelvis"]
        pelvis.clock_offset_s = wrap_s - 2.7  # its 32-bit microseconds wrap at world 2.7 s
        await source.start()
        session = Session(source, record_path=out)
        events = []

        async def drop() -> None:
            world = source.sensors.world
            for placement, at_s in drops.items():
                while world.now() < at_s:
                    await asyncio.sleep(0.01)
                assert source.radio.drop_link(source.sensors.addresses[placement])

        dropper = asyncio.get_running_loop().create_task(drop())
        async for event in session.events():
            events.append(event)
        await dropper
        return source, events

    source, events = asyncio.run(main())
    status = source.status()
    for placement in drops:
        assert status[placement].reconnects == 1, status[placement]
        assert source.sensors.sensors[placement].log.disconnections >= 1
        stale = [e for e in events if isinstance(e, SensorStale | SensorLost)]
        resumed = [e for e in events if isinstance(e, SensorResumed)]
        assert any(e.placement == placement for e in stale)
        gaps = [e.gap_s for e in resumed if e.placement == placement]
        assert gaps and max(gaps) > 0.5  # supervision timeout + reconnect, world seconds
    assert status["right_thigh"].reconnects == 0
    recording = read_recording(out)
    pelvis = recording.chunks["pelvis"]
    steps = np.diff(pelvis.seq)
    assert (steps >= 1).all() and (steps > 1).sum() == 1  # one gap in the counter ...
    missing = int(steps.max()) - 1
    assert missing == status["pelvis"].lost_samples
    # ... and the same gap in the device clock, which continues across the wrap
    assert np.allclose(np.diff(pelvis.device_t_s), steps / 100.0, atol=1e-5)
    assert pelvis.device_t_s[-1] > wrap_s
    assert np.diff(pelvis.t_s).max() > 0.5
    left = recording.chunks["left_thigh"]  # no counter: the gap shows in time only
    assert left.seq is None and np.diff(left.t_s).max() > 0.5
    right = recording.chunks["right_thigh"]  # unaffected: its device clock has no gap
    assert np.diff(right.device_t_s).max() < 1.5 / 104.0
    for chunk in recording.chunks.values():
        assert chunk.t_s[-1] > 7.0  # the recording went on to the end


class GarbageEvery3rdDiy(diy.VirtualDiy):
    """A DIY board whose every third packet is random bytes (seeded)."""

    def __init__(self) -> None:
        super().__init__(name="sensorlab-BAD0")
        self.rng = np.random.default_rng(5)
        self.packets = 0
        self.garbage = 0

    def encode(self, acc_m_s2, gyr_rad_s, device_t_s):
        out = []
        for uuid, payload in super().encode(acc_m_s2, gyr_rad_s, device_t_s):
            self.packets += 1
            if self.packets % 3 == 0:
                self.garbage += 1
                payload = bytes([0x7F]) + self.rng.bytes(len(payload) - 1)
            out.append((uuid, payload))
        return out


@pytest.mark.realtime
def test_garbage_is_counted_and_reported_and_the_other_sensors_are_unaffected() -> None:
    bad = GarbageEvery3rdDiy()

    async def main():
        sensors = VirtualSensorSet.build(
            sim_motions(4.0), "diy", speed=2.0, devices={"pelvis": bad}
        )
        # The pelvis's count is checked on its own below (garbage, then the last packet).
        others = {"pelvis": 10**9, "left_thigh": 2, "right_thigh": 2}
        async with running_sensors(sensors) as radio:
            source = virtual_collector(radio, sensors)
            await source.start()

            def garbage_and_all_in() -> bool:
                pelvis = source.status()["pelvis"]
                good = 2 * (bad.packets - bad.garbage)
                return everything_arrived(sensors, source, others)() and (
                    pelvis.samples >= good and pelvis.decode_errors >= bad.garbage
                )

            async def stop_at_end() -> None:
                await until(garbage_and_all_in)
                source.stop()

            task = asyncio.get_running_loop().create_task(stop_at_end())
            chunks = await collect(source)
            await task
        return sensors, source, chunks

    sensors, source, chunks = asyncio.run(main())
    status = source.status()
    assert bad.garbage > 10
    assert status["pelvis"].decode_errors == bad.garbage
    assert "undecodable" in status["pelvis"].line()
    assert "bad header: format version 127" in status["pelvis"].last_error
    # Good packets in between still decode; the garbage shows as a counter gap.
    pelvis = joined(chunks["pelvis"])
    assert len(pelvis) == 2 * (bad.packets - bad.garbage)
    assert status["pelvis"].lost_samples == 2 * bad.garbage - (2 if bad.packets % 3 == 0 else 0)
    for placement in ("left_thigh", "right_thigh"):
        log = sensors.sensors[placement].log
        assert status[placement].decode_errors == 0
        assert status[placement].lost_samples == 0
        assert len(joined(chunks[placement])) >= log.samples - 1


@pytest.mark.realtime
def test_a_sensor_that_never_appears_is_named_with_its_address_within_the_timeout() -> None:
    async def main():
        sensors = VirtualSensorSet.build(sim_motions(3.0), "diy")
        async with running_sensors(sensors) as radio:
            await radio.set_present(sensors.addresses["right_thigh"], False)
            source = virtual_collector(
                radio, sensors, settings=CollectorSettings(scan_timeout_s=1.0)
            )
            with pytest.raises(InputError) as error:
                await source.start()
            return sensors, source, error.value

    sensors, source, error = asyncio.run(main())
    message = str(error)
    assert "right_thigh" in message and sensors.addresses["right_thigh"] in message
    assert "pelvis" not in message and "within 1 s" in message
    assert "sensorlab scan" in message  # says how to fix it
    assert all(s.state == "stopped" for s in source.status().values())


@pytest.mark.realtime
def test_stop_while_connecting_ends_the_stream_and_leaves_nothing_connected() -> None:
    async def main():
        sensors = VirtualSensorSet.build(sim_motions(3.0), "diy")
        async with running_sensors(sensors) as radio:
            source = virtual_collector(radio, sensors)
            consumer = asyncio.get_running_loop().create_task(collect(source))
            while not any(p.is_connected for p in radio.peripherals.values()):
                await asyncio.sleep(0.005)
            source.stop()  # the first sensor is connected, the others not yet
            chunks = await asyncio.wait_for(consumer, 5.0)
            await asyncio.sleep(0.05)
            connected = [p.address for p in radio.peripherals.values() if p.is_connected]
        return source, chunks, connected

    source, chunks, connected = asyncio.run(main())
    assert chunks == {} and connected == []
    assert not source.started
    assert all(s.state == "stopped" for s in source.status().values())


@pytest.mark.realtime
def test_a_calibration_file_is_applied_automatically(tmp_path) -> None:
    error = SensorError(
        gyro_bias_rad_s=(0.02, -0.015, 0.01),
        acc_offset_m_s2=(0.3, -0.2, 0.1),
        acc_scale=(1.03, 0.97, 1.01),
    )

    async def main():
        sensors = VirtualSensorSet.build(
            sim_motions(3.0), "diy", speed=2.0, errors={"pelvis": error, "left_thigh": error}
        )
        calibration = DeviceCalibration(
            address=sensors.addresses["pelvis"],
            model="diy",
            gyro_bias_rad_s=np.array(error.gyro_bias_rad_s),
            acc_offset_m_s2=np.array(error.acc_offset_m_s2),
            acc_scale=np.array(error.acc_scale),
        )
        save_calibration(calibration, tmp_path / "calibration")
        async with running_sensors(sensors) as radio:
            source = virtual_collector(radio, sensors, calibration_dir=tmp_path / "calibration")
            chunks = await collect_everything(source, sensors, dict.fromkeys(sensors.sensors, 2))
        return sensors, source, chunks

    sensors, source, chunks = asyncio.run(main())
    assert source.status()["pelvis"].calibrated and not source.status()["left_thigh"].calibrated
    path = str(calibration_path(sensors.addresses["pelvis"], tmp_path / "calibration"))
    assert source.meta.sensors["pelvis"].extra == {
        "device": diy.PROFILE.label,
        "device_calibration": path,
    }
    acc_q, gyr_q = QUANTUM["diy"]
    residual = {}
    for placement in ("pelvis", "left_thigh", "right_thigh"):
        got = joined(chunks[placement])
        motion = sensors.sensors[placement].motion_at(100.0)
        k = np.arange(len(got)) + sensors.sensors[placement].log.runs[0][1]
        residual[placement] = (
            np.abs(got.acc_m_s2 - motion.acc_m_s2[k]).max(),
            np.abs(got.gyr_rad_s - motion.gyr_rad_s[k]).max(),
        )
    assert residual["pelvis"][0] < acc_q and residual["pelvis"][1] < gyr_q  # corrected
    assert residual["right_thigh"][0] < acc_q  # no error, no file
    assert residual["left_thigh"][0] > 0.1 and residual["left_thigh"][1] > 0.005  # no file


@pytest.mark.realtime
def test_guided_calibration_finds_a_known_bias_and_scale(tmp_path) -> None:
    error = SensorError(
        gyro_bias_rad_s=tuple(np.radians([1.2, -0.7, 0.4])),
        acc_offset_m_s2=(-0.15, 0.25, 0.05),
        acc_scale=(0.985, 1.012, 1.004),
    )
    said: list[str] = []

    async def main():
        sensors = VirtualSensorSet.build(
            {"device": pose_motion(100.0, seed=3)}, "diy", speed=8.0, errors={"device": error}
        )
        async with running_sensors(sensors) as radio:
            source = virtual_collector(radio, sensors)
            await source.start()
            return await run_guided_calibration(source, say=said.append)

    calibration = asyncio.run(main())
    assert np.abs(np.degrees(calibration.gyro_bias_rad_s - error.gyro_bias_rad_s)).max() < 0.03
    assert np.abs(calibration.acc_offset_m_s2 - error.acc_offset_m_s2).max() < 0.01
    assert np.abs(calibration.acc_scale - error.acc_scale).max() < 0.001
    assert max(abs(r) for r in calibration.residuals_m_s2.values()) < 0.01
    assert max(calibration.tilt_deg.values()) < 1.0
    assert sum(line.startswith("step ") for line in said) == 7
    saved = save_calibration(calibration, tmp_path)
    assert saved.name == "C1-5E-00-00-00-01.json"
    again = load_calibration(saved)
    assert np.allclose(again.acc_scale, calibration.acc_scale, atol=1e-6)
    assert np.allclose(again.gyro_bias_rad_s, calibration.gyro_bias_rad_s, atol=1e-6)


def analyze(recording):
    analyzer = SessionAnalyzer(recording.meta, None, source=recording.source)
    analyzer.update(list(recording.chunks.values()))
    return analyzer.finish()


def on_device_time(recording, source: VirtualBleSource):
    """The recording with each sensor's samples timed by the device: its clock where it
    has one, else its sample index (every sample arrived: checked). The collector's own
    times come from arrival stamps, which a busy machine delays; how they are made is
    tested on hand-made sequences (test_ble_stream.py, test_clock.py)."""
    chunks = {}
    for placement, chunk in recording.chunks.items():
        sensor = source.sensors.sensors[placement]
        ((rate_hz, first, end),) = sensor.log.runs
        assert end - first - PACKING[sensor.model] < len(chunk) <= end - first, placement
        if chunk.device_t_s is not None:
            t_s = chunk.device_t_s - chunk.device_t_s[0] + first / rate_hz
        else:
            t_s = (first + np.arange(len(chunk))) / rate_hz
        chunks[placement] = replace(chunk, t_s=t_s)
    return replace(recording, chunks=chunks)


@pytest.mark.realtime
def test_analysis_of_a_virtual_recording_agrees_with_the_source(tmp_path) -> None:
    """A DIY (device clock and counter) on the pelvis and the right thigh, a WitMotion
    (neither) on the left thigh, recorded over the virtual radio at 4x: analysed on the
    devices' times, the reps equal the simulated session's within the devices' counts."""
    out = tmp_path / "virtual.csv"
    duration_s = 30.0

    async def main():
        source = VirtualBleSource(
            "sim", "diy,witmotion,diy", duration_s=duration_s, speed=4.0, stop_at_end=False
        )
        packing = {p: PACKING[s.model] for p, s in source.sensors.sensors.items()}
        await source.start()

        async def stop_then() -> None:
            await until(everything_arrived(source.sensors, source, packing))
            source.stop()

        stopper = asyncio.get_running_loop().create_task(stop_then())
        await Session(source, record_path=out).run()
        await stopper
        return source

    source = asyncio.run(main())
    original = analyze(make_scenario("step_up_asymmetric", 0, duration_s=duration_s).recording)
    virtual = analyze(on_device_time(read_recording(out), source))
    assert len(original.reps) == len(virtual.reps) >= 4
    assert virtual.activity == original.activity == "step_up"
    # Within what the devices' 16-bit counts allow (0.061 deg/s, 4.8 mm/s^2 per count: a
    # few hundredths of a degree over a rep) and a sample period in time.
    for a, b in zip(original.reps, virtual.reps, strict=True):
        assert a.side == b.side
        assert abs(a.t_start - b.t_start) <= 0.011 and abs(a.t_end - b.t_end) <= 0.011
        assert abs(a.thigh_rom_deg - b.thigh_rom_deg) < 0.15
        assert abs(a.pelvic_drop_deg - b.pelvic_drop_deg) < 0.1
        assert abs(a.pelvic_tilt_range_deg - b.pelvic_tilt_range_deg) < 0.1
        assert abs(a.thigh_adduction_excursion_deg - b.thigh_adduction_excursion_deg) < 0.1
        assert abs(a.peak_thigh_velocity_dps - b.peak_thigh_velocity_dps) < 0.5


def test_motion_resampling_keeps_the_signal() -> None:
    t = np.arange(0, 2.0, 0.01)
    acc = np.column_stack([np.sin(t), np.cos(t), t])
    motion = Motion(100.0, acc, acc * 0.1)
    assert motion.at_rate(100.3).acc_m_s2 is acc  # within 0.5 %: the same samples
    resampled = motion.at_rate(104.0)
    t_new = np.arange(len(resampled)) / 104.0
    assert np.abs(resampled.acc_m_s2[:, 0] - np.sin(t_new)).max() < 1e-4
    assert len(resampled) == math.floor(1.99 * 104) + 1


def test_movesense_and_witmotion_constants_used_above() -> None:
    # The tests above hard-code Movesense's 104 Hz, a WitMotion's +-16 g range and the
    # calibration file name: fail loudly if the device layer changes them.
    assert movesense.RATES_HZ[3] == 104.0
    assert witmotion.ACC_LSB_PER_G == 2048.0
    assert Path(calibration_path("c1:5e:00:00:00:01", Path("x"))).name == "C1-5E-00-00-00-01.json"
