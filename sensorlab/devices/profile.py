"""What every supported BLE IMU model provides: a profile, a decoder and a virtual device.

The device layer is pure computation: bytes in and arrays out (decoders), arrays in and
bytes out (virtual devices). Nothing here touches Bluetooth, asyncio or files; the
collector (bleak) and the virtual stack (bumble) call it from the edges.

- :class:`DeviceProfile`: how the collector recognises a model in a scan, which
  characteristics it uses, which rates and ranges it sets, and the writes that start and
  stop streaming (:class:`GattWrite`).
- :class:`PacketDecoder`: notification payloads to :class:`DecodedSamples` in sensorlab's
  internal units (specific force in m/s^2, angular rate in rad/s, device time in s), in
  the device's own sensor frame. Garbage raises :class:`DecodeError` and leaves the
  decoder ready for the next good packet.
- :class:`VirtualDevice`: the inverse, a pure model of the device's GATT behaviour
  (commands change its state as on the real device; samples become the notification
  payloads the real device would send).

Device facts come from the project's device notes (``ble-devices.md``, summarised per
model in ``firmware_notes/``), which cite the vendor sources.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
"""Bluetooth SIG Battery Service."""

BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
"""Bluetooth SIG Battery Level characteristic: one uint8, percent."""

INT16_MIN, INT16_MAX = -32768, 32767

Notification = tuple[str, bytes]
"""A notification a (virtual) device sends: characteristic UUID and payload."""


class DecodeError(ValueError):
    """A payload that is not a valid packet of the expected kind.

    Parameters
    ----------
    reason : str
        Short, specific reason, e.g. ``"truncated: 14 of 20 bytes"`` or
        ``"bad header 0x54 0x61"``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class GattWrite:
    """One write the central performs.

    Attributes
    ----------
    char_uuid : str
        Characteristic written (128-bit UUID, lower case).
    data : bytes
        Value written.
    response : bool
        Write with response (True) or write without response (False).
    pause_after_s : float
        Time to wait after this write before the next one, seconds (WitMotion wants
        about 0.1 s between unlock, write and save).
    """

    char_uuid: str
    data: bytes
    response: bool
    pause_after_s: float = 0.0


@dataclass(frozen=True)
class DecodedSamples:
    """Samples decoded from one notification, in sensorlab's internal units.

    Attributes
    ----------
    acc_m_s2 : ndarray of float64, shape (n, 3)
        Specific force in the device's sensor frame, m/s^2 (at rest the up axis reads
        about +9.81).
    gyr_rad_s : ndarray of float64, shape (n, 3)
        Angular rate in the device's sensor frame, right-handed, rad/s.
    device_t_s : ndarray of float64, shape (n,), or None
        Device clock of each sample, seconds, for devices that stamp samples; wraps of
        the device's clock field are unwrapped by the decoder.
    seq : ndarray of int64, shape (n,), or None
        Per-sample device counter, unwrapped into a continuous count by the decoder,
        for devices that count samples.
    extra : dict of str to ndarray, shape (n,)
        Further per-sample columns a device sends (e.g. ``roll_deg``); may be empty.
    """

    acc_m_s2: np.ndarray
    gyr_rad_s: np.ndarray
    device_t_s: np.ndarray | None = None
    seq: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> DecodedSamples:
        """No samples (a notification that carried none, e.g. a command reply)."""
        return cls(np.empty((0, 3)), np.empty((0, 3)))

    def __len__(self) -> int:
        return int(self.acc_m_s2.shape[0])


class PacketDecoder(Protocol):
    """Turns one device's notifications into samples, in arrival order."""

    def feed(self, char_uuid: str, payload: bytes) -> DecodedSamples:
        """Decode one notification.

        Parameters
        ----------
        char_uuid : str
            Characteristic the notification came from.
        payload : bytes
            Its value.

        Returns
        -------
        DecodedSamples
            The samples completed by this notification (possibly none).

        Raises
        ------
        DecodeError
            If the payload is not a valid packet; the decoder's state is unchanged.
        """
        ...


PROPERTY_NAMES = ("read", "write", "write_without_response", "notify")
"""Characteristic properties a :class:`CharacteristicSpec` may list."""


@dataclass(frozen=True)
class CharacteristicSpec:
    """One characteristic of a device's GATT table.

    The one description of a characteristic: the device models list theirs in
    :meth:`VirtualDevice.gatt_services`, and the virtual radio
    (:class:`sensorlab.virtual.PeripheralSpec`) serves it.

    Attributes
    ----------
    uuid : str
        16-bit (``"ffe4"``), 32-bit or 128-bit UUID, in any case (the device models give
        128-bit, lower case).
    properties : frozenset of str
        Some of :data:`PROPERTY_NAMES`; any iterable of them is accepted.
    value : bytes
        Initial value: what a read returns until a write changes it.

    Raises
    ------
    ValueError
        If ``properties`` is empty or names a property not in :data:`PROPERTY_NAMES`.
    """

    uuid: str
    properties: frozenset[str]
    value: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "properties", frozenset(self.properties))
        object.__setattr__(self, "value", bytes(self.value))
        unknown = sorted(self.properties - set(PROPERTY_NAMES))
        if not self.properties or unknown:
            raise ValueError(
                f"characteristic {self.uuid}: properties must be some of {PROPERTY_NAMES}, "
                f"got {sorted(self.properties)!r}"
            )


