"""MbientLab MetaMotion (MetaWear protocol): BMI160 or BMI270 accelerometer and gyroscope.

Every command and notification is ``[module][register][data]``: the accelerometer is
module 0x03 and the gyroscope 0x13, each configured (rate, range), subscribed, its data
interrupt enabled and powered separately. sensorlab streams the packed registers: three
samples of int16 x, y, z per 20-byte notification, accelerometer and gyroscope in
separate notifications. The counts per unit follow the configured range.

MetaMotion R/C/RL carry a BMI160, MetaMotion S a BMI270: register numbers and config
bytes differ, so the collector reads the accelerometer's module info first
(:meth:`MetaMotionProfile.identify_commands`, :meth:`~MetaMotionProfile.variant_from_reply`)
and uses :data:`PROFILE` or :data:`PROFILE_BMI270`.

Streamed notifications carry neither timestamp nor counter (the vendor SDK stamps them
with the host's receive time): ``seq`` and ``device_t_s`` are ``None``, time comes from
arrival (:class:`sensorlab.processing.clock.ArrivalDejitter`), and loss is not visible in
the data. Accelerometer and gyroscope samples are paired in arrival order (see
:class:`MetaMotionDecoder`).

Source: ``ble-devices.md`` section 2 (mbientlab/MetaWear-SDK-Cpp sources and tests,
MetaWear-SDK-Python ``examples/stream_acc_gyro_bmi160.py``); see
``firmware_notes/metamotion.md``. UNCERTAIN there and here: the axis convention, the
advertised name and whether the service UUID is advertised, the gyroscope's power-up
configuration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from sensorlab.devices.profile import (
    CharacteristicSpec,
    DecodedSamples,
    DecodeError,
    DeviceProfile,
    GattWrite,
    Notification,
    SampleQueue,
    ServiceSpec,
    check_samples,
    to_int16,
)
from sensorlab.units import STANDARD_GRAVITY_M_S2

SERVICE_UUID = "326a9000-85cb-9195-d9dd-464cfbbae75a"
COMMAND_UUID = "326a9001-85cb-9195-d9dd-464cfbbae75a"
NOTIFY_UUID = "326a9006-85cb-9195-d9dd-464cfbbae75a"

ACC_MODULE = 0x03
GYRO_MODULE = 0x13
POWER_REGISTER = 0x01
INTERRUPT_REGISTER = 0x02
CONFIG_REGISTER = 0x03
READ_BIT = 0x80
PACKED_SAMPLES = 3

Imu = Literal["bmi160", "bmi270"]


@dataclass(frozen=True)
class DataRegisters:
    """Data registers of one IMU: single samples and packed (3 samples) per sensor."""

    acc: int
    acc_packed: int
    gyro: int
    gyro_packed: int


DATA_REGISTERS: dict[Imu, DataRegisters] = {
    "bmi160": DataRegisters(acc=0x04, acc_packed=0x1C, gyro=0x05, gyro_packed=0x07),
    "bmi270": DataRegisters(acc=0x04, acc_packed=0x05, gyro=0x04, gyro_packed=0x05),
}

ACC_IMPLEMENTATION: dict[Imu, int] = {"bmi160": 1, "bmi270": 4}
"""Accelerometer module-info implementation byte per IMU."""
GYRO_IMPLEMENTATION: dict[Imu, int] = {"bmi160": 0, "bmi270": 1}
MODULE_REVISION: dict[Imu, int] = {"bmi160": 1, "bmi270": 0}
"""Revision reported by MetaMotion R (BMI160) and S (BMI270) in the SDK tests."""

ACC_CONFIG_HIGH_BITS: dict[Imu, int] = {"bmi160": 0x20, "bmi270": 0xA0}
"""Config byte above the ODR code: bwp 2 (<< 4), and on the BMI270 filter_perf (<< 7)."""
GYRO_CONFIG_HIGH_BITS = 0x20
"""Gyroscope config byte above the ODR code: the SDK's bwp 2 (<< 4)."""

