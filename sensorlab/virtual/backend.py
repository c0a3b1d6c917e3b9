"""A bleak backend on bumble's central device: BleakScanner and BleakClient on virtual sensors.

Application code stays plain bleak; only the ``backend`` argument changes::

    async with VirtualRadio() as radio:
        await radio.add_peripheral(spec)
        found = await BleakScanner.discover(1.0, return_adv=True, **scanner_kwargs(radio))
        async with BleakClient(device, **client_kwargs(radio)) as client:
            await client.start_notify(char_uuid, on_notify)

:func:`scanner_kwargs` and :func:`client_kwargs` return ``{"backend": cls}`` where ``cls``
is a subclass of :class:`VirtualBleakScanner` / :class:`VirtualBleakClient` bound to that
radio (cached per radio, held by a weak reference). Passing ``backend=VirtualBleakScanner,
radio=radio`` works too: bleak forwards unknown keyword arguments to the backend.

Behaviour follows bleak's BlueZ backend, which sensorlab uses in production:

* ``connect()`` with an address string scans for it first (``BleakScanner
  .find_device_by_address``) and raises :class:`~bleak.exc.BleakDeviceNotFoundError` if it
  is not seen within ``timeout``; with a :class:`~bleak.backends.device.BLEDevice` it
  connects directly and raises :class:`TimeoutError` if the peripheral does not answer.
  Connections are created one at a time (the radio's ``connect_lock``), as BlueZ does.
* On connection the central asks for an ATT MTU of 517 (as BlueZ) and discovers all
  services, characteristics and descriptors, then reads the GAP Device Name if present.
* ``disconnected_callback`` runs (scheduled on the loop) for every disconnection, asked for
  or not; ``services`` becomes ``None`` on disconnection.
* GATT errors raise :class:`~bleak.exc.BleakGATTProtocolError`; a request cut short by a
  disconnection raises :class:`~bleak.exc.BleakError`.
* ``pair()``/``unpair()`` raise :class:`NotImplementedError`: the virtual sensors need no
  bonding and bumble's emulated controller has no link-layer encryption to offer.

Internals relied upon (bleak 3.1, bumble 0.0.236; both pinned in ``pyproject.toml``)
-------------------------------------------------------------------------------------
bleak's backend base classes are meant for third-party backends but are not covered by its
stability promise (3.0 changed the client's constructor and exceptions, 3.1 added the
adapter class), hence ``>=3.1,<3.2``; bumble is pinned exactly (see
:mod:`sensorlab.virtual.link`).

* bleak: the backend contract of ``BaseBleakScanner`` (``seen_devices``,
  ``create_or_update_device``, ``call_detection_callbacks``, ``is_allowed_uuid``) and
  ``BaseBleakClient`` (``address``, ``services``, ``_timeout``, ``_disconnected_callback``),
  the constructor arguments ``BleakScanner``/``BleakClient`` pass to a backend class, and the
  constructors of ``BleakGATTService``/``Characteristic``/``Descriptor`` and
  ``BleakGATTServiceCollection``. These are documented for third-party backends but not
  promised stable across minor releases.
* bumble: ``Device.connect_le`` / ``start_scanning`` / the ``advertisement`` event and
  ``Advertisement.data`` (``AdvertisingData.get_all(..., raw=True)``), ``Peer`` discovery,
  ``gatt_client.Client`` (``read_value``, ``write_value``, ``subscribe``, ``unsubscribe``,
  ``request_mtu``, ``cached_values``, ``notification_subscribers``) and ``Connection.att_mtu``.
  A pending GATT request that bumble cancels on disconnection arrives here as
  ``CancelledError`` and is told apart from a real cancellation with
  ``Task.cancelling()`` (Python >= 3.11).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Literal, TypeVar

from bleak import BleakScanner
from bleak.args import SizedBuffer
from bleak.assigned_numbers import CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDeviceNotFoundError,
    BleakError,
    BleakGATTProtocolError,
)
from bumble import att, core, hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Peer
from bumble.gatt import GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR, Characteristic
from bumble.gatt_client import CharacteristicProxy, Client, ServiceProxy

from sensorlab.virtual.link import DEFAULT_ATT_MTU, VirtualRadio, to_bleak_uuid

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

_PROPERTY_NAMES: dict[Characteristic.Properties, CharacteristicPropertyName] = {
    Characteristic.Properties.BROADCAST: "broadcast",
    Characteristic.Properties.READ: "read",
    Characteristic.Properties.WRITE_WITHOUT_RESPONSE: "write-without-response",
    Characteristic.Properties.WRITE: "write",
    Characteristic.Properties.NOTIFY: "notify",
    Characteristic.Properties.INDICATE: "indicate",
    Characteristic.Properties.AUTHENTICATED_SIGNED_WRITES: "authenticated-signed-writes",
    Characteristic.Properties.EXTENDED_PROPERTIES: "extended-properties",
}
_UUID_LISTS = (
    (AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, 2),
    (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, 2),
    (AdvertisingData.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS, 4),
    (AdvertisingData.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS, 4),
    (AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, 16),
    (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, 16),
)
_SERVICE_DATA = (
    (AdvertisingData.SERVICE_DATA_16_BIT_UUID, 2),
    (AdvertisingData.SERVICE_DATA_32_BIT_UUID, 4),
    (AdvertisingData.SERVICE_DATA_128_BIT_UUID, 16),
)
_GAP_DEVICE_NAME = UUID.from_16_bits(0x2A00)
_DISCONNECT_TIMEOUT_S = 10.0
_CANCEL_GRACE_S = 1.0


def _radio_of(backend: type, radio: VirtualRadio | None) -> VirtualRadio:
    """The radio passed as ``radio=`` or bound to the backend class by the factory."""
    if radio is None:
        bound = getattr(backend, "_bound_radio", None)
        radio = bound() if bound is not None else None
    if radio is None:
        raise BleakError(
            "the virtual backend needs a VirtualRadio: use **scanner_kwargs(radio) / "
            "**client_kwargs(radio), or pass radio=..."
        )
    return radio


def _check_running(radio: VirtualRadio) -> None:
    if not radio.is_running:
        raise BleakBluetoothNotAvailableError(
            "the VirtualRadio is not running (closed or not started)",
            BleakBluetoothNotAvailableReason.POWERED_OFF,
        )


def advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    """The :class:`AdvertisementData` (bleak's) for one bumble advertisement report."""
    data = advertisement.data
    names = data.get_all(AdvertisingData.COMPLETE_LOCAL_NAME, raw=True) or data.get_all(
        AdvertisingData.SHORTENED_LOCAL_NAME, raw=True
    )
    service_uuids: list[str] = []
    for ad_type, size in _UUID_LISTS:
        for raw in data.get_all(ad_type, raw=True):
            for start in range(0, len(raw) - size + 1, size):
                uuid = to_bleak_uuid(UUID.from_bytes(raw[start : start + size]))
                if uuid not in service_uuids:  # the emulated scan response repeats the data
                    service_uuids.append(uuid)
    manufacturer_data: dict[int, bytes] = {}
    for raw in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA, raw=True):
        manufacturer_data.setdefault(int.from_bytes(raw[:2], "little"), bytes(raw[2:]))
    service_data: dict[str, bytes] = {}
    for ad_type, size in _SERVICE_DATA:
        for raw in data.get_all(ad_type, raw=True):
            uuid = to_bleak_uuid(UUID.from_bytes(raw[:size]))
            service_data.setdefault(uuid, bytes(raw[size:]))
    tx_power_raw = data.get(AdvertisingData.TX_POWER_LEVEL, raw=True)
    return AdvertisementData(
        local_name=names[0].decode(errors="replace") if names else None,
        manufacturer_data=manufacturer_data,
        service_data=service_data,
        service_uuids=service_uuids,
        tx_power=int.from_bytes(tx_power_raw[:1], "little", signed=True) if tx_power_raw else None,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )


