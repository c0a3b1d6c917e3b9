"""Virtual BLE sensors on a real Bluetooth stack (Google's bumble), driven through bleak.

For tests and demos without an adapter: :class:`VirtualRadio` runs peripherals described
as plain data on bumble's in-process link, with optional radio realism (connection-event
batching, loss, RSSI, dropped links, absent sensors); :func:`scanner_kwargs` and
:func:`client_kwargs` point unchanged bleak code (``BleakScanner``, ``BleakClient``) at it.
See :mod:`sensorlab.ble.virtual.link` and :mod:`sensorlab.ble.virtual.backend` for what is
modelled and which bleak/bumble internals are relied upon (both versions are pinned).
"""

from sensorlab.ble.virtual.backend import (
    VirtualBleakClient,
    VirtualBleakScanner,
    client_backend,
    client_kwargs,
    scanner_backend,
    scanner_kwargs,
)
from sensorlab.ble.virtual.link import (
    LINUX_SUPERVISION_TIMEOUT_S,
    PROPERTY_NAMES,
    CharacteristicSpec,
    LinkStats,
    PeripheralSpec,
    RadioConditions,
    VirtualPeripheral,
    VirtualRadio,
)

__all__ = [
    "LINUX_SUPERVISION_TIMEOUT_S",
    "PROPERTY_NAMES",
    "CharacteristicSpec",
    "LinkStats",
    "PeripheralSpec",
    "RadioConditions",
    "VirtualBleakClient",
    "VirtualBleakScanner",
    "VirtualPeripheral",
    "VirtualRadio",
    "client_backend",
    "client_kwargs",
    "scanner_backend",
    "scanner_kwargs",
]
