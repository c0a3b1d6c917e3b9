"""sensorlab's own BLE IMU profile, for do-it-yourself nRF52 / ESP32 boards (format 1).

One 128-bit service with a notify characteristic for data and a write characteristic for
commands. A data packet is an 8-byte little-endian header (format version u8, sample
count u8, sequence number of the first sample u16, device time of the first sample u32 in
microseconds) followed by ``count`` samples of six int16: acceleration x, y, z at 2048
counts per g (±16 g) and angular rate x, y, z at 16.4 counts per deg/s (±2000 deg/s).
Samples in a packet are consecutive, ``1 / rate_hz`` apart. Up to 19 samples fit a
244-byte ATT payload (data length extension); at the default 23-byte MTU a packet holds
one sample in exactly 20 bytes. ``01 <rate u16>`` starts streaming (sequence from 0),
``00`` stops.

The full specification, for firmware authors, is ``firmware_notes/diy.md``; this module
is its reference implementation (decoder and virtual device).
"""

from __future__ import annotations

import math
import struct
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
    to_int16,
)
from sensorlab.units import STANDARD_GRAVITY_M_S2

SERVICE_UUID = "30870001-e788-47fa-9ee1-21abc4f7e36f"
DATA_UUID = "30870002-e788-47fa-9ee1-21abc4f7e36f"
COMMAND_UUID = "30870003-e788-47fa-9ee1-21abc4f7e36f"
NAME_PREFIX = "sensorlab-"

FORMAT_VERSION = 1
HEADER = struct.Struct("<BBHI")
"""Format version, sample count, sequence of the first sample, its device time (us)."""
SAMPLE_BYTES = 12
ACC_RANGE_G = 16.0
GYRO_RANGE_DPS = 2000.0
ACC_LSB_PER_G = 2048.0
GYRO_LSB_PER_DPS = 16.4

RATES_HZ = (25.0, 50.0, 100.0, 200.0, 400.0)
STOP, START = 0x00, 0x01
STOP_COMMAND = bytes([STOP])
DEFAULT_ATT_PAYLOAD_BYTES = 244
"""ATT payload with data length extension (MTU 247)."""
PACKETS_PER_S = 50
"""Target notification rate: samples are batched so that about this many go per second."""
SEQ_MODULUS = 2**16
TIME_MODULUS = 2**32


def start_command(rate_hz: float) -> bytes:
    """``01 <rate_hz as uint16>`` (e.g. 100 Hz: ``01 64 00``)."""
    return bytes([START]) + int(rate_hz).to_bytes(2, "little")


def max_samples_per_packet(att_payload_bytes: int) -> int:
    """Samples that fit one notification: 1 at 20 bytes, 19 at 244."""
    fit = (att_payload_bytes - HEADER.size) // SAMPLE_BYTES
    if fit < 1:
        raise ValueError(f"an ATT payload of {att_payload_bytes} bytes cannot hold a sample")
    return min(fit, 255)


def samples_per_packet(rate_hz: float, att_payload_bytes: int) -> int:
    """Samples the firmware puts in each packet: ``ceil(rate / 50)``, at most what fits."""
    wanted = max(1, math.ceil(rate_hz / PACKETS_PER_S))
    return min(wanted, max_samples_per_packet(att_payload_bytes))


@dataclass(frozen=True)
class DiyPacket:
    """One data packet.

    Attributes
    ----------
    seq : int
        16-bit sequence number of the first sample.
    device_t_us : int
        32-bit device time of the first sample, microseconds.
    acc_m_s2, gyr_rad_s : ndarray of float64, shape (n, 3)
        Samples in the sensor frame.
    """

    seq: int
    device_t_us: int
    acc_m_s2: np.ndarray
    gyr_rad_s: np.ndarray


def decode_packet(payload: bytes) -> DiyPacket:
    """Parse one data packet.

    Raises
    ------
    DecodeError
        Empty or truncated, a format version other than 1, a sample count of 0, or a
        length other than ``8 + 12 * count``.
    """
    if not payload:
        raise DecodeError("empty payload")
    if len(payload) < HEADER.size:
        raise DecodeError(f"truncated: {len(payload)} of {HEADER.size} header bytes")
    version, count, seq, device_t_us = HEADER.unpack_from(payload)
    if version != FORMAT_VERSION:
        raise DecodeError(f"bad header: format version {version}")
    if count == 0:
        raise DecodeError("bad header: sample count 0")
    expected = HEADER.size + SAMPLE_BYTES * count
    if len(payload) < expected:
        raise DecodeError(f"truncated: {len(payload)} of {expected} bytes")
    if len(payload) > expected:
        raise DecodeError(f"wrong length: {len(payload)} bytes for {count} samples")
    counts = np.frombuffer(payload, dtype="<i2", offset=HEADER.size).reshape(count, 6)
    return DiyPacket(
        seq,
        device_t_us,
        counts[:, :3] / ACC_LSB_PER_G * STANDARD_GRAVITY_M_S2,
        np.radians(counts[:, 3:] / GYRO_LSB_PER_DPS),
    )


def encode_packet(seq: int, device_t_us: int, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray) -> bytes:
    """A data packet, quantised and saturated as the firmware must."""
    counts = np.column_stack(
        [
            to_int16(np.asarray(acc_m_s2) / STANDARD_GRAVITY_M_S2, ACC_LSB_PER_G),
            to_int16(np.degrees(gyr_rad_s), GYRO_LSB_PER_DPS),
        ]
    )
    header = HEADER.pack(FORMAT_VERSION, len(counts), seq % SEQ_MODULUS, device_t_us % TIME_MODULUS)
    return header + counts.astype("<i2").tobytes()