class VirtualBleakScanner(BaseBleakScanner):
    """bleak scanner backend on a :class:`VirtualRadio`'s central.

    ``BLEDevice.details`` is the peripheral's bumble ``hci.Address``;
    ``AdvertisementData.platform_data`` is ``(bumble Advertisement,)``.
    """

    _bound_radio: ClassVar[Callable[[], VirtualRadio | None] | None] = None

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        *,
        radio: VirtualRadio | None = None,
        **_platform_kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = _radio_of(type(self), radio)
        self._active = scanning_mode != "passive"
        self._scanning = False

    async def start(self) -> None:
        """Start scanning (joins a scan of the same radio that is already running)."""
        radio = self._radio
        _check_running(radio)
        if self._scanning:
            return
        self.seen_devices = {}
        radio.central.on(radio.central.EVENT_ADVERTISEMENT, self._on_advertisement)
        try:
            await radio.acquire_scanning(active=self._active)
        except BaseException:
            radio.central.remove_listener(radio.central.EVENT_ADVERTISEMENT, self._on_advertisement)
            raise
        self._scanning = True

    async def stop(self) -> None:
        """Stop scanning."""
        if not self._scanning:
            return
        self._scanning = False
        radio = self._radio
        if not radio.is_running:
            return
        radio.central.remove_listener(radio.central.EVENT_ADVERTISEMENT, self._on_advertisement)
        await radio.release_scanning()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        try:
            adv = advertisement_data(advertisement)
            if not self.is_allowed_uuid(adv.service_uuids):
                return
            address = advertisement.address.to_string(False)
            device = self.create_or_update_device(
                address, address, adv.local_name, advertisement.address, adv
            )
            self.call_detection_callbacks(device, adv)
        except Exception:  # a raising listener would break bumble's event emitter
            logger.exception("virtual scanner: advertisement handling failed")


