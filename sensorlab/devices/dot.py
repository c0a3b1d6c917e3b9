"""Movella (Xsens) DOT: real-time streaming in payload mode 21, "rate quantities".

The measurement service's control characteristic 0x2001 takes ``[01 measurement][01 start
or 00 stop][payload mode]``. Mode 21 sends one sample per notification on the medium
payload characteristic 0x2003: uint32 timestamp (microseconds, sensor clock, wrapping at
2**32), calibrated acceleration in the sensor frame (3 x float32, m/s^2, gravity
included) and angular velocity (3 x float32, deg/s). There is no sample counter; the
timestamp reveals losses. The output rate is a field of the 32-byte device-control
characteristic 0x1002 and cannot change once measuring.

Source: ``ble-devices.md`` section 4 (Movella DOT BLE Service Specification XD0506P
Rev C, xsens/xsens_dot_server, protobioengineering/xsens-dot-python-examples); see
``firmware_notes/dot.md``. UNCERTAIN there and here: the byte offsets of the
device-control struct (visit-index bitmask at byte 0, output rate uint16 at byte 24),
whether mode-21 notifications come as 28 bytes or zero-padded to the characteristic's 40
(both are accepted), the axis and sign convention (one real export read about -9.65
m/s^2 on z at rest, sensor pose unknown), and the ranges (not in the notes).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from sensorlab.devices.profile import (
    CharacteristicSpec,
    CounterUnwrapper,
    DecodedSamples,
    DecodeError,
    DeviceProfile,
    GattWrite,
    Notification,
    ServiceSpec,
    check_samples,
    finite_float32,
)
from sensorlab.units import STANDARD_GRAVITY_M_S2


def _uuid(short: int) -> str:
    """A UUID on the DOT base ``1517xxxx-4947-11e9-8646-d663bd873d93``."""
    return f"1517{short:04x}-4947-11e9-8646-d663bd873d93"


CONFIGURATION_SERVICE_UUID = _uuid(0x1000)
DEVICE_INFO_UUID = _uuid(0x1001)
DEVICE_CONTROL_UUID = _uuid(0x1002)
DEVICE_REPORT_UUID = _uuid(0x1004)
MEASUREMENT_SERVICE_UUID = _uuid(0x2000)
CONTROL_UUID = _uuid(0x2001)
LONG_PAYLOAD_UUID = _uuid(0x2002)
MEDIUM_PAYLOAD_UUID = _uuid(0x2003)
SHORT_PAYLOAD_UUID = _uuid(0x2004)
BATTERY_SERVICE_UUID = _uuid(0x3000)
BATTERY_UUID = _uuid(0x3001)

MEASUREMENT = 0x01
START, STOP = 0x01, 0x00
RATE_QUANTITIES = 21
"""Payload mode 21: timestamp, acceleration, angular velocity (medium payload)."""

RATES_HZ = (1.0, 4.0, 10.0, 12.0, 15.0, 20.0, 30.0, 60.0)
"""Streaming rates; 120 Hz is for on-sensor recording only."""
DEFAULT_RATE_HZ = 60.0

DEVICE_CONTROL_BYTES = 32
OUTPUT_RATE_VISIT_BIT = 1 << 4
OUTPUT_RATE_OFFSET = 24
"""Byte offset of the output rate (uint16) in the device-control struct: UNCERTAIN."""
DEVICE_INFO_BYTES = 34

RATE_QUANTITIES_BYTES = 28
MEDIUM_PAYLOAD_BYTES = 40
TIMESTAMP_MODULUS = 2**32
_RATE_QUANTITIES = struct.Struct("<I6f")


def measurement_command(start: bool, mode: int = RATE_QUANTITIES) -> bytes:
    """Control ``01 01 <mode>`` (start) or ``01 00 <mode>`` (stop)."""
    return bytes([MEASUREMENT, START if start else STOP, mode])


def output_rate_command(rate_hz: float) -> bytes:
    """Device-control write that sets only the output rate (offsets UNCERTAIN).

    32 bytes: the visit-index bitmask at byte 0 with only the output-rate bit (b4) set,
    the rate as uint16 at byte 24, zeros elsewhere (not visited).
    """
    if rate_hz not in RATES_HZ:
        raise ValueError(f"rate_hz must be one of {RATES_HZ}, got {rate_hz}")
    value = bytearray(DEVICE_CONTROL_BYTES)
    value[0] = OUTPUT_RATE_VISIT_BIT
    struct.pack_into("<H", value, OUTPUT_RATE_OFFSET, int(rate_hz))
    return bytes(value)


@dataclass(frozen=True)
class RateQuantities:
    """One mode-21 sample: ``timestamp_us`` (uint32), ``acc_m_s2`` and ``gyr_rad_s`` (3,)."""

    timestamp_us: int
    acc_m_s2: np.ndarray
    gyr_rad_s: np.ndarray


def decode_rate_quantities(payload: bytes) -> RateQuantities:
    """Parse a mode-21 notification (28 bytes, or zero-padded up to 40).

    Raises
    ------
    DecodeError
        Empty, shorter than 28 or longer than 40 bytes, non-zero bytes after byte 28
        (another payload mode), or a non-finite value.
    """
    if not payload:
        raise DecodeError("empty payload")
    if len(payload) < RATE_QUANTITIES_BYTES:
        raise DecodeError(f"truncated: {len(payload)} of {RATE_QUANTITIES_BYTES} bytes")
    if len(payload) > MEDIUM_PAYLOAD_BYTES:
        raise DecodeError(f"wrong length: {len(payload)} bytes, at most {MEDIUM_PAYLOAD_BYTES}")
    if any(payload[RATE_QUANTITIES_BYTES:]):
        raise DecodeError(f"wrong length: {len(payload)} bytes with data after byte 28")
    (timestamp_us,) = struct.unpack_from("<I", payload)
    values = finite_float32(payload, offset=4, count=6)
    return RateQuantities(timestamp_us, values[:3], np.radians(values[3:]))


def encode_rate_quantities(timestamp_us: int, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray) -> bytes:
    """A mode-21 notification, zero-padded to the medium payload's 40 bytes."""
    packed = _RATE_QUANTITIES.pack(timestamp_us, *acc_m_s2, *np.degrees(gyr_rad_s))
    return packed.ljust(MEDIUM_PAYLOAD_BYTES, b"\x00")


