"""Virtual BLE sensors: bumble devices on one in-process radio link, with optional realism.

A :class:`VirtualRadio` owns one bumble ``LocalLink``, one central bumble ``Device`` (the
"adapter" that the bleak backend in :mod:`sensorlab.virtual.backend` drives) and any
number of peripheral ``Device`` objects, each built from a :class:`PeripheralSpec`: name,
address, advertised service UUIDs, manufacturer data and a GATT table as plain data. Every
byte between central and peripherals goes through bumble's real host stack (HCI, L2CAP,
ATT, GATT) and its emulated controllers; only the air between the controllers is ours.

bumble's virtual link is an ideal radio: each PDU is handed to the other controller on the
next event-loop iteration, nothing is lost, and every advertisement reports -50 dBm. The
subclassed link and central controller here add, per peripheral and OFF by default
(:class:`RadioConditions`):

* connection events: PDUs in both directions wait for the next connection event of that
  link (every ``connection_interval_s``, with a random phase per link) and are delivered
  together, so notifications arrive in bursts; a feeder that woke for an event joins it,
  so that its PDUs, which reach the radio a little after the event's time, still go with
  it (:meth:`VirtualPeripheral.join_connection_event`);
* a cap on notifications per connection event; the rest wait for later events, in order;
* a transmit queue limit: notifications that find the queue full are dropped;
* random loss of notifications with a given probability, from a seeded generator;
* the RSSI that scans report;
* :meth:`VirtualRadio.drop_link`: radio silence, then after the supervision timeout both
  hosts get a "Connection Timeout" (0x08) disconnection, as when a sensor walks out of
  range; the peripheral then advertises again and can be reconnected;
* :meth:`VirtualRadio.set_present`: a sensor that is switched off (or never switched on)
  stops advertising, and its link drops if it was connected.

Loss applies to ATT notifications only: the link layer acknowledges and retransmits every
other PDU, so a real radio delays requests and responses but does not lose them.

What is not modelled: advertising and connection-request timing beyond bumble's own timers
(a connection is made on the next advertisement of the peripheral), channel hopping,
peripheral latency, LL control PDUs waiting for connection events (connection creation and
termination are immediate), and a scan response separate from the advertising data
(bumble's controller repeats the advertising data as the scan response, so the whole
description is put in the advertising data and the legacy 31-byte limit is not enforced).

Everything runs on the event loop that creates the radio; bleak must run on that loop too.

Internals relied upon (bumble 0.0.236, pinned in ``pyproject.toml``)
---------------------------------------------------------------------
bumble is pre-1.0 and the emulated controller and link are its own test infrastructure, not
a public API: their methods and event plumbing change between releases, hence ``==``.
* ``bumble.link.LocalLink.send_acl_data`` and ``send_ll_control_pdu`` are overridden to
  queue, drop or silence traffic; delivery calls ``Controller.on_link_acl_data``.
  ``Controller.le_connections``, ``Controller.random_address`` and
  ``Controller.on_le_disconnected`` are used to cut a link without an LL_TERMINATE_IND.
* ``Controller.send_hci_packet`` is overridden on the central to rewrite the RSSI of
  advertising reports (the controller hard-codes -50 dBm).
* ``Controller.on_hci_le_create_connection_cancel_command`` is overridden on the central:
  bumble's version returns success but neither drops the pending connection nor sends the
  LE Connection Complete event (status 0x02) that the Core spec requires, so
  ``Device.connect(timeout=...)`` to an absent peripheral would hang forever.
* ``gatt.Characteristic.read_value``/``write_value`` are overridden to answer Read/Write
  Not Permitted (bumble's server does not check the permissions it stores).
* ``Device.start_advertising``/``stop_advertising``, the
  ``connection``/``disconnection``/``characteristic_subscription`` events, the ``write``
  event of ``gatt.Characteristic`` and ``gatt_server.max_mtu``.
* Notifications are sent as ``Device.notify_subscriber`` sends them on a plain ATT
  bearer (``att.ATT_Handle_Value_Notification`` through ``gatt_server.send_gatt_pdu``),
  without its per-PDU debug formatting.
* ``Host.on_hci_packet``/``send_hci_packet`` and ``Controller.on_hci_packet``/
  ``send_hci_packet`` are overridden to route data packets as they do without building
  their debug line (an f-string that formats each packet with logging off); the
  handlers they dispatch to (``on_hci_acl_data_packet``, ``on_hci_event_packet``), the
  host's ``hci_sink``/``snooper`` and the controller's ``host`` are used.
* ``Device.on_gatt_pdu`` (registered for the ATT channel when the device is built) is
  overridden on the central to hand notifications straight to
  ``gatt_client.Client.on_att_handle_value_notification``, without the debug line of
  ``Client.on_gatt_pdu``; ``Device.lookup_connection`` and ``Connection.gatt_client``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import math
import random
from collections import deque
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bleak.uuids import normalize_uuid_str
from bumble import att, gatt, hci
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData, PhysicalTransport
from bumble.device import Connection, Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from sensorlab.devices.profile import CharacteristicSpec

logger = logging.getLogger(__name__)

_PROPERTY_FLAGS = {
    "read": gatt.Characteristic.Properties.READ,
    "write": gatt.Characteristic.Properties.WRITE,
    "write_without_response": gatt.Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
    "notify": gatt.Characteristic.Properties.NOTIFY,
}

BLEAK_BASE_UUID_SUFFIX = "-0000-1000-8000-00805f9b34fb"
DEFAULT_ATT_MTU = 23
"""ATT MTU before the exchange (Core spec Vol 3, Part F, 3.2.8)."""
LINUX_SUPERVISION_TIMEOUT_S = 0.42
"""Linux's default LE supervision timeout (``le_supv_timeout`` = 0x002a x 10 ms)."""
MIN_CONNECTION_INTERVAL_S = 0.0075
MAX_CONNECTION_INTERVAL_S = 4.0
JOIN_WINDOW = 0.5
"""How long a joined connection event stays open, in intervals (see
:meth:`VirtualPeripheral.join_connection_event`)."""