class VirtualBleakClient(BaseBleakClient):
    """bleak client backend on a :class:`VirtualRadio`'s central; see the module docstring."""

    _bound_radio: ClassVar[Callable[[], VirtualRadio | None] | None] = None

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 30.0,
        services: set[str] | None = None,
        radio: VirtualRadio | None = None,
        **_platform_kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        self._radio = _radio_of(type(self), radio)
        self.address = hci.Address(self.address).to_string(False)
        self._peer_address: hci.Address | None = None
        self._device_name: str | None = None
        if isinstance(address_or_ble_device, BLEDevice):
            details = address_or_ble_device.details
            self._peer_address = details if isinstance(details, hci.Address) else None
            self._device_name = address_or_ble_device.name
        self._service_filter = services
        self._connection: Connection | None = None
        self._gap_name: str | None = None
        self._mtu = DEFAULT_ATT_MTU
        self._notify_callbacks: dict[int, Callable[[bytes], None]] = {}

    # Device info
    @property
    def name(self) -> str:
        """GAP Device Name read on connection, else the advertised name, else the address."""
        return self._gap_name or self._device_name or self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        """The ATT MTU of the connection (the last one when disconnected)."""
        if self._connection is not None:
            self._mtu = self._connection.att_mtu
        return self._mtu

    @property
    def is_connected(self) -> bool:
        """Whether the central's link to the peripheral is up."""
        return self._connection is not None

    # Connectivity
    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Connect, exchange the MTU and discover the services (see the module docstring)."""
        if pair:
            raise NotImplementedError("the virtual BLE backend does not pair (no bonding)")
        if self.is_connected:
            raise BleakError("Client is already connected")
        radio = self._radio
        _check_running(radio)
        timeout = float(kwargs.get("timeout", self._timeout))
        if self._peer_address is None:
            device = await BleakScanner.find_device_by_address(
                self.address, timeout=timeout, backend=scanner_backend(radio)
            )
            if device is None:
                raise BleakDeviceNotFoundError(
                    self.address, f"Device with address {self.address} was not found."
                )
            self._peer_address = device.details
            self._device_name = device.name
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        connection = await self._create_connection(deadline, timeout)
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            async with asyncio.timeout_at(deadline):
                await self._set_up(connection)
        except BaseException:
            if self._connection is not None:
                await asyncio.shield(self._disconnect_quietly(connection))
            raise

    async def _create_connection(self, deadline: float, timeout: float) -> Connection:
        radio = self._radio
        loop = asyncio.get_running_loop()
        async with asyncio.timeout_at(deadline):
            await radio.connect_lock.acquire()
        try:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out waiting to connect to {self.address}")
            assert self._peer_address is not None
            try:
                # bumble times out and cancels by itself; the outer limit only guards
                # against a controller that never reports the cancelled creation.
                async with asyncio.timeout(remaining + _CANCEL_GRACE_S):
                    return await radio.central.connect_le(self._peer_address, timeout=remaining)
            except TimeoutError:
                await asyncio.shield(self._cancel_connecting())
                raise TimeoutError(f"{self.address} did not answer within {timeout:g} s") from None
            except core.TimeoutError as error:
                raise TimeoutError(f"{self.address} did not answer within {timeout:g} s") from error
            except core.ConnectionError as error:
                raise BleakError(f"connecting to {self.address} failed: {error}") from error
            except asyncio.CancelledError:
                await asyncio.shield(self._cancel_connecting())
                raise
        finally:
            radio.connect_lock.release()

    async def _cancel_connecting(self) -> None:
        """Withdraw the controller's pending connection after an outside cancellation."""
        try:
            await self._radio.central.send_sync_command(
                hci.HCI_LE_Create_Connection_Cancel_Command()
            )
        except Exception:
            logger.debug("cancelling a pending connection failed", exc_info=True)

    async def _set_up(self, connection: Connection) -> None:
        peer = Peer(connection)
        self._mtu = await peer.request_mtu(self._radio.central_mtu)
        await peer.discover_services()
        wanted = self._service_filter
        services = [s for s in peer.services if wanted is None or to_bleak_uuid(s.uuid) in wanted]
        for service in services:
            await service.discover_characteristics()
            for characteristic in service.characteristics:
                await characteristic.discover_descriptors()
        for characteristic in peer.get_characteristics_by_uuid(_GAP_DEVICE_NAME):
            name = await characteristic.read_value()
            self._gap_name = bytes(name).decode(errors="replace") or None
        self.services = self._service_collection(services)

    def _service_collection(self, services: list[ServiceProxy]) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service in services:
            bleak_service = BleakGATTService(service, service.handle, to_bleak_uuid(service.uuid))
            collection.add_service(bleak_service)
            for char in service.characteristics:
                bleak_char = BleakGATTCharacteristic(
                    char,
                    char.handle,
                    to_bleak_uuid(char.uuid),
                    [name for flag, name in _PROPERTY_NAMES.items() if char.properties & flag],
                    lambda: self.mtu_size - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_char)
                for descriptor in char.descriptors:
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor,
                            descriptor.handle,
                            to_bleak_uuid(descriptor.type),
                            bleak_char,
                        )
                    )
        return collection

    def _on_disconnection(self, _reason: int) -> None:
        if self._connection is None:
            return
        self._mtu = self._connection.att_mtu
        self._connection = None
        self.services = None
        self._notify_callbacks.clear()
        if self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def _disconnect_quietly(self, connection: Connection) -> None:
        try:
            async with asyncio.timeout(_DISCONNECT_TIMEOUT_S):
                await connection.disconnect()
        except Exception:
            logger.debug("disconnect of %s failed", self.address, exc_info=True)
        finally:
            self._on_disconnection(hci.HCI_ErrorCode.CONNECTION_TERMINATED_BY_LOCAL_HOST_ERROR)

    async def disconnect(self) -> None:
        """Disconnect; returns at once if not connected."""
        connection = self._connection
        if connection is None:
            return
        await self._disconnect_quietly(connection)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Not supported: virtual sensors need no bonding."""
        raise NotImplementedError("the virtual BLE backend does not pair (no bonding)")

    async def unpair(self) -> None:
        """Not supported: virtual sensors need no bonding."""
        raise NotImplementedError("the virtual BLE backend does not pair (no bonding)")

    # GATT
    async def _gatt(self, operation: Callable[[Client], Awaitable[_T]]) -> _T:
        connection = self._connection
        if connection is None:
            raise BleakError("Not connected")
        try:
            return await operation(connection.gatt_client)
        except att.ATT_Error as error:
            raise BleakGATTProtocolError(error.error_code) from error
        except core.TimeoutError as error:
            raise TimeoutError(f"GATT request to {self.address} timed out") from error
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling() == 0:
                # bumble cancels a pending request when the link goes down
                raise BleakError(f"{self.address} disconnected during a GATT request") from None
            raise
        except core.BaseBumbleError as error:
            raise BleakError(f"GATT operation on {self.address} failed: {error}") from error

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a characteristic (``use_cached``: the last value read or notified, if any)."""
        return await self._read(characteristic.handle, use_cached)

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a descriptor."""
        return await self._read(descriptor.handle, use_cached)

    async def _read(self, handle: int, use_cached: bool) -> bytearray:
        connection = self._connection
        if use_cached and connection is not None:
            cached = connection.gatt_client.cached_values.get(handle)
            if cached is not None:
                return bytearray(cached[1])
        return bytearray(await self._gatt(lambda client: client.read_value(handle)))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        """Write a characteristic, with or without response."""
        value = bytes(data)
        await self._gatt(
            lambda client: client.write_value(characteristic.handle, value, with_response=response)
        )

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        """Write a descriptor (with response)."""
        value = bytes(data)
        await self._gatt(
            lambda client: client.write_value(descriptor.handle, value, with_response=True)
        )

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Enable notifications (indications if that is all it has); ``callback(bytearray)``."""
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        if proxy.get_descriptor(GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR) is None:
            raise BleakError(f"characteristic {characteristic.uuid} has no CCCD: cannot notify")

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        previous = self._notify_callbacks.pop(characteristic.handle, None)
        connection = self._connection
        if previous is not None and connection is not None:
            for subscribers in (
                connection.gatt_client.notification_subscribers,
                connection.gatt_client.indication_subscribers,
            ):
                subscribers.get(characteristic.handle, set()).discard(previous)
        await self._gatt(lambda client: client.subscribe(proxy, on_value, prefer_notify=True))
        self._notify_callbacks[characteristic.handle] = on_value

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Disable notifications."""
        on_value = self._notify_callbacks.pop(characteristic.handle, None)
        proxy: CharacteristicProxy[bytes] = characteristic.obj
        await self._gatt(lambda client: client.unsubscribe(proxy, on_value))


# --------------------------------------------------------------------------------------
# Selecting the backend
# --------------------------------------------------------------------------------------
_BACKENDS: weakref.WeakKeyDictionary[
    VirtualRadio, tuple[type[VirtualBleakScanner], type[VirtualBleakClient]]
] = weakref.WeakKeyDictionary()


def _backends(radio: VirtualRadio) -> tuple[type[VirtualBleakScanner], type[VirtualBleakClient]]:
    try:
        return _BACKENDS[radio]
    except KeyError:
        pass
    bound = {"_bound_radio": weakref.ref(radio), "__module__": __name__}
    # Same names as the base classes, so that bleak's ``backend_id`` reads the same.
    scanner = type("VirtualBleakScanner", (VirtualBleakScanner,), dict(bound))
    client = type("VirtualBleakClient", (VirtualBleakClient,), dict(bound))
    _BACKENDS[radio] = (scanner, client)
    return scanner, client


def scanner_backend(radio: VirtualRadio) -> type[VirtualBleakScanner]:
    """The scanner backend class bound to ``radio`` (for ``BleakScanner(backend=...)``)."""
    return _backends(radio)[0]


def client_backend(radio: VirtualRadio) -> type[VirtualBleakClient]:
    """The client backend class bound to ``radio`` (for ``BleakClient(backend=...)``)."""
    return _backends(radio)[1]


def scanner_kwargs(radio: VirtualRadio) -> dict[str, Any]:
    """``{"backend": ...}`` for ``BleakScanner(...)``, ``discover``, ``find_device_by_*``."""
    return {"backend": scanner_backend(radio)}


def client_kwargs(radio: VirtualRadio) -> dict[str, Any]:
    """``{"backend": ...}`` for ``BleakClient(...)``."""
    return {"backend": client_backend(radio)}
