"""Virtual BLE sensors on a real Bluetooth stack (Google's bumble), driven through bleak.

The transport's simulator, as :mod:`sensorlab.simulate` is the body's: for tests and demos
without an adapter. :class:`VirtualRadio` runs peripherals described as plain data on
bumble's in-process link, with optional radio realism (connection-event batching, loss,
RSSI, dropped links, absent sensors); :func:`scanner_kwargs` and :func:`client_kwargs`
point unchanged bleak code (``BleakScanner``, ``BleakClient``) at it. The device models
it serves are those of :mod:`sensorlab.devices` (:mod:`sensorlab.virtual.sensors`), and
:mod:`sensorlab.virtual.source` pairs them with the real collector as one source.
See :mod:`sensorlab.virtual.link` and :mod:`sensorlab.virtual.backend` for what is
modelled and which bleak/bumble internals are relied upon (both versions are pinned).
Needs the ``virtual`` extra (``pip install 'sensorlab[virtual]'``: bumble and bleak).
"""

from sensorlab.devices.profile import PROPERTY_NAMES, CharacteristicSpec
from sensorlab.virtual.backend import (
    VirtualBleakClient,
    VirtualBleakScanner,
    client_backend,
    client_kwargs,
    scanner_backend,
    scanner_kwargs,
)
from sensorlab.virtual.link import (
    LINUX_SUPERVISION_TIMEOUT_S,
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
