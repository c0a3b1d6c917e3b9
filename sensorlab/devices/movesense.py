"""Movesense with the gatt_sensordata_app firmware: IMU6 subscription over one GATT pair.

Commands ``[command][client reference][data]`` go to 0x0001 (write with response); the
sensor answers and streams on 0x0002 (notify) with ``[type][reference][...]``: type 1 is
a command result (status code), type 2 data. Subscribing to ``/Meas/IMU6/<rate>`` gives
packets ``[02][ref][uint32 timestamp ms][N x acc 3 x float32][N x gyro 3 x float32]``:
arrays grouped by sensor, acceleration in m/s^2 and angular rate in deg/s, N from the
length. The stock firmware speaks a different protocol (MDS); this one needs
gatt_sensordata_app flashed.

Source: ``ble-devices.md`` section 3 (movesense-device-lib ``gatt_sensordata_app``,
EvanKat/movesense_bleak, sensein/movesense-py, MariahSabioni/movesense-data-recorder); see
``firmware_notes/movesense.md``. UNCERTAIN there and here: whether the packet timestamp
is that of the first sample (assumed: sample ``i`` is at ``t0 + i / rate_hz``), how
DATA_PART2 packets reassemble (they raise :class:`DecodeError`), the ranges (the
protocol used here cannot set or read them), the axis convention, the advertised name,
and the byte order of the status code (big-endian, from the one example ``01 FB`` = 507).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensorlab.devices.profile import (
    BATTERY_LEVEL_UUID,
    CharacteristicSpec,
    CounterUnwrapper,
    DecodedSamples,
    DecodeError,
    DeviceProfile,
    GattWrite,
    Notification,
    SampleQueue,
    ServiceSpec,
    battery_service,
    check_samples,
    finite_float32,
)
from sensorlab.units import STANDARD_GRAVITY_M_S2

SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
COMMAND_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
DATA_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"

HELLO, SUBSCRIBE, UNSUBSCRIBE = 0, 1, 2
"""Command bytes."""
RESULT, DATA, DATA_PART2 = 1, 2, 3
"""Notification types."""
STATUS_OK = 200
STATUS_NOT_FOUND = 404
"""What the virtual sensor answers for a path it does not serve (not from the notes)."""

RATES_HZ = (13.0, 26.0, 52.0, 104.0, 208.0, 416.0, 833.0, 1666.0)
CLIENT_REFERENCE = 99
"""Reference sensorlab uses for its IMU6 subscription (any non-zero byte would do)."""
HEADER_BYTES = 6
IMU6_SAMPLE_BYTES = 24
TIMESTAMP_MODULUS = 2**32


def imu6_path(rate_hz: float) -> str:
    """Resource path of the acc + gyro stream, e.g. ``/Meas/IMU6/52``."""
    return f"/Meas/IMU6/{round(rate_hz)}"


def subscribe_command(reference: int, path: str) -> bytes:
    """``01 <ref> <path as ASCII>`` (no terminator)."""
    return bytes([SUBSCRIBE, reference]) + path.encode("ascii")


def unsubscribe_command(reference: int) -> bytes:
    """``02 <ref>``."""
    return bytes([UNSUBSCRIBE, reference])


@dataclass(frozen=True)
class CommandResult:
    """A type-1 notification: the result of the command sent with ``reference``."""

    reference: int
    body: bytes

    @property
    def status(self) -> int | None:
        """HTTP-like status for a 2-byte body (big-endian), else ``None`` (e.g. HELLO)."""
        return int.from_bytes(self.body, "big") if len(self.body) == 2 else None


def decode_result(payload: bytes) -> CommandResult:
    """Parse ``01 <ref> <body>``.

    Raises
    ------
    DecodeError
        If shorter than 2 bytes or not of type 1.
    """
    if len(payload) < 2:
        raise DecodeError(f"truncated: {len(payload)} of 2 header bytes")
    if payload[0] != RESULT:
        raise DecodeError(f"bad header 0x{payload[0]:02X} 0x{payload[1]:02X}")
    return CommandResult(payload[1], bytes(payload[2:]))


def encode_result(reference: int, status: int) -> bytes:
    """``01 <ref> <status, big-endian>``."""
    return bytes([RESULT, reference]) + status.to_bytes(2, "big")


@dataclass(frozen=True)
class Imu6Packet:
    """One IMU6 data notification.

    Attributes
    ----------
    reference : int
        Client reference of the subscription.
    timestamp_ms : int
        Sensor clock, milliseconds (uint32), taken to be the first sample's time.
    acc_m_s2, gyr_rad_s : ndarray of float64, shape (n, 3)
        Samples in the sensor frame; the gyroscope converted from deg/s.
    """

    reference: int
    timestamp_ms: int
    acc_m_s2: np.ndarray
    gyr_rad_s: np.ndarray


def decode_imu6(payload: bytes) -> Imu6Packet:
    """Parse an IMU6 data notification.

    Raises
    ------
    DecodeError
        Empty or truncated, not of type 2, a length other than 6 + 24 n (n >= 1), or a
        non-finite value.
    """
    if not payload:
        raise DecodeError("empty payload")
    if len(payload) < HEADER_BYTES + IMU6_SAMPLE_BYTES:
        raise DecodeError(
            f"truncated: {len(payload)} of at least {HEADER_BYTES + IMU6_SAMPLE_BYTES} bytes"
        )
    if payload[0] != DATA:
        raise DecodeError(f"bad header 0x{payload[0]:02X} 0x{payload[1]:02X}")
    n, remainder = divmod(len(payload) - HEADER_BYTES, IMU6_SAMPLE_BYTES)
    if remainder:
        raise DecodeError(f"wrong length: {len(payload)} bytes is not 6 + 24 n (IMU6)")
    timestamp_ms = int(np.frombuffer(payload, dtype="<u4", count=1, offset=2)[0])
    values = finite_float32(payload, offset=HEADER_BYTES)
    acc, gyr_dps = values[: 3 * n].reshape(n, 3), values[3 * n :].reshape(n, 3)
    return Imu6Packet(payload[1], timestamp_ms, acc, np.radians(gyr_dps))


def encode_imu6(
    reference: int, timestamp_ms: int, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray
) -> bytes:
    """An IMU6 data notification (values rounded to float32 as the sensor sends them)."""
    header = bytes([DATA, reference]) + timestamp_ms.to_bytes(4, "little")
    acc = np.asarray(acc_m_s2, dtype="<f4")
    gyr_dps = np.degrees(gyr_rad_s).astype("<f4")
    return header + acc.tobytes() + gyr_dps.tobytes()


class MovesenseDecoder:
    """Decoder for the 0x0002 notifications of one IMU6 subscription.

    Parameters
    ----------
    rate_hz : float
        Subscribed rate: sample ``i`` of a packet is at ``t0 + i / rate_hz``.
    reference : int
        Client reference of the subscription; data for another reference is rejected.

    Attributes
    ----------
    last_result_ : CommandResult or None
        The latest command result (e.g. status 507: no free subscription slot).
    """

    def __init__(self, rate_hz: float, reference: int = CLIENT_REFERENCE) -> None:
        self.rate_hz = rate_hz
        self.reference = reference
        self.last_result_: CommandResult | None = None
        self._clock_ms = CounterUnwrapper(TIMESTAMP_MODULUS)

    def feed(self, char_uuid: str, payload: bytes) -> DecodedSamples:
        """Samples of a data packet; command results update ``last_result_``."""
        if char_uuid.lower() != DATA_UUID:
            raise DecodeError(f"not the data characteristic: {char_uuid}")
        if payload and payload[0] == RESULT:
            self.last_result_ = decode_result(payload)
            return DecodedSamples.empty()
        if payload and payload[0] == DATA_PART2:
            raise DecodeError("DATA_PART2 packet: reassembly is UNCERTAIN, not decoded")
        packet = decode_imu6(payload)
        if packet.reference != self.reference:
            raise DecodeError(f"data for reference {packet.reference}, expected {self.reference}")
        first_s = self._clock_ms(packet.timestamp_ms) / 1000.0
        n = len(packet.acc_m_s2)
        return DecodedSamples(
            packet.acc_m_s2, packet.gyr_rad_s, device_t_s=first_s + np.arange(n) / self.rate_hz
        )


@dataclass(frozen=True)
class MovesenseProfile(DeviceProfile):
    """Subscribe to ``/Meas/IMU6/<rate>`` with :data:`CLIENT_REFERENCE`; unsubscribe."""

    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        """``01 63 "/Meas/IMU6/<rate>"`` (write with response)."""
        path = imu6_path(self.nearest_rate(rate_hz))
        return [GattWrite(COMMAND_UUID, subscribe_command(CLIENT_REFERENCE, path), True)]

    def stop_commands(self) -> list[GattWrite]:
        """``02 63``."""
        return [GattWrite(COMMAND_UUID, unsubscribe_command(CLIENT_REFERENCE), True)]

    def new_decoder(self, rate_hz: float) -> MovesenseDecoder:
        """A :class:`MovesenseDecoder` for the rate ``start_commands(rate_hz)`` chose."""
        return MovesenseDecoder(self.nearest_rate(rate_hz))


PROFILE = MovesenseProfile(
    model="movesense",
    label="Movesense (gatt_sensordata_app firmware)",
    name_prefixes=("Movesense",),
    service_uuids=(SERVICE_UUID,),
    notify_uuids=(DATA_UUID,),
    command_uuid=COMMAND_UUID,
    rates_hz=RATES_HZ,
    acc_range_g=None,
    gyro_range_dps=None,
    axis_notes=(
        "Axes x, y, z of the sensor as it reports them; the device notes give no axis "
        "drawing (UNCERTAIN), so data are returned as reported, taken as right-handed. "
        "Check with the static and rotation test in firmware_notes/README.md."
    ),
    battery_uuid=BATTERY_LEVEL_UUID,
    clock_period_s=TIMESTAMP_MODULUS / 1e3,
)
"""Ranges ``None``: the firmware's defaults are not in the notes and this protocol cannot
set them (values are floats, so decoding does not depend on them)."""


class VirtualMovesense:
    """A Movesense running gatt_sensordata_app, serving one IMU6 subscription.

    HELLO is answered ``01 <ref> Hello``; a subscription to ``/Meas/IMU6/<rate>`` (with or
    without the leading slash, a supported rate) starts streaming and is answered with
    status 200, another path with 404; unsubscribing the same reference stops it
    (status 200). A new subscription replaces the old one.

    Parameters
    ----------
    rate_hz : float
        Rate before any subscription, Hz.
    acc_range_g, gyro_range_dps : float
        Values are clipped to these ranges.
    samples_per_packet : int
        Samples per data notification (the real firmware's choice is not in the notes;
        4 samples are 102 bytes, within the firmware's 161-byte MTU).
    name : str
        Advertised name.
    battery_pct : int
        Battery level read from 0x2A19.
    """

    advertised_service_uuids: tuple[str, ...] = ()

    def __init__(
        self,
        rate_hz: float = 52.0,
        acc_range_g: float = 16.0,
        gyro_range_dps: float = 2000.0,
        samples_per_packet: int = 4,
        name: str = "Movesense 000000000000",
        battery_pct: int = 100,
    ) -> None:
        self.rate_hz = rate_hz
        self.acc_range_g = acc_range_g
        self.gyro_range_dps = gyro_range_dps
        self.samples_per_packet = samples_per_packet
        self.advertised_name = name
        self.battery_pct = battery_pct
        self.streaming = False
        self._reference: int | None = None
        self._queue = SampleQueue()

    def gatt_services(self) -> list[ServiceSpec]:
        """GSP service (command write, data notify) and the standard battery service."""
        return [
            ServiceSpec(
                SERVICE_UUID,
                (
                    CharacteristicSpec(COMMAND_UUID, frozenset({"write"})),
                    CharacteristicSpec(DATA_UUID, frozenset({"notify"})),
                ),
            ),
            battery_service(self.battery_pct),
        ]

    def on_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        """Apply HELLO, SUBSCRIBE or UNSUBSCRIBE; reply on the data characteristic."""
        if char_uuid.lower() != COMMAND_UUID or len(data) < 2 or data[1] == 0:
            return []
        command, reference, body = data[0], data[1], bytes(data[2:])
        if command == HELLO:
            return [(DATA_UUID, bytes([RESULT, reference]) + b"Hello")]
        if command == SUBSCRIBE:
            rate_hz = _imu6_rate(body)
            if rate_hz is None:
                return [(DATA_UUID, encode_result(reference, STATUS_NOT_FOUND))]
            self.rate_hz, self.streaming, self._reference = rate_hz, True, reference
            self._queue.clear()
            return [(DATA_UUID, encode_result(reference, STATUS_OK))]
        if command == UNSUBSCRIBE and reference == self._reference:
            self.streaming, self._reference = False, None
            self._queue.clear()
            return [(DATA_UUID, encode_result(reference, STATUS_OK))]
        return []

    def encode(
        self, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, device_t_s: np.ndarray
    ) -> list[Notification]:
        """IMU6 packets of ``samples_per_packet`` samples, stamped with the first one's time."""
        acc, gyr, t = check_samples(acc_m_s2, gyr_rad_s, device_t_s)
        if not self.streaming or self._reference is None:
            return []
        acc_limit = self.acc_range_g * STANDARD_GRAVITY_M_S2
        gyr_limit = np.radians(self.gyro_range_dps)
        self._queue.push(
            np.clip(acc, -acc_limit, acc_limit), np.clip(gyr, -gyr_limit, gyr_limit), t
        )
        accs, gyrs, times = self._queue.pop_groups(self.samples_per_packet)
        return [
            (DATA_UUID, encode_imu6(self._reference, _ms(times_group[0]), acc_group, gyr_group))
            for acc_group, gyr_group, times_group in zip(accs, gyrs, times, strict=True)
        ]


def _ms(t_s: float) -> int:
    """Device time as the sensor's wrapping uint32 millisecond clock."""
    return round(t_s * 1000.0) % TIMESTAMP_MODULUS


def _imu6_rate(path_bytes: bytes) -> float | None:
    """The rate of an ``[/]Meas/IMU6/<rate>`` path, if supported."""
    try:
        path = path_bytes.decode("ascii")
    except UnicodeDecodeError:
        return None
    parts = path.removeprefix("/").split("/")
    if len(parts) != 3 or parts[:2] != ["Meas", "IMU6"] or not parts[2].isdigit():
        return None
    rate_hz = float(parts[2])
    return rate_hz if rate_hz in RATES_HZ else None