class DiyDecoder:
    """Decoder for the data characteristic.

    ``seq`` is the sequence unwrapped into a continuous count (first sample's value plus
    its index), ``device_t_s`` the unwrapped device time of the first sample plus
    ``i / rate_hz``.

    Parameters
    ----------
    rate_hz : float
        Rate the stream was started at.
    """

    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = rate_hz
        self._seq = CounterUnwrapper(SEQ_MODULUS)
        self._clock_us = CounterUnwrapper(TIME_MODULUS)

    def feed(self, char_uuid: str, payload: bytes) -> DecodedSamples:
        """The samples of one packet."""
        if char_uuid.lower() != DATA_UUID:
            raise DecodeError(f"not the data characteristic: {char_uuid}")
        packet = decode_packet(payload)
        index = np.arange(len(packet.acc_m_s2))
        first_s = self._clock_us(packet.device_t_us) / 1e6
        return DecodedSamples(
            packet.acc_m_s2,
            packet.gyr_rad_s,
            device_t_s=first_s + index / self.rate_hz,
            seq=self._seq(packet.seq) + index,
        )


@dataclass(frozen=True)
class DiyProfile(DeviceProfile):
    """Start with the rate, stop with ``00``."""

    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        """``01 <rate u16>`` (write with response)."""
        return [GattWrite(COMMAND_UUID, start_command(self.nearest_rate(rate_hz)), True)]

    def stop_commands(self) -> list[GattWrite]:
        """``00``."""
        return [GattWrite(COMMAND_UUID, STOP_COMMAND, True)]

    def new_decoder(self, rate_hz: float) -> DiyDecoder:
        """A :class:`DiyDecoder` for the rate ``start_commands(rate_hz)`` chose."""
        return DiyDecoder(self.nearest_rate(rate_hz))


PROFILE = DiyProfile(
    model="diy",
    label="sensorlab DIY board (nRF52 / ESP32, format 1)",
    name_prefixes=(NAME_PREFIX,),
    service_uuids=(SERVICE_UUID,),
    notify_uuids=(DATA_UUID,),
    command_uuid=COMMAND_UUID,
    rates_hz=RATES_HZ,
    acc_range_g=ACC_RANGE_G,
    gyro_range_dps=GYRO_RANGE_DPS,
    axis_notes=(
        "Right-handed sensor frame fixed by firmware_notes/diy.md: the IMU chip's x, y, z "
        "(remapped by the firmware if the chip is not right-handed), marked on the case; "
        "specific force (+1 g on the up axis at rest), angular rate positive "
        "counter-clockwise looking down the axis. Returned as sent."
    ),
    battery_uuid=BATTERY_LEVEL_UUID,
    clock_period_s=TIME_MODULUS / 1e6,
)


class VirtualDiy:
    """A DIY board running format 1 firmware.

    ``01 <rate>`` starts (or restarts) streaming at the supported rate nearest ``rate``
    (rate 0 is ignored) with the sequence from 0; ``00`` stops and drops pending samples.

    Parameters
    ----------
    rate_hz : float
        Rate before any start command, Hz.
    att_payload_bytes : int
        Negotiated ATT payload (MTU - 3): 244 with data length extension, 20 by default.
    name : str
        Advertised name (scan response), ``sensorlab-`` and a board id.
    battery_pct : int
        Battery level.
    """

    advertised_service_uuids = (SERVICE_UUID,)

    def __init__(
        self,
        rate_hz: float = 100.0,
        att_payload_bytes: int = DEFAULT_ATT_PAYLOAD_BYTES,
        name: str = "sensorlab-0001",
        battery_pct: int = 100,
    ) -> None:
        self.rate_hz = rate_hz
        self.att_payload_bytes = att_payload_bytes
        self.advertised_name = name
        self.battery_pct = battery_pct
        self.streaming = False
        self._seq = 0
        self._queue = SampleQueue()

    def gatt_services(self) -> list[ServiceSpec]:
        """The DIY service (data notify, command write) and the standard battery service."""
        return [
            ServiceSpec(
                SERVICE_UUID,
                (
                    CharacteristicSpec(DATA_UUID, frozenset({"notify"})),
                    CharacteristicSpec(COMMAND_UUID, frozenset({"write"})),
                ),
            ),
            battery_service(self.battery_pct),
        ]

    def on_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        """Apply START or STOP; anything else is ignored. No notification in reply."""
        if char_uuid.lower() != COMMAND_UUID:
            return []
        if data == STOP_COMMAND:
            self.streaming = False
            self._queue.clear()
        elif len(data) == 3 and data[0] == START:
            requested_hz = int.from_bytes(data[1:], "little")
            if requested_hz:
                self.rate_hz = PROFILE.nearest_rate(requested_hz)
                self.streaming, self._seq = True, 0
                self._queue.clear()
        return []

    def encode(
        self, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, device_t_s: np.ndarray
    ) -> list[Notification]:
        """Packets of :func:`samples_per_packet` samples, stamped with the first one's time."""
        acc, gyr, t = check_samples(acc_m_s2, gyr_rad_s, device_t_s)
        if not self.streaming:
            return []
        self._queue.push(acc, gyr, t)
        size = samples_per_packet(self.rate_hz, self.att_payload_bytes)
        notifications = []
        for acc_group, gyr_group, t_group in zip(*self._queue.pop_groups(size), strict=True):
            t_us = round(float(t_group[0]) * 1e6)
            notifications.append((DATA_UUID, encode_packet(self._seq, t_us, acc_group, gyr_group)))
            self._seq = (self._seq + size) % SEQ_MODULUS
        return notifications