_L2CAP_ATT_CID = b"\x04\x00"
_ATT_HANDLE_VALUE_NOTIFICATION = 0x1B
_NOTIFICATION_OPCODE = bytes([_ATT_HANDLE_VALUE_NOTIFICATION])


# --------------------------------------------------------------------------------------
# Descriptions (plain data in, frozen records kept)
# --------------------------------------------------------------------------------------
GattTable = Mapping[str, Sequence[CharacteristicSpec | Mapping[str, Any]]]
"""Service UUID -> characteristics, each a
:class:`~sensorlab.devices.profile.CharacteristicSpec` or a dict with the same keys
(``{"uuid": "ffe4", "properties": ["notify"], "value": b""}``)."""


@dataclass(frozen=True)
class PeripheralSpec:
    """What a virtual peripheral advertises and serves."""

    name: str
    """Complete local name, advertised and served as the GAP Device Name."""
    address: str
    """Random static address, ``"C1:00:00:00:00:01"`` (shown upper case, as BlueZ does)."""
    gatt: GattTable
    """Services and their characteristics; see :data:`GattTable`."""
    service_uuids: tuple[str, ...] = ()
    """Service UUIDs to advertise (16-, 32- or 128-bit)."""
    manufacturer_data: Mapping[int, bytes] = field(default_factory=dict)
    """Company identifier -> payload, advertised as manufacturer-specific data."""
    att_mtu: int = 247
    """Largest ATT MTU the peripheral accepts; the central asks for 517 like BlueZ."""
    advertising_interval_s: float = 0.05
    """Advertising interval; a connection is made on the next advertisement."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", hci.Address(self.address).to_string(False))
        object.__setattr__(self, "service_uuids", tuple(self.service_uuids))
        object.__setattr__(self, "manufacturer_data", dict(self.manufacturer_data))
        for uuid in self.service_uuids:
            to_bumble_uuid(uuid)
        if not DEFAULT_ATT_MTU <= self.att_mtu <= 517:
            raise ValueError(f"att_mtu must be in 23..517, got {self.att_mtu}")
        if not 0.02 <= self.advertising_interval_s <= 10.24:
            raise ValueError(
                "advertising_interval_s must be in 0.02..10.24 s, "
                f"got {self.advertising_interval_s}"
            )
        services = _normalize_gatt(self.gatt)
        if not services:
            raise ValueError(f"{self.name}: the GATT table has no service")

    def services(self) -> list[tuple[str, list[CharacteristicSpec]]]:
        """The GATT table as ``[(service_uuid, [CharacteristicSpec, ...]), ...]``."""
        return _normalize_gatt(self.gatt)


@dataclass(frozen=True)
class RadioConditions:
    """Radio imperfections of one peripheral's link; the defaults are bumble's ideal link."""

    rssi_dbm: int = -50
    """RSSI reported by scans (bumble's controller reports -50 dBm for everything)."""
    connection_interval_s: float | None = None
    """Connection interval (7.5 ms to 4 s). ``None``: no connection events, each PDU is
    delivered on the next event-loop iteration. Set: PDUs in both directions wait for the
    next connection event and arrive together."""
    max_notifications_per_event: int | None = None
    """At most this many notifications per connection event (needs an interval); the others
    wait, in order, for the following events. ``None``: no cap."""
    tx_queue_limit: int | None = None
    """Notifications that find this many notifications queued are dropped, like a full
    controller buffer. ``None``: the queue grows without bound (latency grows instead)."""
    loss_probability: float = 0.0
    """Probability that a notification is lost on the air."""
    seed: int = 0
    """Seed of the loss generator and of the connection-event phase; give each peripheral
    its own, or they lose the same samples."""

    def __post_init__(self) -> None:
        interval = self.connection_interval_s
        if interval is not None and not (
            MIN_CONNECTION_INTERVAL_S <= interval <= MAX_CONNECTION_INTERVAL_S
        ):
            raise ValueError(f"connection_interval_s must be in 0.0075..4 s, got {interval}")
        if self.max_notifications_per_event is not None:
            if interval is None:
                raise ValueError("max_notifications_per_event needs connection_interval_s")
            if self.max_notifications_per_event < 1:
                raise ValueError("max_notifications_per_event must be >= 1")
        if self.tx_queue_limit is not None and self.tx_queue_limit < 1:
            raise ValueError("tx_queue_limit must be >= 1")
        if not 0.0 <= self.loss_probability <= 1.0:
            raise ValueError(f"loss_probability must be in [0, 1], got {self.loss_probability}")
        if not -127 <= self.rssi_dbm <= 20:
            raise ValueError(f"rssi_dbm must be in -127..20, got {self.rssi_dbm}")


@dataclass(frozen=True)
class LinkStats:
    """Counters of one peripheral's link since it was added."""

    notifications_offered: int
    """Notifications handed to the radio (connected and subscribed central)."""
    notifications_lost: int
    """Lost at random (``loss_probability``)."""
    notifications_overflowed: int
    """Dropped because the transmit queue was full (``tx_queue_limit``)."""
    notifications_delivered: int
    """Handed to the central's controller."""
    notifications_silenced: int
    """Sent into a dropped link before its supervision timeout."""
    connection_events: int
    """Connection events that carried at least one PDU (batching only)."""
    max_queue_depth: int
    """Most notifications queued at once (batching only)."""
    links_dropped: int
    """Calls of :meth:`VirtualRadio.drop_link` that cut a live link."""


# --------------------------------------------------------------------------------------
# UUID and advertising helpers
# --------------------------------------------------------------------------------------
def to_bumble_uuid(uuid: str) -> UUID:
    """A bumble UUID, 16- or 32-bit when ``uuid`` is on the Bluetooth base UUID."""
    try:
        text = normalize_uuid_str(uuid.strip())
        if text.endswith(BLEAK_BASE_UUID_SUFFIX):
            short = text[:8]
            return UUID(short[4:] if short.startswith("0000") else short)
        return UUID(text)
    except ValueError as error:  # bumble's InvalidArgumentError is a ValueError
        raise ValueError(f"not a UUID: {uuid!r}") from error


def to_bleak_uuid(uuid: UUID) -> str:
    """A bumble UUID in bleak's form: 128-bit, lower case."""
    return normalize_uuid_str(uuid.to_hex_str("-"))


def _normalize_gatt(table: GattTable) -> list[tuple[str, list[CharacteristicSpec]]]:
    services = []
    for service_uuid, characteristics in table.items():
        to_bumble_uuid(service_uuid)
        specs = [
            c if isinstance(c, CharacteristicSpec) else CharacteristicSpec(**c)
            for c in characteristics
        ]
        for spec in specs:
            to_bumble_uuid(spec.uuid)
        services.append((service_uuid, specs))
    return services


def _advertising_data(spec: PeripheralSpec) -> bytes:
    flags = (
        AdvertisingData.Flags.LE_GENERAL_DISCOVERABLE_MODE
        | AdvertisingData.Flags.BR_EDR_NOT_SUPPORTED
    )
    structures: list[tuple[int, bytes]] = [
        (AdvertisingData.FLAGS, bytes([flags])),
        (AdvertisingData.COMPLETE_LOCAL_NAME, spec.name.encode()),
    ]
    by_size: dict[int, bytes] = {}
    for text in spec.service_uuids:
        raw = to_bumble_uuid(text).to_bytes()
        by_size[len(raw)] = by_size.get(len(raw), b"") + raw
    list_type = {
        2: AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        4: AdvertisingData.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
        16: AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    }
    structures += [(list_type[size], raw) for size, raw in sorted(by_size.items())]
    structures += [
        (AdvertisingData.MANUFACTURER_SPECIFIC_DATA, company.to_bytes(2, "little") + payload)
        for company, payload in spec.manufacturer_data.items()
    ]
    return bytes(AdvertisingData(structures))


def _is_notification(pdu: bytes) -> bool:
    """Whether an L2CAP PDU is an ATT Handle Value Notification on the fixed ATT channel."""
    return len(pdu) > 4 and pdu[2:4] == _L2CAP_ATT_CID and pdu[4] == _ATT_HANDLE_VALUE_NOTIFICATION


# --------------------------------------------------------------------------------------
# The air: link and central controller
# --------------------------------------------------------------------------------------
class _LinkChannel:
    """The radio state of one peripheral's link to the central."""

    def __init__(self, link: _RadioLink, controller: Controller, conditions: RadioConditions):
        self.link = link
        self.controller = controller
        self.conditions = conditions
        self.rng = random.Random(conditions.seed)
        self.up: deque[tuple[bytes, bool]] = deque()  # peripheral -> central, is_notification
        self.down: deque[bytes] = deque()  # central -> peripheral
        self.queued_notifications = 0
        self.timer: asyncio.TimerHandle | None = None
        # Connection events fall on anchor_s + k * interval: a random phase per link.
        self.anchor_s = asyncio.get_running_loop().time() + self.rng.uniform(0.0, 0.03)
        self.event_index = -1  # of the event scheduled last
        self.delivered_index = -1  # of the event that ran last ...
        self.sent_in_event = 0  # ... and the notifications it sent
        self.joined_index: int | None = None  # an event open for a late joiner
        self.alive = True
        self.counts = dict.fromkeys((f.name for f in dataclasses.fields(LinkStats)), 0)

    # Configuration and lifetime
    def set_conditions(self, conditions: RadioConditions) -> None:
        if conditions.seed != self.conditions.seed:
            self.rng = random.Random(conditions.seed)
        if conditions.connection_interval_s != self.conditions.connection_interval_s:
            # Event numbers counted intervals of the old length.
            self.event_index = self.delivered_index = -1
            self.joined_index = None
        self.conditions = conditions
        if conditions.connection_interval_s is None:
            self.flush_all()
        elif self.timer is not None:
            self.timer.cancel()
            self.timer = None
            self.schedule()

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.up.clear()
        self.down.clear()
        self.queued_notifications = 0

    # Traffic
    def submit(self, from_central: bool, pdu: bytes) -> None:
        notification = not from_central and _is_notification(pdu)
        if notification:
            if not self.alive:
                self.counts["notifications_silenced"] += 1
                return
            self.counts["notifications_offered"] += 1
            conditions = self.conditions
            if conditions.loss_probability and self.rng.random() < conditions.loss_probability:
                self.counts["notifications_lost"] += 1
                return
            limit = conditions.tx_queue_limit
            if limit is not None and self.queued_notifications >= limit:
                self.counts["notifications_overflowed"] += 1
                return
        elif not self.alive:
            return
        if self.conditions.connection_interval_s is None and not (self.up or self.down):
            loop = asyncio.get_running_loop()
            loop.call_soon(self.deliver, from_central, pdu, notification)
            return
        if from_central:
            self.down.append(pdu)
        else:
            self.up.append((pdu, notification))
            if notification:
                self.queued_notifications += 1
                depth = max(self.counts["max_queue_depth"], self.queued_notifications)
                self.counts["max_queue_depth"] = depth
        self.schedule()

    def next_event_in_s(self, after_s: float) -> float | None:
        """Seconds from now to the first connection event at least ``after_s`` from now.

        None without connection events.
        """
        interval = self.conditions.connection_interval_s
        if interval is None:
            return None
        now = asyncio.get_running_loop().time()
        index = math.ceil((now + after_s - self.anchor_s) / interval)
        return self.anchor_s + index * interval - now

    def join_last_event(self) -> None:
        """Open the last connection event again, if it began less than half an interval ago.

        See :meth:`VirtualPeripheral.join_connection_event`.
        """
        interval = self.conditions.connection_interval_s
        if interval is None:
            return
        since_s = asyncio.get_running_loop().time() - self.anchor_s
        index = math.floor(since_s / interval)
        if not self._is_open(index, since_s, interval):
            return
        self.joined_index = index
        if self.timer is not None and self.event_index > index:
            # Something queued since the event waits for a later one: it goes now too.
            self.timer.cancel()
            self.timer = None
            self.schedule()

    @staticmethod
    def _is_open(index: int, since_s: float, interval: float) -> bool:
        """Whether a joined event ``index`` still takes PDUs ``since_s`` after the anchor."""
        return 0.0 <= since_s - index * interval < interval * JOIN_WINDOW

    def schedule(self) -> None:
        interval = self.conditions.connection_interval_s
        if self.timer is not None or interval is None or not (self.up or self.down):
            return
        loop = asyncio.get_running_loop()
        since_s = loop.time() - self.anchor_s
        joined = self.joined_index
        if joined is not None and self._is_open(joined, since_s, interval):
            index = joined  # open again for a late joiner; may have run already
        else:
            index = max(math.ceil(since_s / interval), self.delivered_index + 1)
        cap = self.conditions.max_notifications_per_event
        if index == self.delivered_index and cap is not None and self.sent_in_event >= cap:
            index += 1
        self.event_index = index
        self.timer = loop.call_at(self.anchor_s + index * interval, self.on_event)

    def on_event(self) -> None:
        self.timer = None
        if not self.alive:
            return
        if self.event_index != self.delivered_index:
            self.delivered_index, self.sent_in_event = self.event_index, 0
            self.counts["connection_events"] += 1
        while self.down:
            self.deliver(True, self.down.popleft(), False)
        cap = self.conditions.max_notifications_per_event
        while self.up:
            pdu, notification = self.up[0]
            if notification and cap is not None and self.sent_in_event >= cap:
                break
            self.up.popleft()
            if notification:
                self.sent_in_event += 1
                self.queued_notifications -= 1
            self.deliver(False, pdu, notification)
        self.schedule()

    def flush_all(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        while self.down:
            self.deliver(True, self.down.popleft(), False)
        while self.up:
            pdu, notification = self.up.popleft()
            self.deliver(False, pdu, notification)
        self.queued_notifications = 0

    def deliver(self, from_central: bool, pdu: bytes, notification: bool) -> None:
        if not self.alive:
            if notification:
                self.counts["notifications_silenced"] += 1
            return
        central = self.link.central_controller
        assert central is not None
        if from_central:
            self.controller.on_link_acl_data(central.random_address, PhysicalTransport.LE, pdu)
        else:
            if notification:
                self.counts["notifications_delivered"] += 1
            central.on_link_acl_data(self.controller.random_address, PhysicalTransport.LE, pdu)


class _RadioLink(LocalLink):
    """bumble's in-process link, with a :class:`_LinkChannel` between central and peripherals."""

    def __init__(self) -> None:
        super().__init__()
        self.central_controller: Controller | None = None
        self.channels: dict[Controller, _LinkChannel] = {}
        self.channels_by_address: dict[bytes, _LinkChannel] = {}

    def add_channel(self, address: hci.Address, channel: _LinkChannel) -> None:
        self.channels[channel.controller] = channel
        self.channels_by_address[bytes(address)] = channel

    def channel_between(
        self, sender: Controller, destination: hci.Address
    ) -> tuple[_LinkChannel | None, bool]:
        if sender is self.central_controller:
            return self.channels_by_address.get(bytes(destination)), True
        return self.channels.get(sender), False

    def send_acl_data(
        self,
        sender_controller: Controller,
        destination_address: hci.Address,
        transport: PhysicalTransport,
        data: bytes,
    ) -> None:
        if transport == PhysicalTransport.LE:
            channel, from_central = self.channel_between(sender_controller, destination_address)
            if channel is not None:
                channel.submit(from_central, data)
                return
        super().send_acl_data(sender_controller, destination_address, transport, data)

    def send_ll_control_pdu(
        self, sender_address: hci.Address, receiver_address: hci.Address, packet: Any
    ) -> None:
        for address in (sender_address, receiver_address):
            channel = self.channels_by_address.get(bytes(address))
            if channel is not None and not channel.alive:
                return  # radio silence: the peer never hears it
        super().send_ll_control_pdu(sender_address, receiver_address, packet)


_BUMBLE_CONTROLLER_LOG = logging.getLogger("bumble.controller")
_BUMBLE_HOST_LOG = logging.getLogger("bumble.host")
_BUMBLE_GATT_CLIENT_LOG = logging.getLogger("bumble.gatt_client")


class _QuietController(Controller):
    """bumble's emulated controller, without formatting every packet for a debug log.

    ``Controller.on_hci_packet`` and ``send_hci_packet`` build their debug line with an
    f-string, which formats each packet's fields even with logging off (with ``Host``'s
    two, about a tenth of the CPU of three sensors streaming). Here data packets take
    the same path without it; with ``bumble.controller`` debug logging on, and for other
    packets, bumble's own methods run.
    """

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        quiet = not _BUMBLE_CONTROLLER_LOG.isEnabledFor(logging.DEBUG)
        if quiet and isinstance(packet, hci.HCI_AclDataPacket):
            self.on_hci_acl_data_packet(packet)
        else:
            super().on_hci_packet(packet)

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if self.host is not None and not _BUMBLE_CONTROLLER_LOG.isEnabledFor(logging.DEBUG):
            asyncio.get_running_loop().call_soon(self.host.on_packet, bytes(packet))
        else:
            super().send_hci_packet(packet)


class _QuietHost(Host):
    """The bumble host, without formatting every packet for a debug log.

    See :class:`_QuietController`; with ``bumble.host`` debug logging or a snooper on, bumble's own
    methods run.
    """

    def _quiet(self) -> bool:
        return self.snooper is None and not _BUMBLE_HOST_LOG.isEnabledFor(logging.DEBUG)

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if self._quiet():
            if self.hci_sink:
                self.hci_sink.on_packet(bytes(packet))
        else:
            super().send_hci_packet(packet)

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if not self._quiet():
            super().on_hci_packet(packet)
        elif isinstance(packet, hci.HCI_AclDataPacket):
            self.on_hci_acl_data_packet(packet)
        elif isinstance(packet, hci.HCI_Event):
            self.on_hci_event_packet(packet)
        else:
            super().on_hci_packet(packet)


class _QuietCentral(Device):
    """The bumble device, handing notifications to its GATT client without a debug line.

    The line is the one (see :class:`_QuietController`) that ``gatt_client.Client.on_gatt_pdu``
    formats for every PDU; with ``bumble.gatt_client`` debug logging on, and for other PDUs,
    bumble's own methods run.
    """

    def on_gatt_pdu(self, connection_handle: int, pdu: bytes) -> None:
        if pdu[:1] == _NOTIFICATION_OPCODE and not _BUMBLE_GATT_CLIENT_LOG.isEnabledFor(
            logging.DEBUG
        ):
            connection = self.lookup_connection(connection_handle)
            if connection is not None and connection.gatt_client is not None:
                notification = att.ATT_PDU.from_bytes(pdu)
                if isinstance(notification, att.ATT_Handle_Value_Notification):
                    connection.gatt_client.on_att_handle_value_notification(notification)
                    return
        super().on_gatt_pdu(connection_handle, pdu)


class _CentralController(_QuietController):
    """bumble's emulated controller with per-peripheral RSSI and a working connect cancel."""

    def __init__(self, *args: Any, rssi_for: Callable[[hci.Address], int | None], **kwargs: Any):
        self._rssi_for = rssi_for
        super().__init__(*args, **kwargs)

    def _with_rssi(self, report: Any) -> Any:
        rssi = self._rssi_for(report.address)
        return report if rssi is None else dataclasses.replace(report, rssi=rssi)

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if isinstance(packet, hci.HCI_LE_Extended_Advertising_Report_Event):
            packet = hci.HCI_LE_Extended_Advertising_Report_Event(
                [self._with_rssi(r) for r in packet.reports]
            )
        elif isinstance(packet, hci.HCI_LE_Advertising_Report_Event):
            packet = hci.HCI_LE_Advertising_Report_Event(
                [self._with_rssi(r) for r in packet.reports]
            )
        super().send_hci_packet(packet)

    def on_hci_le_create_connection_cancel_command(
        self, _command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        pending = self.pending_le_connection
        if pending is None:
            # The spec says Command Disallowed; success keeps bumble's connect_le happy when
            # its timeout races a connection that has just been made (it then returns it).
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)
        self.pending_le_connection = None
        # Core spec Vol 4, Part E, 7.8.13: the cancelled creation completes with status
        # Unknown Connection Identifier, after the Command Complete of the cancel itself.
        failure = hci.HCI_LE_Connection_Complete_Event(
            status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
            connection_handle=0,
            role=hci.Role.CENTRAL,
            peer_address_type=pending.peer_address_type,
            peer_address=pending.peer_address,
            connection_interval=0,
            peripheral_latency=0,
            supervision_timeout=0,
            central_clock_accuracy=0,
        )
        asyncio.get_running_loop().call_soon(self.send_hci_packet, failure)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)


# --------------------------------------------------------------------------------------
# Peripherals and the radio
# --------------------------------------------------------------------------------------
class _Characteristic(gatt.Characteristic[bytes]):
    """bumble's characteristic with the permission checks its GATT server leaves out.

    bumble 0.0.236 serves reads of any characteristic and writes of any attribute; a real
    server answers Read/Write Not Permitted, which bleak raises as BleakGATTProtocolError.
    """

    async def read_value(self, bearer: att.Bearer) -> bytes:
        if not self.permissions & gatt.Characteristic.Permissions.READABLE:
            raise att.ATT_Error(att.ErrorCode.READ_NOT_PERMITTED, self.handle)
        return await super().read_value(bearer)

    async def write_value(self, bearer: att.Bearer, value: bytes) -> None:
        if not self.permissions & gatt.Characteristic.Permissions.WRITEABLE:
            raise att.ATT_Error(att.ErrorCode.WRITE_NOT_PERMITTED, self.handle)
        await super().write_value(bearer, value)


WriteCallback = Callable[[str, bytes], None]
"""``on_write(char_uuid, data)``: ``char_uuid`` in bleak's 128-bit lower-case form."""


class VirtualPeripheral:
    """One virtual sensor: a bumble device serving the GATT table of its :class:`PeripheralSpec`.

    Create it with :meth:`VirtualRadio.add_peripheral`.

    Attributes
    ----------
    spec : PeripheralSpec
        What it advertises and serves.
    device : bumble.device.Device
        The bumble device (peripheral role).
    present : bool
        Whether it is switched on (advertises when not connected).
    """

    def __init__(
        self,
        radio: VirtualRadio,
        spec: PeripheralSpec,
        device: Device,
        characteristics: dict[str, gatt.Characteristic],
        on_write: WriteCallback | None,
        channel: _LinkChannel,
    ) -> None:
        self.spec = spec
        self.device = device
        self.present = False
        self._radio = radio
        self._channel = channel
        self._characteristics = characteristics
        self._on_write = on_write
        self._connection: Connection | None = None
        self._subscribed: set[str] = set()
        self._advertising = False
        self._advertising_lock = asyncio.Lock()
        self._advertising_data = _advertising_data(spec)
        device.on(device.EVENT_CONNECTION, self._on_connection)
        device.on("characteristic_subscription", self._on_subscription)
        for uuid, characteristic in characteristics.items():
            characteristic.on(
                characteristic.EVENT_WRITE,
                lambda _connection, value, uuid=uuid: self._on_char_write(uuid, value),
            )

    @property
    def address(self) -> str:
        """The address, upper case."""
        return self.spec.address

    @property
    def name(self) -> str:
        """The advertised name."""
        return self.spec.name

    @property
    def is_connected(self) -> bool:
        """Whether a central is connected (False from the moment the link times out)."""
        return self._connection is not None

    @property
    def att_mtu(self) -> int:
        """The ATT MTU of the current connection (23 when not connected)."""
        return self._connection.att_mtu if self._connection is not None else DEFAULT_ATT_MTU

    def next_connection_event_in_s(self, after_s: float = 0.0) -> float | None:
        """Seconds from now to this link's first connection event ``after_s`` or more from now.

        None when the link has no connection events (:attr:`RadioConditions.connection_interval_s`
        unset).
        """
        return self._channel.next_event_in_s(after_s)

    def join_connection_event(self) -> None:
        """Send what this peripheral queues next with the connection event just begun.

        As a device that queued it just before the event would.

        For a feeder that slept until just before an event: the event loop wakes it late
        (its task resumes an iteration after the timer, select() rounds up to a
        millisecond, a loaded machine adds more) and its PDUs cross the host-controller
        hop in another iteration, so they reach the radio after the event began. A joined
        event stays open for the first half of its interval: whatever the link queues in
        that time goes with it (the feeder's notifications, and anything queued since the
        event began). Without a join, PDUs queued after an event wait for the next one, as
        on a radio. Does nothing without connection events, or when the last event began
        more than half an interval ago.
        """
        self._channel.join_last_event()

    def is_subscribed(self, char_uuid: str) -> bool:
        """Whether the connected central enabled notifications of ``char_uuid``."""
        return self._key(char_uuid) in self._subscribed

    def value(self, char_uuid: str) -> bytes:
        """The current value of a characteristic (as the central would read it)."""
        value = self._characteristic(char_uuid).value
        if isinstance(value, att.AttributeValue):  # a read callback: none is ever set here
            raise TypeError(f"{self.name}: characteristic {char_uuid} has no stored value")
        return bytes(value or b"")

    def set_value(self, char_uuid: str, value: bytes) -> None:
        """Set the value that reads of ``char_uuid`` return (no notification)."""
        self._characteristic(char_uuid).value = bytes(value)

    async def notify(self, char_uuid: str, payload: bytes) -> bool:
        """Send ``payload`` as a notification of ``char_uuid`` to the connected central.

        Returns
        -------
        bool
            True if it was handed to the radio, False if no central is connected or it has
            not enabled notifications (the sample is gone, as on a real sensor). A radio
            configured to lose or batch notifications may still lose or delay it.

        Raises
        ------
        ValueError
            If ``char_uuid`` is not a notify characteristic of this peripheral, or the
            payload does not fit the connection's ATT MTU (bumble would truncate it).
        """
        key = self._key(char_uuid)
        characteristic = self._characteristic(char_uuid)
        if not characteristic.has_properties(gatt.Characteristic.Properties.NOTIFY):
            raise ValueError(f"{self.name}: characteristic {char_uuid} has no 'notify'")
        connection = self._connection
        if connection is None or key not in self._subscribed:
            return False
        if len(payload) > connection.att_mtu - 3:
            raise ValueError(
                f"{self.name}: {len(payload)}-byte notification exceeds ATT MTU "
                f"{connection.att_mtu} - 3"
            )
        # What Device.notify_subscriber sends, without its debug log line: an f-string
        # that formats every PDU field even with logging off, a third of the cost of a
        # notification here (600 a second from three WitMotions).
        notification = att.ATT_Handle_Value_Notification(
            attribute_handle=characteristic.handle, attribute_value=bytes(payload)
        )
        self.device.gatt_server.send_gatt_pdu(connection, bytes(notification))
        return True

    # Internals
    @staticmethod
    @functools.lru_cache(maxsize=256)  # a sensor asks for its few UUIDs at every sample
    def _key(char_uuid: str) -> str:
        return to_bleak_uuid(to_bumble_uuid(char_uuid))

    def _characteristic(self, char_uuid: str) -> gatt.Characteristic:
        try:
            return self._characteristics[self._key(char_uuid)]
        except KeyError:
            raise ValueError(
                f"{self.name} has no characteristic {char_uuid}; it has "
                f"{sorted(self._characteristics)}"
            ) from None

    def _on_char_write(self, uuid: str, value: bytes) -> None:
        if self._on_write is not None:
            try:
                self._on_write(uuid, bytes(value))
            except Exception:
                logger.exception("%s: on_write callback failed", self.name)

    def _on_connection(self, connection: Connection) -> None:
        self._connection = connection
        self._advertising = False  # the controller stops advertising on connection
        self._radio._on_peripheral_connected(self)
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)

    def _on_disconnection(self, _reason: int) -> None:
        self._connection = None
        self._subscribed.clear()
        self._radio._spawn(self.sync_advertising())

    def _on_subscription(
        self, _connection: Connection, characteristic: Any, notify: bool, _indicate: bool
    ) -> None:
        key = to_bleak_uuid(characteristic.uuid)
        if notify:
            self._subscribed.add(key)
        else:
            self._subscribed.discard(key)

    async def sync_advertising(self) -> None:
        """Advertise exactly when present and not connected."""
        async with self._advertising_lock:
            wanted = self.present and self._connection is None
            if wanted and not self._advertising:
                interval_ms = self.spec.advertising_interval_s * 1000.0
                await self.device.start_advertising(
                    advertising_data=self._advertising_data,
                    advertising_interval_min=interval_ms,
                    advertising_interval_max=interval_ms,
                    auto_restart=False,
                )
                self._advertising = True
            elif not wanted and self._advertising:
                if self._connection is None:
                    await self.device.stop_advertising()
                self._advertising = False


