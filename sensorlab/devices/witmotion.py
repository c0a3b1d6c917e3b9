"""WitMotion BLE 5.0 IMUs (WT901BLECL 5.0, BWT901BLE5.0): ``55 61`` frames and commands.

The sensor pushes one 20-byte ``55 61`` frame per sample on 0xFFE4, continuously and
without counter or timestamp: accelerometer, gyroscope and angle as int16 over fixed
ranges (±16 g, ±2000 deg/s, ±180 deg). Commands are 5-byte register writes
``FF AA <reg> <lo> <hi>`` on 0xFFE9; a register read ``FF AA 27 <reg> 00`` is answered
with a ``55 71`` frame holding 8 registers from ``<reg>`` on, interleaved with the data.

Source: ``ble-devices.md`` section 1 (WITMOTION/WitBluetooth_BWT901BLE5_0 SDKs,
WITMOTION/WitStandardProtocol_JY901 ``REG.h``, WT901BLECL manual); see
``firmware_notes/witmotion.md``. UNCERTAIN there and here: the maximum rate sustained
over BLE (200 Hz is the highest code offered), the axis convention (not documented),
whether rate code 0x0D ("none") stops the BLE output (used by :meth:`stop_commands`), and
whether a ``55 71`` frame is ever 22 bytes (such frames are rejected).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensorlab.devices.profile import (
    CharacteristicSpec,
    DecodedSamples,
    DecodeError,
    DeviceProfile,
    GattWrite,
    Notification,
    ServiceSpec,
    check_samples,
    to_int16,
)
from sensorlab.units import STANDARD_GRAVITY_M_S2

SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

FRAME_BYTES = 20
HEADER = 0x55
DATA_FLAG = 0x61
REPLY_FLAG = 0x71
REPLY_REGISTERS = 8

ACC_LSB_PER_G = 32768 / 16.0
"""Fixed ±16 g range: raw / 32768 * 16 g."""
GYRO_LSB_PER_DPS = 32768 / 2000.0
"""Fixed ±2000 deg/s range: raw / 32768 * 2000 deg/s."""
ANGLE_LSB_PER_DEG = 32768 / 180.0
"""Angles: raw / 32768 * 180 deg."""
ANGLE_COLUMNS = ("roll_deg", "pitch_deg", "yaw_deg")
"""``extra`` keys of the device's angle about x, y and z."""

RATE_REGISTER = 0x03
READ_REGISTER = 0x27
SAVE_REGISTER = 0x00
UNLOCK = bytes.fromhex("FFAA6988B5")
SAVE = bytes.fromhex("FFAA000000")

RATE_CODES: dict[float, int] = {
    0.2: 0x01,
    0.5: 0x02,
    1.0: 0x03,
    2.0: 0x04,
    5.0: 0x05,
    10.0: 0x06,
    20.0: 0x07,
    50.0: 0x08,
    100.0: 0x09,
    200.0: 0x0B,
}
"""Output-rate codes of register 0x03, Hz -> code (0x0A, 125 Hz, is WT931 only)."""
RATES_BY_CODE = {code: rate_hz for rate_hz, code in RATE_CODES.items()}
NO_OUTPUT_CODE = 0x0D
"""Rate code "none": no output (UNCERTAIN whether BLE 5.0 firmware honours it)."""
DEFAULT_RATE_HZ = 10.0

TEMPERATURE_REGISTER = 0x40
TEMPERATURE_C_PER_LSB = 0.01
BATTERY_VOLTAGE_REGISTER = 0x64
BATTERY_V_PER_LSB = 0.01
QUATERNION_REGISTER = 0x51
QUATERNION_PER_LSB = 1 / 32768
MAG_REGISTER = 0x3A
"""Magnetometer X, Y, Z: the scale is UNCERTAIN (raw mG, raw/120 or a type table)."""

PAUSE_S = 0.1
"""Pause between unlock, write and save (manuals and the C# SDK)."""


def command(register: int, value: int) -> bytes:
    """Register write ``FF AA <reg> <value lo> <value hi>``."""
    return bytes([0xFF, 0xAA, register, value & 0xFF, (value >> 8) & 0xFF])


def rate_command(rate_hz: float) -> bytes:
    """Set the output rate (one of :data:`RATE_CODES`)."""
    return command(RATE_REGISTER, RATE_CODES[rate_hz])


def read_register_command(register: int) -> bytes:
    """Ask for a ``55 71`` reply with 8 registers from ``register`` on."""
    return command(READ_REGISTER, register)


