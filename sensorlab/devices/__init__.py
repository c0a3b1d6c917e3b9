"""The pure device layer of the BLE collector: one module per sensor model.

Each model module (:mod:`~sensorlab.devices.witmotion`, :mod:`~sensorlab.devices.metamotion`,
:mod:`~sensorlab.devices.movesense`, :mod:`~sensorlab.devices.dot`,
:mod:`~sensorlab.devices.diy`) holds its profile (``PROFILE``), decoder and virtual device;
the shared vocabulary is in :mod:`~sensorlab.devices.profile`. Per-device notes are in
``firmware_notes/``.
"""

from __future__ import annotations

from collections.abc import Callable

from sensorlab.devices import diy, dot, metamotion, movesense, witmotion
from sensorlab.devices.profile import (
    DecodedSamples,
    DecodeError,
    DeviceProfile,
    GattWrite,
    PacketDecoder,
    VirtualDevice,
)

__all__ = [
    "PROFILES",
    "VIRTUAL_DEVICES",
    "DecodeError",
    "DecodedSamples",
    "DeviceProfile",
    "GattWrite",
    "PacketDecoder",
    "VirtualDevice",
    "identify",
]

PROFILES: dict[str, DeviceProfile] = {
    profile.model: profile
    for profile in (
        witmotion.PROFILE,
        metamotion.PROFILE,
        movesense.PROFILE,
        dot.PROFILE,
        diy.PROFILE,
    )
}
"""Profile per model key. ``metamotion`` is the BMI160 board (R/C/RL); the collector
asks each board which variant it is (:meth:`DeviceProfile.identify_commands`) and a
MetaMotion S gets :data:`sensorlab.devices.metamotion.PROFILE_BMI270`."""

VIRTUAL_DEVICES: dict[str, Callable[..., VirtualDevice]] = {
    "witmotion": witmotion.VirtualWitMotion,
    "metamotion": metamotion.VirtualMetaMotion,
    "movesense": movesense.VirtualMovesense,
    "dot": dot.VirtualDot,
    "diy": diy.VirtualDiy,
}
"""Virtual device class per model key (keyword arguments: see each class)."""


def identify(name: str | None, service_uuids: list[str]) -> DeviceProfile | None:
    """The profile of a scanned device, from its advertised name and service UUIDs.

    Parameters
    ----------
    name : str or None
        Advertised (local) name.
    service_uuids : list of str
        Advertised service UUIDs.

    Returns
    -------
    DeviceProfile or None
        The first matching profile, or ``None`` for a device sensorlab does not know.
    """
    return next((p for p in PROFILES.values() if p.matches(name, service_uuids)), None)