ACC_RANGE_CODES: dict[Imu, dict[float, int]] = {
    "bmi160": {2.0: 0x03, 4.0: 0x05, 8.0: 0x08, 16.0: 0x0C},
    "bmi270": {2.0: 0x00, 4.0: 0x01, 8.0: 0x02, 16.0: 0x03},
}
GYRO_RANGE_CODES: dict[float, int] = {2000.0: 0, 1000.0: 1, 500.0: 2, 250.0: 3, 125.0: 4}
GYRO_LSB_PER_DPS: dict[float, float] = {
    2000.0: 16.4,
    1000.0: 32.8,
    500.0: 65.6,
    250.0: 131.2,
    125.0: 262.4,
}

ACC_RATES_HZ = (12.5, 25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)
GYRO_RATES_HZ = (25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0)
RATES_HZ = (25.0, 50.0, 100.0, 200.0, 400.0, 800.0)
"""Rates both sensors support, without the 1600 Hz that third-party users saw fail."""

DEFAULT_ACC_RANGE_G = 2.0
"""Power-up accelerometer range (the SDK's default config ``03 03 28 03``: 100 Hz, ±2 g)."""


def acc_lsb_per_g(range_g: float) -> float:
    """Counts per g: 16384 at ±2 g, 8192 at ±4 g, 4096 at ±8 g, 2048 at ±16 g."""
    return 32768 / range_g


def odr_code(rate_hz: float) -> int:
    """Bosch ODR code of a rate: 100 Hz is 8, each doubling adds one."""
    return 8 + round(math.log2(rate_hz / 100.0))


def odr_hz(code: int) -> float:
    """Rate of a Bosch ODR code, Hz."""
    return 100.0 * 2.0 ** (code - 8)


def acc_config_command(imu: Imu, rate_hz: float, range_g: float) -> bytes:
    """``03 03 <odr | bwp | filter_perf> <range>`` (e.g. BMI160, 200 Hz, ±8 g: ``03 03 29 08``)."""
    if rate_hz not in ACC_RATES_HZ:
        raise ValueError(f"accelerometer rate must be one of {ACC_RATES_HZ}, got {rate_hz}")
    odr_byte = ACC_CONFIG_HIGH_BITS[imu] | odr_code(rate_hz)
    return bytes([ACC_MODULE, CONFIG_REGISTER, odr_byte, ACC_RANGE_CODES[imu][range_g]])


def gyro_config_command(rate_hz: float, range_dps: float) -> bytes:
    """``13 03 <odr | bwp> <range>`` (e.g. 50 Hz, ±125 deg/s: ``13 03 27 04``)."""
    if rate_hz not in GYRO_RATES_HZ:
        raise ValueError(f"gyroscope rate must be one of {GYRO_RATES_HZ}, got {rate_hz}")
    odr_byte = GYRO_CONFIG_HIGH_BITS | odr_code(rate_hz)
    return bytes([GYRO_MODULE, CONFIG_REGISTER, odr_byte, GYRO_RANGE_CODES[range_dps]])


def module_info_command(module: int) -> bytes:
    """Read a module's info: ``[module, 0x80]``."""
    return bytes([module, READ_BIT])


@dataclass(frozen=True)
class ModuleInfo:
    """A module-info reply ``[module, 0x80, implementation, revision, ...]``.

    ``implementation`` and ``revision`` are ``None`` when the module is absent (the reply
    is only 2 bytes).
    """

    module: int
    implementation: int | None
    revision: int | None


def decode_module_info(payload: bytes) -> ModuleInfo:
    """Parse a module-info reply.

    Raises
    ------
    DecodeError
        If the payload is not ``[module, 0x80]`` optionally followed by 2 or more bytes.
    """
    if len(payload) < 2 or payload[1] != READ_BIT or len(payload) == 3:
        raise DecodeError(f"not a module-info reply: {bytes(payload).hex(' ')}")
    if len(payload) == 2:
        return ModuleInfo(payload[0], None, None)
    return ModuleInfo(payload[0], payload[2], payload[3])