def split_frames(payload: bytes) -> np.ndarray:
    """Check a notification and cut it into 20-byte frames.

    A notification normally holds one frame; whole concatenated frames are accepted,
    partial ones are not reassembled (the sample is then lost).

    Returns
    -------
    ndarray of uint8, shape (k, 20)

    Raises
    ------
    DecodeError
        Empty, truncated or not a whole number of frames, or a header other than
        ``55 61`` / ``55 71``.
    """
    size = len(payload)
    if size == 0:
        raise DecodeError("empty payload")
    if size < FRAME_BYTES:
        raise DecodeError(f"truncated: {size} of {FRAME_BYTES} bytes")
    if size % FRAME_BYTES:
        raise DecodeError(f"wrong length: {size} bytes is not a whole number of frames")
    # On the bytes: a notification holds a frame or a few, 600 a second from 3 sensors.
    for start in range(0, size, FRAME_BYTES):
        first, flag = payload[start], payload[start + 1]
        if first != HEADER or flag not in (DATA_FLAG, REPLY_FLAG):
            raise DecodeError(f"bad header 0x{first:02X} 0x{flag:02X}")
    return np.frombuffer(payload, dtype=np.uint8).reshape(-1, FRAME_BYTES)


def decode_data_frames(frames: np.ndarray) -> DecodedSamples:
    """Samples from ``55 61`` frames (rows of :func:`split_frames`).

    Returns acceleration in m/s^2 and angular rate in rad/s in the sensor frame as
    reported, and the device's angles in ``extra`` (``roll_deg``, ``pitch_deg``,
    ``yaw_deg``). No counter or timestamp: ``seq`` and ``device_t_s`` are ``None``.
    """
    raw = np.ascontiguousarray(frames[:, 2:]).view("<i2").astype(np.float64)
    angle_deg = raw[:, 6:9] / ANGLE_LSB_PER_DEG
    return DecodedSamples(
        acc_m_s2=raw[:, 0:3] / ACC_LSB_PER_G * STANDARD_GRAVITY_M_S2,
        gyr_rad_s=np.radians(raw[:, 3:6] / GYRO_LSB_PER_DPS),
        extra={name: angle_deg[:, axis] for axis, name in enumerate(ANGLE_COLUMNS)},
    )


def decode_register_reply(frame: np.ndarray) -> dict[int, int]:
    """Registers from one ``55 71`` frame: register number -> value (as int16).

    Scales: :data:`TEMPERATURE_C_PER_LSB`, :data:`BATTERY_V_PER_LSB`,
    :data:`QUATERNION_PER_LSB`; the magnetometer's is UNCERTAIN.
    """
    raw = np.ascontiguousarray(frame[2:]).view("<i2")
    start = int(raw[0]) & 0xFFFF
    return {start + i: int(value) for i, value in enumerate(raw[1:])}