class VirtualRadio:
    """One in-process BLE "air": a central bumble device and virtual peripherals.

    Use it as an async context manager (it needs a running event loop)::

        async with VirtualRadio() as radio:
            sensor = await radio.add_peripheral(spec)
            ...

    and hand it to bleak through :func:`sensorlab.virtual.scanner_kwargs` and
    :func:`sensorlab.virtual.client_kwargs`.

    Parameters
    ----------
    central_address : str
        Random static address of the central (the "adapter").
    central_mtu : int
        ATT MTU the central requests on connection; 517 as BlueZ.
    """

    def __init__(self, *, central_address: str = "F0:00:00:00:00:01", central_mtu: int = 517):
        self.central_address = hci.Address(central_address).to_string(False)
        self.central_mtu = central_mtu
        self._link = _RadioLink()
        self._central: Device | None = None
        self._peripherals: dict[str, VirtualPeripheral] = {}
        self._channels: dict[str, _LinkChannel] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._drop_timers: dict[str, asyncio.TimerHandle] = {}
        self._scan_users = 0
        self._scan_lock = asyncio.Lock()
        self._connect_lock = asyncio.Lock()
        self._closed = False

    # Lifetime
    async def start(self) -> None:
        """Create and power on the central."""
        if self._central is not None:
            return
        controller = _CentralController("central", link=self._link, rssi_for=self._rssi_for)
        self._link.central_controller = controller
        host = _QuietHost(controller, AsyncPipeSink(controller))
        address = hci.Address(self.central_address)
        central = _QuietCentral(name="sensorlab", address=address, host=host)
        await central.power_on()
        self._central = central

    async def close(self) -> None:
        """Switch every peripheral off, disconnect and stop scanning."""
        if self._closed or self._central is None:
            self._closed = True
            return
        self._closed = True
        for timer in self._drop_timers.values():
            timer.cancel()
        self._drop_timers.clear()
        for peripheral in self._peripherals.values():
            peripheral.present = False
            await peripheral.sync_advertising()
        for connection in list(self._central.connections.values()):
            try:
                async with asyncio.timeout(1.0):
                    await connection.disconnect()
            except Exception:
                logger.debug("close: disconnect failed", exc_info=True)
        for channel in self._channels.values():
            channel.cancel()
        if self._scan_users:
            self._scan_users = 0
            await self._central.stop_scanning()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> VirtualRadio:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # Peripherals
    @property
    def central(self) -> Device:
        """The central bumble device that the bleak backend drives."""
        if self._central is None or self._closed:
            raise RuntimeError("the VirtualRadio is not started (use 'async with VirtualRadio()')")
        return self._central

    @property
    def is_running(self) -> bool:
        """Started and not closed."""
        return self._central is not None and not self._closed

    @property
    def peripherals(self) -> dict[str, VirtualPeripheral]:
        """Peripherals by address (upper case)."""
        return dict(self._peripherals)

    def peripheral(self, address: str) -> VirtualPeripheral:
        """The peripheral at ``address`` (any case)."""
        key = hci.Address(address).to_string(False)
        try:
            return self._peripherals[key]
        except KeyError:
            raise KeyError(f"no virtual peripheral at {address}") from None

    async def add_peripheral(
        self,
        spec: PeripheralSpec,
        *,
        on_write: WriteCallback | None = None,
        conditions: RadioConditions | None = None,
        present: bool = True,
    ) -> VirtualPeripheral:
        """Build, power on and (if ``present``) start advertising a virtual peripheral.

        Parameters
        ----------
        spec : PeripheralSpec
            Name, address, advertised data and GATT table.
        on_write : callable, optional
            ``on_write(char_uuid, data)``, called on the event loop for every write by the
            central (with or without response), after the value is stored. Keep it short.
        conditions : RadioConditions, optional
            Radio imperfections of this peripheral's link; default: none.
        present : bool
            False for a sensor that is switched off (see :meth:`set_present`).
        """
        if not self.is_running:
            raise RuntimeError("the VirtualRadio is not started (use 'async with VirtualRadio()')")
        if spec.address in self._peripherals or spec.address == self.central_address:
            raise ValueError(f"address {spec.address} is already on this radio")
        controller = _QuietController(spec.name, link=self._link)
        channel = _LinkChannel(self._link, controller, conditions or RadioConditions())
        address = hci.Address(spec.address)
        self._link.add_channel(address, channel)
        device = Device(
            name=spec.name,
            address=address,
            host=_QuietHost(controller, AsyncPipeSink(controller)),
        )
        device.gatt_server.max_mtu = spec.att_mtu
        characteristics: dict[str, gatt.Characteristic] = {}
        services = []
        for service_uuid, char_specs in spec.services():
            chars = []
            for char_spec in char_specs:
                flags = gatt.Characteristic.Properties(0)
                for name in char_spec.properties:
                    flags |= _PROPERTY_FLAGS[name]
                permissions = gatt.Characteristic.Permissions(0)
                if "read" in char_spec.properties:
                    permissions |= gatt.Characteristic.Permissions.READABLE
                if {"write", "write_without_response"} & set(char_spec.properties):
                    permissions |= gatt.Characteristic.Permissions.WRITEABLE
                characteristic = _Characteristic(
                    to_bumble_uuid(char_spec.uuid), flags, permissions, char_spec.value
                )
                key = to_bleak_uuid(characteristic.uuid)
                if key in characteristics:
                    raise ValueError(f"{spec.name}: characteristic {char_spec.uuid} appears twice")
                characteristics[key] = characteristic
                chars.append(characteristic)
            services.append(gatt.Service(to_bumble_uuid(service_uuid), chars))
        device.add_services(services)
        await device.power_on()
        peripheral = VirtualPeripheral(self, spec, device, characteristics, on_write, channel)
        self._peripherals[spec.address] = peripheral
        self._channels[spec.address] = channel
        await self.set_present(spec.address, present)
        return peripheral

    # Radio realism
    def conditions(self, address: str) -> RadioConditions:
        """The radio conditions of a peripheral's link."""
        return self._channel(address).conditions

    def set_conditions(self, address: str, conditions: RadioConditions) -> None:
        """Change a peripheral's radio conditions, also in the middle of a connection.

        Switching batching off delivers what is queued at once, in order.
        """
        self._channel(address).set_conditions(conditions)

    def stats(self, address: str) -> LinkStats:
        """A snapshot of the counters of a peripheral's link."""
        return LinkStats(**self._channel(address).counts)

    def drop_link(
        self, address: str, *, supervision_timeout_s: float = LINUX_SUPERVISION_TIMEOUT_S
    ) -> bool:
        """Cut a peripheral's link abruptly, as when the sensor goes out of range.

        Nothing crosses the link from now on (queued and new PDUs are lost, including an
        LL_TERMINATE_IND if the central disconnects meanwhile). After
        ``supervision_timeout_s`` both hosts get a disconnection with reason "Connection
        Timeout" (0x08): bleak's ``disconnected_callback`` runs and pending GATT requests
        fail. The peripheral then advertises again (if present) and can be reconnected.

        Returns
        -------
        bool
            False if the peripheral was not connected (nothing to drop).
        """
        key = self.peripheral(address).address
        channel = self._channels[key]
        if not self._peripherals[key].is_connected or not channel.alive:
            return False
        channel.cancel()
        channel.alive = False
        channel.counts["links_dropped"] += 1
        loop = asyncio.get_running_loop()
        self._drop_timers[key] = loop.call_later(
            max(supervision_timeout_s, 0.0), self._supervision_timeout, key
        )
        return True

    async def set_present(self, address: str, present: bool) -> None:
        """Switch a peripheral on (it advertises) or off (silent; a live link drops at once).

        A peripheral that is never switched on models a sensor that never appears: scans
        do not see it and connecting to it times out.
        """
        peripheral = self.peripheral(address)
        peripheral.present = present
        if not present and peripheral.is_connected:
            self.drop_link(peripheral.address, supervision_timeout_s=0.0)
        await peripheral.sync_advertising()

    # For the bleak backend
    @property
    def connect_lock(self) -> asyncio.Lock:
        """Held while the central creates a connection (one at a time, as BlueZ does)."""
        return self._connect_lock

    async def acquire_scanning(self, *, active: bool = True) -> None:
        """Start scanning on the central, or join a scan already running."""
        async with self._scan_lock:
            if self._scan_users == 0:
                await self.central.start_scanning(active=active, filter_duplicates=False)
            self._scan_users += 1

    async def release_scanning(self) -> None:
        """Leave the scan; the last one out stops it."""
        async with self._scan_lock:
            if self._scan_users == 0:
                return
            self._scan_users -= 1
            if self._scan_users == 0 and self.is_running:
                await self.central.stop_scanning()

    # Internals
    def _channel(self, address: str) -> _LinkChannel:
        return self._channels[self.peripheral(address).address]

    def _rssi_for(self, address: hci.Address) -> int | None:
        channel = self._link.channels_by_address.get(bytes(address))
        return None if channel is None else channel.conditions.rssi_dbm

    def _on_peripheral_connected(self, peripheral: VirtualPeripheral) -> None:
        # A new connection (its first PDUs may already be queued: leave them be).
        timer = self._drop_timers.pop(peripheral.address, None)
        if timer is not None:
            timer.cancel()
        self._channels[peripheral.address].alive = True

    def _supervision_timeout(self, key: str) -> None:
        self._drop_timers.pop(key, None)
        channel = self._channels[key]
        central = self._link.central_controller
        assert central is not None
        peripheral_controller = channel.controller
        pairs = (
            (central, bytes(hci.Address(key))),
            (peripheral_controller, bytes(central.random_address)),
        )
        for controller, peer in pairs:
            for connection in list(controller.le_connections.values()):
                if bytes(connection.peer_address) == peer:
                    controller.on_le_disconnected(
                        connection, hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR
                    )
        channel.alive = True

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        if self._closed:
            coroutine.close()
            return
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("virtual radio task failed", exc_info=task.exception())