def imu_from_acc_info(info: ModuleInfo) -> Imu:
    """The IMU named by the accelerometer's module info (impl 1 BMI160, 4 BMI270)."""
    for imu, implementation in ACC_IMPLEMENTATION.items():
        if info.module == ACC_MODULE and info.implementation == implementation:
            return imu
    raise DecodeError(f"unknown accelerometer implementation: {info}")


def decode_data(
    payload: bytes, imu: Imu, acc_range_g: float, gyro_range_dps: float
) -> tuple[str, np.ndarray] | None:
    """Samples from one data notification.

    Parameters
    ----------
    payload : bytes
        ``[module][register]`` and 1 (single) or 3 (packed) samples of int16 x, y, z.
    imu : {"bmi160", "bmi270"}
        Which register numbers apply.
    acc_range_g, gyro_range_dps : float
        Configured ranges, which set the counts per unit.

    Returns
    -------
    (str, ndarray of shape (n, 3)) or None
        ``("acc", m/s^2)`` or ``("gyr", rad/s)``; ``None`` for a read reply
        (register with bit 0x80 set), which carries no samples.

    Raises
    ------
    DecodeError
        Empty, unknown header, or a length other than 2 + 6 * samples.
    """
    if len(payload) < 2:
        raise DecodeError(f"truncated: {len(payload)} of 2 header bytes")
    module, register = payload[0], payload[1]
    if register & READ_BIT:
        return None
    registers = DATA_REGISTERS[imu]
    layouts = {
        (ACC_MODULE, registers.acc): ("acc", 1),
        (ACC_MODULE, registers.acc_packed): ("acc", PACKED_SAMPLES),
        (GYRO_MODULE, registers.gyro): ("gyr", 1),
        (GYRO_MODULE, registers.gyro_packed): ("gyr", PACKED_SAMPLES),
    }
    if (module, register) not in layouts:
        raise DecodeError(f"bad header 0x{module:02X} 0x{register:02X}")
    kind, samples = layouts[module, register]
    expected = 2 + 6 * samples
    if len(payload) < expected:
        raise DecodeError(f"truncated: {len(payload)} of {expected} bytes")
    if len(payload) > expected:
        raise DecodeError(f"wrong length: {len(payload)} bytes, expected {expected}")
    counts = np.frombuffer(payload, dtype="<i2", offset=2).reshape(samples, 3).astype(float)
    if kind == "acc":
        return kind, counts / acc_lsb_per_g(acc_range_g) * STANDARD_GRAVITY_M_S2
    return kind, np.radians(counts / GYRO_LSB_PER_DPS[gyro_range_dps])


class MetaMotionDecoder:
    """Pairs the separate accelerometer and gyroscope notifications into samples.

    The k-th accelerometer sample is paired with the k-th gyroscope sample (both run at
    the same rate, started together). Unpaired samples wait; when one sensor gets more
    than ``max_lead_samples`` ahead (the other's notifications were lost), its oldest
    waiting samples are dropped. A packet lost by one sensor only shifts the pairing by
    one packet (3 samples) until the other sensor loses one too: without counters this
    cannot be detected.

    Parameters
    ----------
    imu : {"bmi160", "bmi270"}
    acc_range_g, gyro_range_dps : float
        Configured ranges.
    max_lead_samples : int
        Largest number of samples one sensor may wait for its partner.

    Attributes
    ----------
    unpaired_dropped_ : int
        Samples dropped for want of a partner.
    """

    def __init__(
        self,
        imu: Imu,
        acc_range_g: float,
        gyro_range_dps: float,
        max_lead_samples: int = 2 * PACKED_SAMPLES,
    ) -> None:
        self.imu = imu
        self.acc_range_g = acc_range_g
        self.gyro_range_dps = gyro_range_dps
        self.max_lead_samples = max_lead_samples
        self.unpaired_dropped_ = 0
        self._waiting = {"acc": np.empty((0, 3)), "gyr": np.empty((0, 3))}

    def feed(self, char_uuid: str, payload: bytes) -> DecodedSamples:
        """The samples this notification completes (read replies give none)."""
        if char_uuid.lower() != NOTIFY_UUID:
            raise DecodeError(f"not the notify characteristic: {char_uuid}")
        decoded = decode_data(payload, self.imu, self.acc_range_g, self.gyro_range_dps)
        if decoded is None:
            return DecodedSamples.empty()
        kind, values = decoded
        self._waiting[kind] = np.concatenate([self._waiting[kind], values])
        n = min(len(waiting) for waiting in self._waiting.values())
        acc, gyr = self._waiting["acc"][:n], self._waiting["gyr"][:n]
        for key, waiting in self._waiting.items():
            excess = max(0, len(waiting) - n - self.max_lead_samples)
            self.unpaired_dropped_ += excess
            self._waiting[key] = waiting[n + excess :]
        return DecodedSamples(acc, gyr)