@dataclass(frozen=True)
class ServiceSpec:
    """One primary service of a device's GATT table."""

    uuid: str
    characteristics: tuple[CharacteristicSpec, ...]


def battery_service(level_pct: int) -> ServiceSpec:
    """The standard Battery Service with its Battery Level (read, notify)."""
    return ServiceSpec(
        BATTERY_SERVICE_UUID,
        (
            CharacteristicSpec(
                BATTERY_LEVEL_UUID, frozenset({"read", "notify"}), bytes([level_pct])
            ),
        ),
    )


class VirtualDevice(Protocol):
    """A pure model of one device, for virtual sensors on a virtual Bluetooth stack.

    Writes from the central go to :meth:`on_write`, which changes ``streaming`` and
    ``rate_hz`` exactly as the real device's commands do; while streaming,
    :meth:`encode` turns samples into the notifications the real device would send.
    """

    @property
    def advertised_name(self) -> str:
        """Name in the advertisement (or scan response)."""
        ...

    @property
    def advertised_service_uuids(self) -> tuple[str, ...]:
        """Service UUIDs listed in the advertisement."""
        ...

    @property
    def streaming(self) -> bool:
        """Whether the device is sending samples."""
        ...

    @property
    def rate_hz(self) -> float:
        """Current output rate, Hz."""
        ...

    def gatt_services(self) -> list[ServiceSpec]:
        """The GATT table the device exposes."""
        ...

    def on_write(self, char_uuid: str, data: bytes) -> list[Notification]:
        """Apply a write from the central; return the notifications it triggers."""
        ...

    def encode(
        self, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, device_t_s: np.ndarray
    ) -> list[Notification]:
        """Notifications for the next samples taken at ``rate_hz`` (none unless streaming).

        Parameters
        ----------
        acc_m_s2 : array_like, shape (n, 3)
            Specific force in the sensor frame, m/s^2.
        gyr_rad_s : array_like, shape (n, 3)
            Angular rate in the sensor frame, rad/s.
        device_t_s : array_like, shape (n,)
            Device clock at each sample, seconds (used by devices that stamp samples).

        Returns
        -------
        list of (str, bytes)
            Characteristic UUID and payload of each notification, in sending order,
            quantised as the device quantises. Devices that pack several samples per
            notification keep the remainder until the next call.
        """
        ...


@dataclass(frozen=True)
class DeviceProfile(ABC):
    """What the collector needs to know about one device model.

    Attributes
    ----------
    model : str
        Key: ``witmotion``, ``metamotion``, ``movesense``, ``dot`` or ``diy``.
    label : str
        Human-readable model name.
    name_prefixes : tuple of str
        Advertised-name prefixes that identify the model.
    service_uuids : tuple of str
        Advertised service UUIDs that identify the model (only distinctive ones).
    notify_uuids : tuple of str
        Characteristics to enable notifications on before starting.
    command_uuid : str
        Characteristic that takes commands.
    rates_hz : tuple of float
        Output rates the collector may choose, Hz, ascending.
    acc_range_g : float or None
        Accelerometer range the start commands leave the device in, g (``None`` where
        the device notes do not state it and the protocol cannot set it).
    gyro_range_dps : float or None
        Gyroscope range likewise, deg/s.
    axis_notes : str
        The device's axis convention and what the decoder does about it.
    battery_uuid : str or None
        Characteristic holding the battery level, where the notes give one.
    clock_period_s : float or None
        Period after which the device clock wraps to 0, s: the decoder unwraps it within
        a connection, the collector across reconnections (``None``: no device clock, or
        one that is not continued across reconnections).
    """

    model: str
    label: str
    name_prefixes: tuple[str, ...]
    service_uuids: tuple[str, ...]
    notify_uuids: tuple[str, ...]
    command_uuid: str
    rates_hz: tuple[float, ...]
    acc_range_g: float | None
    gyro_range_dps: float | None
    axis_notes: str
    battery_uuid: str | None = None
    clock_period_s: float | None = None

    def matches(self, name: str | None, service_uuids: list[str]) -> bool:
        """Whether a scanned device with this name and these service UUIDs is this model."""
        if name and name.startswith(self.name_prefixes):
            return True
        advertised = {uuid.lower() for uuid in service_uuids}
        return any(uuid in advertised for uuid in self.service_uuids)

    def nearest_rate(self, rate_hz: float) -> float:
        """The supported rate closest to ``rate_hz`` (the lower one on a tie), Hz."""
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be positive, got {rate_hz}")
        return min(self.rates_hz, key=lambda supported: (abs(supported - rate_hz), supported))

    def decode_battery(self, payload: bytes) -> int:
        """Battery level in percent from a read or notification of ``battery_uuid``."""
        return decode_battery_level(payload)

    def identify_commands(self) -> list[GattWrite]:
        """Writes asking a connected device which variant of the model it is.

        The answer is a notification of ``notify_uuids`` (none: the model has one variant).
        """
        return []

    def variant_from_reply(self, payload: bytes) -> DeviceProfile | None:
        """The profile of the variant that a notification names.

        ``None`` if the notification is not the reply to :meth:`identify_commands`.

        Raises
        ------
        DecodeError
            If it is the reply but names a variant sensorlab does not know.
        """
        return None

    @abstractmethod
    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        """Writes that configure the device and start streaming at ``nearest_rate(rate_hz)``.

        Enable notifications on ``notify_uuids`` first.
        """

    @abstractmethod
    def stop_commands(self) -> list[GattWrite]:
        """Writes that stop streaming."""

    @abstractmethod
    def new_decoder(self, rate_hz: float) -> PacketDecoder:
        """A decoder for a stream started with ``start_commands(rate_hz)``."""