def encode_data_frames(
    acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, angle_deg: np.ndarray
) -> list[bytes]:
    """``55 61`` frames for samples, quantised and saturated as the device does."""
    raw = np.empty((len(acc_m_s2), FRAME_BYTES // 2), dtype="<i2")
    raw[:, 0] = np.frombuffer(bytes([HEADER, DATA_FLAG]), dtype="<i2")[0]
    raw[:, 1:4] = to_int16(np.asarray(acc_m_s2) / STANDARD_GRAVITY_M_S2, ACC_LSB_PER_G)
    raw[:, 4:7] = to_int16(np.degrees(gyr_rad_s), GYRO_LSB_PER_DPS)
    raw[:, 7:10] = to_int16(angle_deg, ANGLE_LSB_PER_DEG)
    return [row.tobytes() for row in raw]


def encode_register_reply(start: int, registers: dict[int, int]) -> bytes:
    """A ``55 71`` reply with the 8 registers from ``start`` on (absent ones read 0)."""
    values = [registers.get(start + i, 0) & 0xFFFF for i in range(REPLY_REGISTERS)]
    words = np.array([start & 0xFFFF, *values], dtype="<u2")
    return bytes([HEADER, REPLY_FLAG]) + words.tobytes()


class WitMotionDecoder:
    """Decoder for the 0xFFE4 notifications.

    Attributes
    ----------
    registers_ : dict of int to int
        Latest value of every register seen in a ``55 71`` reply (as int16).
    """

    def __init__(self) -> None:
        self.registers_: dict[int, int] = {}

    def feed(self, char_uuid: str, payload: bytes) -> DecodedSamples:
        """Samples of the ``55 61`` frames; ``55 71`` replies update ``registers_``."""
        if char_uuid.lower() != NOTIFY_UUID:
            raise DecodeError(f"not the data characteristic: {char_uuid}")
        frames = split_frames(payload)
        if REPLY_FLAG not in payload[1::FRAME_BYTES]:  # the usual case: data frames only
            return decode_data_frames(frames)
        is_data = frames[:, 1] == DATA_FLAG
        for frame in frames[~is_data]:
            self.registers_.update(decode_register_reply(frame))
        if not is_data.any():
            return DecodedSamples.empty()
        return decode_data_frames(frames[is_data])


@dataclass(frozen=True)
class WitMotionProfile(DeviceProfile):
    """WitMotion BLE 5.0: set the rate (unlock, write, save); the device streams by itself."""

    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        """Unlock, set the output rate, save (``ble-devices.md`` 1.4)."""
        return [
            GattWrite(WRITE_UUID, UNLOCK, True, PAUSE_S),
            GattWrite(WRITE_UUID, rate_command(self.nearest_rate(rate_hz)), True, PAUSE_S),
            GattWrite(WRITE_UUID, SAVE, True),
        ]

    def stop_commands(self) -> list[GattWrite]:
        """Unlock and set rate code "none", not saved (UNCERTAIN; power-cycling restores)."""
        return [
            GattWrite(WRITE_UUID, UNLOCK, True, PAUSE_S),
            GattWrite(WRITE_UUID, command(RATE_REGISTER, NO_OUTPUT_CODE), True),
        ]

    def new_decoder(self, rate_hz: float) -> WitMotionDecoder:
        """A :class:`WitMotionDecoder` (frames carry no time, so the rate is not needed)."""
        return WitMotionDecoder()


PROFILE = WitMotionProfile(
    model="witmotion",
    label="WitMotion WT901BLECL 5.0 / BWT901BLE5.0",
    name_prefixes=("WT",),
    service_uuids=(),
    notify_uuids=(NOTIFY_UUID,),
    command_uuid=WRITE_UUID,
    rates_hz=tuple(RATE_CODES),
    acc_range_g=16.0,
    gyro_range_dps=2000.0,
    axis_notes=(
        "Axes x, y, z as printed on the case; the device notes give no axis drawing or "
        "handedness (UNCERTAIN), so data are returned as reported, taken as right-handed. "
        "Check with the static and rotation test in firmware_notes/README.md."
    ),
)
"""Recognised by name only: 0xFFE5 is a generic serial-over-BLE service UUID."""


class VirtualWitMotion:
    """A WitMotion BLE 5.0 sensor: streams ``55 61`` frames, answers register reads.

    It streams from power-up at ``rate_hz`` (the real default is 10 Hz). Rate writes take
    effect at once, with or without unlock and save; rate code "none" stops the output.
    The angle fields are sent as zero (no fusion runs here).

    Parameters
    ----------
    rate_hz : float
        Output rate at power-up, one of :data:`RATE_CODES`.
    name : str
        Advertised name.
    temperature_c, battery_v : float
        What the temperature and battery-voltage registers read.
    """

    advertised_service_uuids: tuple[str, ...] = ()

    def __init__(
        self,
        rate_hz: float = DEFAULT_RATE_HZ,
        name: str = "WT901BLE67",
        temperature_c: float = 25.0,
        battery_v: float = 3.9,
    ) -> None:
        if rate_hz not in RATE_CODES:
            raise ValueError(f"rate_hz must be one of {sorted(RATE_CODES)}, got {rate_hz}")
        self.advertised_name = name
        self.rate_hz = rate_hz
        self.streaming = True
        self.registers = {
            RATE_REGISTER: RATE_CODES[rate_hz],
            TEMPERATURE_REGISTER: round(temperature_c / TEMPERATURE_C_PER_LSB),
            BATTERY_VOLTAGE_REGISTER: round(battery_v / BATTERY_V_PER_LSB),
            QUATERNION_REGISTER: 32767,
        }

    def gatt_services(self) -> list[ServiceSpec]:
        """Service 0xFFE5: notify 0xFFE4, write 0xFFE9."""
        return [
            ServiceSpec(
                SERVICE_UUID,
                (
                    CharacteristicSpec(NOTIFY_UUID, frozenset({"notify"})),
                    CharacteristicSpec(WRITE_UUID, frozenset({"write", "write_without_response"})),
                ),
            )
        ]

    def on_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        """Rate writes change the output, register reads are answered, the rest is ignored."""
        if char_uuid.lower() != WRITE_UUID or len(data) != 5 or data[:2] != b"\xff\xaa":
            return []
        register, value = data[2], data[3] | data[4] << 8
        if register == READ_REGISTER:
            return [(NOTIFY_UUID, encode_register_reply(value, self.registers))]
        if register == RATE_REGISTER:
            if value in RATES_BY_CODE:
                self.rate_hz, self.streaming = RATES_BY_CODE[value], True
                self.registers[RATE_REGISTER] = value
            elif value == NO_OUTPUT_CODE:
                self.streaming = False
                self.registers[RATE_REGISTER] = value
        return []

    def encode(
        self, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, device_t_s: np.ndarray
    ) -> list[Notification]:
        """One ``55 61`` frame per sample while streaming (``device_t_s`` is not sent)."""
        acc, gyr, _ = check_samples(acc_m_s2, gyr_rad_s, device_t_s)
        if not self.streaming:
            return []
        frames = encode_data_frames(acc, gyr, np.zeros_like(acc))
        return [(NOTIFY_UUID, frame) for frame in frames]