def _write(data: bytes) -> GattWrite:
    return GattWrite(COMMAND_UUID, data, response=False)


@dataclass(frozen=True)
class MetaMotionProfile(DeviceProfile):
    """MetaWear streaming of packed accelerometer and gyroscope data.

    Attributes
    ----------
    imu : {"bmi160", "bmi270"}
        MetaMotion R/C/RL (BMI160) or S (BMI270).
    """

    imu: Imu = "bmi160"

    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        """Configure both sensors, subscribe the packed data, enable interrupts, power on.

        The order of the SDK example (``ble-devices.md`` 2.4), with the packed registers.
        The optional connection-parameter request is not sent: the host schedules three
        links on one adapter.
        """
        rate = self.nearest_rate(rate_hz)
        acc_range_g, gyro_range_dps = self._ranges()
        registers = DATA_REGISTERS[self.imu]
        return [
            _write(acc_config_command(self.imu, rate, acc_range_g)),
            _write(gyro_config_command(rate, gyro_range_dps)),
            _write(bytes([ACC_MODULE, registers.acc_packed, 1])),
            _write(bytes([GYRO_MODULE, registers.gyro_packed, 1])),
            _write(bytes([ACC_MODULE, INTERRUPT_REGISTER, 1, 0])),
            _write(bytes([ACC_MODULE, POWER_REGISTER, 1])),
            _write(bytes([GYRO_MODULE, INTERRUPT_REGISTER, 1, 0])),
            _write(bytes([GYRO_MODULE, POWER_REGISTER, 1])),
        ]

    def identify_commands(self) -> list[GattWrite]:
        """Read the accelerometer's module info (``03 80``): it names the IMU."""
        return [_write(module_info_command(ACC_MODULE))]

    def variant_from_reply(self, payload: bytes) -> MetaMotionProfile | None:
        """The profile for the IMU an accelerometer module-info reply names, or None."""
        if len(payload) < 2 or payload[0] != ACC_MODULE or payload[1] != READ_BIT:
            return None
        imu = imu_from_acc_info(decode_module_info(payload))
        return self if imu == self.imu else replace(self, imu=imu, label=LABELS[imu])

    def stop_commands(self) -> list[GattWrite]:
        """Power off, disable interrupts, unsubscribe (``ble-devices.md`` 2.4 step 6)."""
        registers = DATA_REGISTERS[self.imu]
        return [
            _write(bytes([ACC_MODULE, POWER_REGISTER, 0])),
            _write(bytes([ACC_MODULE, INTERRUPT_REGISTER, 0, 1])),
            _write(bytes([GYRO_MODULE, POWER_REGISTER, 0])),
            _write(bytes([GYRO_MODULE, INTERRUPT_REGISTER, 0, 1])),
            _write(bytes([ACC_MODULE, registers.acc_packed, 0])),
            _write(bytes([GYRO_MODULE, registers.gyro_packed, 0])),
        ]

    def new_decoder(self, rate_hz: float) -> MetaMotionDecoder:
        """A :class:`MetaMotionDecoder` for this IMU and the profile's ranges.

        No timestamps or counters are sent, so the rate is not needed.
        """
        return MetaMotionDecoder(self.imu, *self._ranges())

    def _ranges(self) -> tuple[float, float]:
        if self.acc_range_g is None or self.gyro_range_dps is None:
            raise ValueError("a MetaMotion profile needs acc_range_g and gyro_range_dps")
        return self.acc_range_g, self.gyro_range_dps