def decode_battery_level(payload: bytes) -> int:
    """Battery Level (0x2A19): one uint8, 0-100 percent.

    Raises
    ------
    DecodeError
        If the payload is not one byte of at most 100.
    """
    if len(payload) != 1:
        raise DecodeError(f"wrong length: battery level is 1 byte, got {len(payload)}")
    if payload[0] > 100:
        raise DecodeError(f"battery level {payload[0]} % is above 100")
    return int(payload[0])


def finite_float32(payload: bytes, offset: int = 0, count: int = -1) -> np.ndarray:
    """Little-endian float32 values of a payload as float64, all finite.

    The exponent bits are checked before any arithmetic, so a NaN or infinity in the
    payload raises :class:`DecodeError` (and no floating-point warning).
    """
    bits = np.frombuffer(payload, dtype="<u4", count=count, offset=offset)
    if ((bits & 0x7F800000) == 0x7F800000).any():
        raise DecodeError("non-finite value in payload")
    return bits.view("<f4").astype(np.float64)


def to_int16(values: np.ndarray, lsb_per_unit: float) -> np.ndarray:
    """Quantise to int16 counts as a device does: nearest count, saturated at the extremes."""
    counts = np.clip(np.rint(np.asarray(values) * lsb_per_unit), INT16_MIN, INT16_MAX)
    return counts.astype("<i2")


def check_samples(
    acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, device_t_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples for :meth:`VirtualDevice.encode` as float64 arrays of matching lengths.

    Raises
    ------
    ValueError
        If the shapes are not (n, 3), (n, 3), (n,) or a value is not finite.
    """
    acc = np.asarray(acc_m_s2, dtype=np.float64)
    gyr = np.asarray(gyr_rad_s, dtype=np.float64)
    t = np.asarray(device_t_s, dtype=np.float64)
    n = t.shape[0] if t.ndim == 1 else -1
    if acc.shape != (n, 3) or gyr.shape != (n, 3):
        raise ValueError(
            "expected acc_m_s2 (n, 3), gyr_rad_s (n, 3), device_t_s (n,); got "
            f"{acc.shape}, {gyr.shape}, {t.shape}"
        )
    if not (np.isfinite(acc).all() and np.isfinite(gyr).all() and np.isfinite(t).all()):
        raise ValueError("samples must be finite")
    return acc, gyr, t


class CounterUnwrapper:
    """A wrapping device counter or clock field as a continuous count.

    Each value is read as the smallest step from the previous one, forward or back
    (``-modulus/2 .. modulus/2 - 1``): a wrap continues the count, a loss of fewer than
    ``modulus/2`` counts shows as a larger step, and a device restart shows as a step
    back. The first value is its own count.

    Parameters
    ----------
    modulus : int
        Range of the field (65536 for 16 bits, 2**32 for 32 bits).
    """

    def __init__(self, modulus: int) -> None:
        self.modulus = modulus
        self._last: int | None = None

    def __call__(self, raw: int) -> int:
        """The continuous count of the next value ``raw``."""
        if self._last is None:
            self._last = int(raw)
        else:
            half = self.modulus // 2
            self._last += (int(raw) - self._last + half) % self.modulus - half
        return self._last


class SampleQueue:
    """Samples a virtual device has taken but not yet sent (for devices that pack)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Drop everything pending (streaming stopped)."""
        self._acc = np.empty((0, 3))
        self._gyr = np.empty((0, 3))
        self._t = np.empty(0)

    def push(self, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, device_t_s: np.ndarray) -> None:
        """Append samples (already checked by :func:`check_samples`)."""
        self._acc = np.concatenate([self._acc, acc_m_s2])
        self._gyr = np.concatenate([self._gyr, gyr_rad_s])
        self._t = np.concatenate([self._t, device_t_s])

    def pop_groups(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Take as many whole groups of ``size`` samples as are pending.

        Returns
        -------
        acc, gyr : ndarray, shape (m, size, 3)
        device_t : ndarray, shape (m, size)
        """
        m = self._t.shape[0] // size
        k = m * size
        groups = (
            self._acc[:k].reshape(m, size, 3),
            self._gyr[:k].reshape(m, size, 3),
            self._t[:k].reshape(m, size),
        )
        self._acc, self._gyr, self._t = self._acc[k:], self._gyr[k:], self._t[k:]
        return groups