def decode_battery(payload: bytes) -> tuple[int, bool]:
    """Battery characteristic 0x3001: (level in percent, charging).

    Raises
    ------
    DecodeError
        If not 2 bytes, the level above 100 or the charging flag not 0 or 1.
    """
    if len(payload) != 2:
        raise DecodeError(f"wrong length: battery is 2 bytes, got {len(payload)}")
    level, charging = payload[0], payload[1]
    if level > 100 or charging > 1:
        raise DecodeError(f"bad battery value {bytes(payload).hex(' ')}")
    return level, bool(charging)


class DotDecoder:
    """Decoder for mode-21 notifications on the medium payload characteristic.

    ``device_t_s`` is the timestamp unwrapped across its 2**32 us (71.6 min) wrap; ``seq``
    is ``None`` (no counter in this mode).
    """

    def __init__(self) -> None:
        self._clock_us = CounterUnwrapper(TIMESTAMP_MODULUS)

    def feed(self, char_uuid: str, payload: bytes) -> DecodedSamples:
        """The one sample of a notification."""
        if char_uuid.lower() != MEDIUM_PAYLOAD_UUID:
            raise DecodeError(f"not the medium payload characteristic: {char_uuid}")
        sample = decode_rate_quantities(payload)
        return DecodedSamples(
            sample.acc_m_s2[np.newaxis],
            sample.gyr_rad_s[np.newaxis],
            device_t_s=np.array([self._clock_us(sample.timestamp_us) / 1e6]),
        )


@dataclass(frozen=True)
class DotProfile(DeviceProfile):
    """Set the output rate, then start payload mode 21."""

    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        """Output rate via device control (before measuring), then ``01 01 15``."""
        return [
            GattWrite(DEVICE_CONTROL_UUID, output_rate_command(self.nearest_rate(rate_hz)), True),
            GattWrite(CONTROL_UUID, measurement_command(start=True), True),
        ]

    def stop_commands(self) -> list[GattWrite]:
        """``01 00 15``."""
        return [GattWrite(CONTROL_UUID, measurement_command(start=False), True)]

    def new_decoder(self, rate_hz: float) -> DotDecoder:
        """A :class:`DotDecoder` (each sample carries its own timestamp)."""
        return DotDecoder()

    def decode_battery(self, payload: bytes) -> int:
        """Level in percent from the DOT's own battery characteristic."""
        return decode_battery(payload)[0]


PROFILE = DotProfile(
    model="dot",
    label="Movella (Xsens) DOT",
    name_prefixes=("Xsens DOT", "Movella DOT"),
    service_uuids=(),
    notify_uuids=(MEDIUM_PAYLOAD_UUID,),
    command_uuid=CONTROL_UUID,
    rates_hz=RATES_HZ,
    acc_range_g=None,
    gyro_range_dps=None,
    axis_notes=(
        "Sensor-frame axes as the DOT reports them; the device notes give no axis drawing "
        "or sign convention (UNCERTAIN: one real export read z about -9.65 m/s^2 at rest, "
        "pose unknown), so data are returned as reported, taken as right-handed specific "
        "force. Check with the static and rotation test in firmware_notes/README.md."
    ),
    battery_uuid=BATTERY_UUID,
    clock_period_s=TIMESTAMP_MODULUS / 1e6,
)