_AXIS_NOTES = (
    "Axes x, y, z of the Bosch IMU as mounted on the board; the device notes give no axis "
    "drawing (UNCERTAIN), so data are returned as reported, taken as right-handed. Check "
    "with the static and rotation test in firmware_notes/README.md."
)


LABELS: dict[Imu, str] = {
    "bmi160": "MbientLab MetaMotion R/C/RL (BMI160)",
    "bmi270": "MbientLab MetaMotion S (BMI270)",
}


def _profile(imu: Imu) -> MetaMotionProfile:
    return MetaMotionProfile(
        model="metamotion",
        label=LABELS[imu],
        name_prefixes=("MetaWear",),
        service_uuids=(SERVICE_UUID,),
        notify_uuids=(NOTIFY_UUID,),
        command_uuid=COMMAND_UUID,
        rates_hz=RATES_HZ,
        acc_range_g=16.0,
        gyro_range_dps=2000.0,
        axis_notes=_AXIS_NOTES,
        imu=imu,
    )


PROFILE = _profile("bmi160")
"""MetaMotion R/C/RL; ±16 g and ±2000 deg/s leave room for fast thigh swings. The
collector asks each board for its IMU (:meth:`MetaMotionProfile.identify_commands`) and
switches to :data:`PROFILE_BMI270` for a MetaMotion S."""
PROFILE_BMI270 = _profile("bmi270")


class VirtualMetaMotion:
    """A MetaWear board: module info, sensor config, subscriptions, interrupts, power.

    A sensor sends data while it is powered, its data interrupt is enabled and one of its
    data registers is subscribed. The virtual board samples both sensors at the
    accelerometer's rate (``rate_hz``); notifications go accelerometer first, then
    gyroscope, per group of samples (3 when a packed register is subscribed).

    Parameters
    ----------
    imu : {"bmi160", "bmi270"}
    rate_hz : float
        Power-up rate of both sensors, Hz.
    acc_range_g, gyro_range_dps : float
        Power-up ranges (the gyroscope's is UNCERTAIN on the real board).
    name : str
        Advertised name.
    """

    def __init__(
        self,
        imu: Imu = "bmi160",
        rate_hz: float = 100.0,
        acc_range_g: float = DEFAULT_ACC_RANGE_G,
        gyro_range_dps: float = 2000.0,
        name: str = "MetaWear",
    ) -> None:
        self.imu = imu
        self.advertised_name = name
        self.advertised_service_uuids = (SERVICE_UUID,)
        self.rate_hz = rate_hz
        self.acc_range_g = acc_range_g
        self.gyro_range_dps = gyro_range_dps
        self._powered: set[int] = set()
        self._interrupt: set[int] = set()
        self._subscribed: set[tuple[int, int]] = set()
        self._queue = SampleQueue()

    @property
    def streaming(self) -> bool:
        """Whether either sensor is sending data."""
        return self._sending(ACC_MODULE) or self._sending(GYRO_MODULE)

    def _sending(self, module: int) -> bool:
        subscribed = any(m == module for m, _ in self._subscribed)
        return subscribed and module in self._powered and module in self._interrupt

    def gatt_services(self) -> list[ServiceSpec]:
        """MetaWear service: command 9001 (write), notify 9006."""
        return [
            ServiceSpec(
                SERVICE_UUID,
                (
                    CharacteristicSpec(
                        COMMAND_UUID, frozenset({"write", "write_without_response"})
                    ),
                    CharacteristicSpec(NOTIFY_UUID, frozenset({"notify"})),
                ),
            )
        ]

    def on_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        """Apply one command; module-info reads are answered, other modules ignored."""
        if char_uuid.lower() != COMMAND_UUID or len(data) < 2:
            return []
        module, register, args = data[0], data[1], data[2:]
        if register == READ_BIT:
            return [(NOTIFY_UUID, self._module_info(module))]
        if module not in (ACC_MODULE, GYRO_MODULE) or not args:
            return []
        if register == POWER_REGISTER:
            self._toggle(self._powered, module, args[0] != 0)
        elif register == INTERRUPT_REGISTER and len(args) == 2:
            enable_mask, disable_mask = args
            if enable_mask & 1:
                self._interrupt.add(module)
            if disable_mask & 1:
                self._interrupt.discard(module)
        elif register == CONFIG_REGISTER and len(args) == 2:
            self._configure(module, args[0], args[1])
        elif register in self._data_registers(module):
            self._toggle(self._subscribed, (module, register), args[0] == 1)
        if not self.streaming:
            self._queue.clear()
        return []

    @staticmethod
    def _toggle(members: set, member: object, on: bool) -> None:
        """Add ``member`` to ``members`` or remove it."""
        if on:
            members.add(member)
        else:
            members.discard(member)

    def _module_info(self, module: int) -> bytes:
        if module == ACC_MODULE:
            tail = [ACC_IMPLEMENTATION[self.imu], MODULE_REVISION[self.imu]]
        elif module == GYRO_MODULE:
            tail = [GYRO_IMPLEMENTATION[self.imu], MODULE_REVISION[self.imu]]
        else:
            tail = []
        return bytes([module, READ_BIT, *tail])

    def _data_registers(self, module: int) -> dict[int, int]:
        """Data register -> samples per notification, for one sensor."""
        registers = DATA_REGISTERS[self.imu]
        if module == ACC_MODULE:
            return {registers.acc: 1, registers.acc_packed: PACKED_SAMPLES}
        return {registers.gyro: 1, registers.gyro_packed: PACKED_SAMPLES}

    def _configure(self, module: int, odr_byte: int, range_code: int) -> None:
        rate_hz = odr_hz(odr_byte & 0x0F)
        if module == ACC_MODULE:
            ranges = {code: g for g, code in ACC_RANGE_CODES[self.imu].items()}
            self.rate_hz = rate_hz
            self.acc_range_g = ranges.get(range_code, self.acc_range_g)
        else:
            ranges = {code: dps for dps, code in GYRO_RANGE_CODES.items()}
            self.gyro_range_dps = ranges.get(range_code, self.gyro_range_dps)

    def encode(
        self, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, device_t_s: np.ndarray
    ) -> list[Notification]:
        """Data notifications for the subscribed registers (``device_t_s`` is not sent)."""
        acc, gyr, t = check_samples(acc_m_s2, gyr_rad_s, device_t_s)
        if not self.streaming:
            return []
        self._queue.push(acc, gyr, t)
        group = max(self._data_registers(module)[register] for module, register in self._subscribed)
        acc_groups, gyr_groups, _ = self._queue.pop_groups(group)
        acc_counts = to_int16(acc_groups / STANDARD_GRAVITY_M_S2, acc_lsb_per_g(self.acc_range_g))
        gyr_counts = to_int16(np.degrees(gyr_groups), GYRO_LSB_PER_DPS[self.gyro_range_dps])
        notifications = []
        for acc_group, gyr_group in zip(acc_counts, gyr_counts, strict=True):
            for module, counts in ((ACC_MODULE, acc_group), (GYRO_MODULE, gyr_group)):
                if not self._sending(module):
                    continue
                for register, samples in sorted(self._data_registers(module).items()):
                    if (module, register) not in self._subscribed:
                        continue
                    for chunk in np.split(counts, group // samples):
                        notifications.append(
                            (NOTIFY_UUID, bytes([module, register]) + chunk.tobytes())
                        )
        return notifications