class VirtualDot:
    """A DOT that streams mode 21 on the medium payload characteristic.

    A device-control write with the output-rate bit sets the rate while not measuring;
    ``01 01 15`` starts, ``01 00 <any mode>`` stops. Other payload modes are not
    simulated (starting one is ignored). The device-info characteristic reads zeros.

    Parameters
    ----------
    rate_hz : float
        Output rate at power-up (the real default is 60 Hz).
    acc_range_g, gyro_range_dps : float
        Values are clipped to these ranges (the real ones are not in the notes).
    name : str
        Advertised name.
    battery_pct : int
        Battery level.
    """

    advertised_service_uuids: tuple[str, ...] = ()

    def __init__(
        self,
        rate_hz: float = DEFAULT_RATE_HZ,
        acc_range_g: float = 16.0,
        gyro_range_dps: float = 2000.0,
        name: str = "Movella DOT",
        battery_pct: int = 100,
    ) -> None:
        self.rate_hz = rate_hz
        self.acc_range_g = acc_range_g
        self.gyro_range_dps = gyro_range_dps
        self.advertised_name = name
        self.battery_pct = battery_pct
        self.streaming = False

    def gatt_services(self) -> list[ServiceSpec]:
        """Configuration, measurement and battery services (message service omitted)."""
        control = bytearray(DEVICE_CONTROL_BYTES)
        struct.pack_into("<H", control, OUTPUT_RATE_OFFSET, int(self.rate_hz))
        notify = frozenset({"notify"})
        read_write = frozenset({"read", "write"})
        return [
            ServiceSpec(
                CONFIGURATION_SERVICE_UUID,
                (
                    CharacteristicSpec(
                        DEVICE_INFO_UUID, frozenset({"read"}), bytes(DEVICE_INFO_BYTES)
                    ),
                    CharacteristicSpec(DEVICE_CONTROL_UUID, read_write, bytes(control)),
                    CharacteristicSpec(DEVICE_REPORT_UUID, notify),
                ),
            ),
            ServiceSpec(
                MEASUREMENT_SERVICE_UUID,
                (
                    CharacteristicSpec(CONTROL_UUID, read_write, bytes(3)),
                    CharacteristicSpec(LONG_PAYLOAD_UUID, notify),
                    CharacteristicSpec(MEDIUM_PAYLOAD_UUID, notify),
                    CharacteristicSpec(SHORT_PAYLOAD_UUID, notify),
                ),
            ),
            ServiceSpec(
                BATTERY_SERVICE_UUID,
                (
                    CharacteristicSpec(
                        BATTERY_UUID, frozenset({"read", "notify"}), bytes([self.battery_pct, 0])
                    ),
                ),
            ),
        ]

    def on_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        """Apply a rate or measurement write; the DOT answers neither with a notification."""
        uuid = char_uuid.lower()
        if uuid == DEVICE_CONTROL_UUID and len(data) == DEVICE_CONTROL_BYTES:
            (rate_hz,) = struct.unpack_from("<H", data, OUTPUT_RATE_OFFSET)
            if data[0] & OUTPUT_RATE_VISIT_BIT and rate_hz in RATES_HZ and not self.streaming:
                self.rate_hz = float(rate_hz)
        elif uuid == CONTROL_UUID and len(data) == 3 and data[0] == MEASUREMENT:
            if data[1] == START and data[2] == RATE_QUANTITIES:
                self.streaming = True
            elif data[1] == STOP:
                self.streaming = False
        return []

    def encode(
        self, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, device_t_s: np.ndarray
    ) -> list[Notification]:
        """One notification per sample, stamped with its device time in microseconds."""
        acc, gyr, t = check_samples(acc_m_s2, gyr_rad_s, device_t_s)
        if not self.streaming:
            return []
        acc_limit = self.acc_range_g * STANDARD_GRAVITY_M_S2
        gyr_limit = np.radians(self.gyro_range_dps)
        acc, gyr = np.clip(acc, -acc_limit, acc_limit), np.clip(gyr, -gyr_limit, gyr_limit)
        stamps_us = np.rint(t * 1e6).astype(np.int64) % TIMESTAMP_MODULUS
        return [
            (MEDIUM_PAYLOAD_UUID, encode_rate_quantities(int(stamp), a, g))
            for stamp, a, g in zip(stamps_us, acc, gyr, strict=True)
        ]
