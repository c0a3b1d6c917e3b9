"""The BLE collector: several IMUs over bleak as one :class:`~sensorlab.sources.base.Source`.

:class:`BleSource` finds each configured sensor (placement -> address), recognises its
model (:func:`sensorlab.devices.identify`, or the model the config names), connects to the
sensors one at a time (BlueZ refuses parallel connection attempts: ``ble-devices.md`` 7),
reads the battery where the model has one, subscribes to the data notifications and then
starts all sensors together. The same code drives real sensors and virtual ones: bleak's
``backend`` argument is injected (``scanner_kwargs``/``client_kwargs``; default: the
platform's real backend).

Threads, tasks and the queue
----------------------------
Everything runs on the asyncio event loop that iterates :meth:`BleSource.blocks` (bleak
delivers notifications on that loop). The notification callback only stamps the host
clock (``time.perf_counter``) and appends ``(stamp, connection, characteristic, bytes)`` to
one :class:`collections.deque`, then sets an :class:`asyncio.Event`. :meth:`blocks` waits
on the event, drains the deque, decodes each payload with the connection's decoder
(a :class:`~sensorlab.devices.DecodeError` is counted for that sensor, with its reason,
and skipped), applies the device's calibration file if there is one, aligns the times and
yields one :class:`~sensorlab.records.ImuChunk` per sensor and drain. Reconnections run
as their own tasks. Nothing blocks the loop; decoding is a few tens of microseconds per
notification.

Time
----
What follows is :class:`~sensorlab.ble.stream.SensorStream`'s job, one per sensor (pure,
tested with hand-made sequences in ``tests/test_ble_stream.py``).
``host_t_s`` is the receive stamp in seconds since the session started (just before the
start commands went out; notifications stamped earlier are dropped). ``t_s`` comes from
the best clock the model offers, per sensor, with state kept across reconnections:

* a device clock (DIY, Movesense, DOT): :class:`~sensorlab.processing.clock.ClockAligner`
  maps ``device_t_s`` onto the host clock (lower envelope of receive minus device time);
* a sample counter only: ``seq / rate_hz`` is the device clock
  (:func:`~sensorlab.processing.clock.device_time_from_seq`), aligned likewise with a
  wide drift prior (no current model is counter-only);
* neither (WitMotion, MetaMotion): :class:`~sensorlab.processing.clock.ArrivalDejitter`
  puts the samples on a nominal-rate grid mapped by the quickest arrivals.

``seq`` is the device's unwrapped counter (DIY); after a reconnection the counter restarts
on the device, and the collector continues the session's count from the device clock, so
the samples missed during the gap show as a ``seq`` gap (and in ``status().lost_samples``).

Reconnection
------------
bleak's ``disconnected_callback`` of a live connection starts a reconnect task: wait
(``reconnect_delay_s``, doubling up to ``reconnect_max_delay_s``), look for the sensor,
connect (one at a time), subscribe, send the start commands again. The session goes on
meanwhile; the gap shows in the sensor's times (the session reports it stale, lost and
resumed). After ``lost_after_s`` of failed attempts the status says ``lost``; attempts go
on at the longest delay, so a sensor brought back recovers by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from sensorlab.ble.calibration import DeviceCalibration, find_calibration
from sensorlab.ble.config import (
    DEFAULT_CALIBRATION_DIR,
    CollectorConfig,
    SensorConfig,
    normalize_address,
)
from sensorlab.ble.stream import DEFAULT_COUNTER_DRIFT_PRIOR_PPM, ConnectionOffsets, SensorStream
from sensorlab.devices import PROFILES, DecodedSamples, DecodeError, DeviceProfile, identify
from sensorlab.devices.profile import GattWrite, PacketDecoder
from sensorlab.errors import InputError
from sensorlab.records import ImuChunk, SensorInfo, SessionMeta

logger = logging.getLogger(__name__)

_LINK_ERRORS = (BleakError, TimeoutError, OSError, EOFError)
"""What a failing connection, GATT request or scan raises (bleak, the OS, D-Bus)."""


class StoppedWhileStartingError(Exception):
    """:meth:`BleSource.stop` was called before every sensor was connected and started.

    :meth:`BleSource.blocks` then simply ends.
    """


@dataclass(frozen=True)
class CollectorSettings:
    """Timeouts, retries and reconnection of a :class:`BleSource`.

    Attributes
    ----------
    scan_timeout_s : float
        How long to look for the sensors at the start, seconds.
    connect_timeout_s : float
        Time allowed for one connection attempt (connect and service discovery), seconds.
    connect_attempts : int
        Connection attempts per sensor at the start before giving up.
    retry_delay_s : float
        Pause between those attempts, seconds.
    reconnect_delay_s : float
        Wait before the first reconnection attempt after a drop, seconds; doubles after
        each failed attempt.
    reconnect_max_delay_s : float
        Longest wait between reconnection attempts, seconds.
    reconnect_scan_timeout_s : float
        How long each reconnection attempt looks for the sensor, seconds.
    lost_after_s : float
        Failed reconnection attempts for this long turn the status to ``lost``, seconds.
    command_timeout_s : float
        Time allowed for one GATT write or read, seconds.
    counter_drift_prior_ppm : float
        Drift prior for devices with a sample counter but no clock (their sampling rate
        may be off by a percent), ppm.
    """

    scan_timeout_s: float = 10.0
    connect_timeout_s: float = 10.0
    connect_attempts: int = 3
    retry_delay_s: float = 1.0
    reconnect_delay_s: float = 0.2
    reconnect_max_delay_s: float = 5.0
    reconnect_scan_timeout_s: float = 5.0
    lost_after_s: float = 15.0
    command_timeout_s: float = 5.0
    counter_drift_prior_ppm: float = DEFAULT_COUNTER_DRIFT_PRIOR_PPM

    def __post_init__(self) -> None:
        for name in (
            "scan_timeout_s",
            "connect_timeout_s",
            "reconnect_max_delay_s",
            "reconnect_scan_timeout_s",
            "command_timeout_s",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"CollectorSettings.{name} must be positive")
        if self.connect_attempts < 1:
            raise ValueError("CollectorSettings.connect_attempts must be at least 1")


DEFAULT_COLLECTOR = CollectorSettings()

SensorState = Literal["waiting", "connecting", "connected", "reconnecting", "lost", "stopped"]


@dataclass(frozen=True)
class SensorStatus:
    """A snapshot of one sensor's link, for the live view and the terminal.

    Attributes
    ----------
    placement, address : str
    model : str or None
        Model key once known.
    state : str
        ``waiting`` (not yet found), ``connecting``, ``connected``, ``reconnecting``,
        ``lost`` (reconnection keeps failing; still trying) or ``stopped``.
    battery_pct : int or None
        Battery level read at the last connection, where the model has one.
    rssi_dbm : int or None
        Signal strength in the last scan.
    packets : int
        Notifications decoded.
    samples : int
        Samples delivered.
    decode_errors : int
        Notifications that could not be decoded (skipped).
    lost_samples : int or None
        Samples missing from the device's counter (``None`` without a counter).
    reconnects : int
        Successful reconnections.
    calibrated : bool
        A calibration file is applied.
    last_error : str or None
        The latest problem (decode or link), for display.
    """

    placement: str
    address: str
    model: str | None
    state: SensorState
    battery_pct: int | None
    rssi_dbm: int | None
    packets: int
    samples: int
    decode_errors: int
    lost_samples: int | None
    reconnects: int
    calibrated: bool
    last_error: str | None

    def line(self) -> str:
        """One terminal line: ``pelvis  diy  C1:..  connected  1200 samples ...``."""
        parts = [
            f"{self.placement:<12}",
            f"{self.model or '?':<10}",
            f"{self.address}",
            f"{self.state:<12}",
            f"{self.samples:>7} samples",
        ]
        if self.lost_samples:
            parts.append(f"{self.lost_samples} lost")
        if self.decode_errors:
            parts.append(f"{self.decode_errors} undecodable")
        if self.reconnects:
            parts.append(f"{self.reconnects} reconnect{'s' if self.reconnects > 1 else ''}")
        if self.battery_pct is not None:
            parts.append(f"battery {self.battery_pct}%")
        if self.last_error and self.state != "connected":
            parts.append(f"({self.last_error})")
        return "  ".join(parts)


@dataclass(frozen=True)
class ScanResult:
    """One device seen by :func:`scan_devices`.

    Attributes
    ----------
    name : str or None
        Advertised name.
    address : str
    model : str or None
        Model key if sensorlab knows the device.
    rssi_dbm : int or None
    battery_pct : int or None
        Read by connecting briefly, where the model has a battery characteristic.
    service_uuids : tuple of str
        Advertised service UUIDs.
    """

    name: str | None
    address: str
    model: str | None
    rssi_dbm: int | None
    battery_pct: int | None
    service_uuids: tuple[str, ...]


class _Connection:
    """One BLE connection to a sensor (a new one after every reconnection)."""

    __slots__ = ("client", "decoder", "link", "live", "offsets")

    def __init__(self, link: _Link, decoder: PacketDecoder) -> None:
        self.link = link
        self.decoder = decoder
        self.client: BleakClient | None = None
        self.live = True
        self.offsets = ConnectionOffsets()


class _Link:
    """One placement's sensor across its connections.

    Link state, counters, and its :class:`~sensorlab.ble.stream.SensorStream` (made at
    the first samples, once the model and rate are known).
    """

    def __init__(self, config: SensorConfig, rate_hz: float) -> None:
        self.config = config
        self.placement = config.placement
        self.address = config.address
        self.requested_rate_hz = config.rate_hz or rate_hz
        self.profile: DeviceProfile | None = PROFILES.get(config.model) if config.model else None
        self.identified = False  # connected once: the profile is the device's variant
        self.device: BLEDevice | None = None
        self.calibration: DeviceCalibration | None = None
        self.calibration_path: Path | None = None
        self.conn: _Connection | None = None
        self.reconnect_task: asyncio.Task | None = None
        self.state: SensorState = "waiting"
        self.battery_pct: int | None = None
        self.rssi_dbm: int | None = None
        self.packets = 0
        self.decode_errors = 0
        self.reconnects = 0
        self.last_error: str | None = None
        self.stream: SensorStream | None = None

    @property
    def rate_hz(self) -> float:
        """The rate the device runs at (nearest supported), or the requested one."""
        if self.profile is None:
            return self.requested_rate_hz
        return self.profile.nearest_rate(self.requested_rate_hz)

    def status(self) -> SensorStatus:
        stream = self.stream
        return SensorStatus(
            placement=self.placement,
            address=self.address,
            model=self.profile.model if self.profile else None,
            state=self.state,
            battery_pct=self.battery_pct,
            rssi_dbm=self.rssi_dbm,
            packets=self.packets,
            samples=stream.samples if stream else 0,
            decode_errors=self.decode_errors,
            lost_samples=stream.lost_samples if stream and stream.last_seq is not None else None,
            reconnects=self.reconnects,
            calibrated=self.calibration is not None,
            last_error=self.last_error,
        )

    # -- samples ------------------------------------------------------------------------
    def chunk(
        self, parts: list[tuple[float, _Connection, DecodedSamples]], settings: CollectorSettings
    ) -> ImuChunk:
        """One block from the samples of several notifications, in arrival order.

        The device's calibration is applied.
        """
        if self.stream is None:
            self.stream = SensorStream(
                self.placement,
                self.rate_hz,
                clock_period_s=self.profile.clock_period_s if self.profile else None,
                counter_drift_prior_ppm=settings.counter_drift_prior_ppm,
            )
        chunk = self.stream.chunk(
            [(host_s, conn.offsets, decoded) for host_s, conn, decoded in parts]
        )
        if self.calibration is None:
            return chunk
        acc, gyr = self.calibration.apply(chunk.acc_m_s2, chunk.gyr_rad_s)
        return replace(chunk, acc_m_s2=acc, gyr_rad_s=gyr)


class BleSource:
    """Bluetooth IMUs as a :class:`~sensorlab.sources.base.Source` (see the module docstring).

    Call :meth:`start` (scan, connect, configure) before building the
    :class:`~sensorlab.session.Session`, so that :attr:`meta` (and the recording's sidecar)
    holds the recognised models and the rates the devices run at; :meth:`blocks` starts
    the source itself if needed. :meth:`stop` ends the stream; the devices then get their
    stop commands and are disconnected.

    Parameters
    ----------
    sensors : CollectorConfig or sequence of SensorConfig
        Placement -> address (and optional model, rate, mount).
    rate_hz : float, optional
        Requested rate of sensors whose config gives none, Hz (default: the config's).
    settings : CollectorSettings
        Timeouts, retries, reconnection; ``scan_timeout_s`` defaults to the config's.
    scanner_kwargs, client_kwargs : dict, optional
        Extra keyword arguments of every ``BleakScanner`` / ``BleakClient``: the backend
        (``sensorlab.virtual.scanner_kwargs(radio)`` for virtual sensors) or
        platform options. Default: the real backend.
    calibration_dir : Path or None
        Folder of per-device calibration files, applied when present; ``None`` applies
        none (default: the config's, else ``calibration``).
    activity : str, optional
        Written to :attr:`meta` (``step_up``, ``walk``).
    clock : callable
        The host's monotonic clock, seconds (default ``time.perf_counter``). Virtual
        sensors played faster than real time pass a clock that runs as fast.
    name : str
        For messages and the summary.

    Attributes
    ----------
    meta : SessionMeta
        Placement -> model, address, rate (the rate the device runs at), mount.
    """

    def __init__(
        self,
        sensors: CollectorConfig | Sequence[SensorConfig],
        *,
        rate_hz: float | None = None,
        settings: CollectorSettings | None = None,
        scanner_kwargs: Mapping[str, Any] | None = None,
        client_kwargs: Mapping[str, Any] | None = None,
        calibration_dir: Path | Literal["config"] | None = "config",
        activity: str | None = None,
        clock: Callable[[], float] = time.perf_counter,
        name: str = "ble",
    ) -> None:
        if isinstance(sensors, CollectorConfig):
            config = sensors
            configs = list(config.sensors.values())
            default_rate = config.rate_hz
            if settings is None:
                settings = replace(DEFAULT_COLLECTOR, scan_timeout_s=config.scan_timeout_s)
            folder = config.calibration_dir
        else:
            configs = list(sensors)
            default_rate = 100.0
            folder = DEFAULT_CALIBRATION_DIR
        if not configs:
            raise InputError(
                "no sensors to record from: give their addresses in sensorlab.toml or with "
                "--pelvis/--left-thigh/--right-thigh (run 'sensorlab scan' to find them)"
            )
        self.settings = settings or DEFAULT_COLLECTOR
        self.calibration_dir: Path | None = (
            folder if calibration_dir == "config" else calibration_dir
        )
        self.name = name
        self.activity = activity
        rate = rate_hz if rate_hz is not None else default_rate
        self._links = {c.placement: _Link(c, rate) for c in configs}
        self._scanner_kwargs = dict(scanner_kwargs or {})
        self._client_kwargs = dict(client_kwargs or {})
        self._clock = clock
        self._inbox: deque[tuple[float, _Connection, str, bytes]] = deque()
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._connect_lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._t0: float | None = None
        self._started_at: str | None = None
        self._started = False
        self._start_lock = asyncio.Lock()
        self._closed = False
        self.meta = self._make_meta()

    # -- Source protocol ---------------------------------------------------------------
    async def blocks(self) -> AsyncIterator[ImuChunk]:
        """Blocks of each sensor as they arrive, until :meth:`stop`; then disconnects."""
        try:
            try:
                await self.start()
            except StoppedWhileStartingError:
                return
            inbox = self._inbox
            while True:
                if not inbox:
                    if self._stopping:
                        break
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                last_round = self._stopping
                batch = [inbox.popleft() for _ in range(len(inbox))]
                for chunk in self._process(batch):
                    yield chunk
                if last_round:
                    break
        finally:
            await asyncio.shield(self.aclose())

    def stop(self) -> None:
        """End the stream soon (safe to call from any thread, more than once)."""
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop and loop.is_running():
            loop.call_soon_threadsafe(self._request_stop)
        else:
            self._request_stop()

    @property
    def _stopping(self) -> bool:
        return self._stop_event.is_set()

    def _request_stop(self) -> None:
        self._stop_event.set()
        self._wake.set()

    def status(self) -> dict[str, SensorStatus]:
        """Per placement: state, address, model, battery, counters, last error."""
        return {placement: link.status() for placement, link in self._links.items()}

    @property
    def t0_s(self) -> float | None:
        """The host clock at session start, seconds; ``None`` before :meth:`start`.

        ``host_t_s`` and ``t_s`` count from it.
        """
        return self._t0

    @property
    def started(self) -> bool:
        """Whether the sensors are connected and streaming (until :meth:`aclose`)."""
        return self._started and not self._closed

    # -- lifetime ----------------------------------------------------------------------
    async def start(self) -> None:
        """Find, identify, connect and configure every sensor, then start them together.

        Raises
        ------
        InputError
            A sensor not seen within the scan timeout (naming its placement and address),
            an unknown model, or a sensor that refuses every connection attempt. Sensors
            already connected are disconnected first.
        StoppedWhileStartingError
            :meth:`stop` was called meanwhile.
        """
        async with self._start_lock:
            if self._started:
                return
            if self._closed:
                raise RuntimeError("this BleSource was stopped; make a new one")
            self._loop = asyncio.get_running_loop()
            try:
                if self._stopping:
                    raise StoppedWhileStartingError
                await self._scan()
                for link in self._links.values():
                    if self._stopping:
                        raise StoppedWhileStartingError
                    link.state = "connecting"
                    link.conn = await self._connect_with_retries(link)
                await self._go()
                self._started = True
            except BaseException:
                await asyncio.shield(self.aclose())
                raise

    async def aclose(self) -> None:
        """Send the stop commands and disconnect every sensor (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._request_stop()
        tasks = [link.reconnect_task for link in self._links.values() if link.reconnect_task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        conns = [link.conn for link in self._links.values() if link.conn is not None]
        await asyncio.gather(*(self._shut(conn) for conn in conns), return_exceptions=True)
        for link in self._links.values():
            link.conn = None
            link.state = "stopped"

    # -- internals: scan, connect, configure ------------------------------------------
    async def _scan(self) -> None:
        wanted = {link.address: link for link in self._links.values()}
        seen: dict[str, tuple[BLEDevice, AdvertisementData]] = {}
        all_seen = asyncio.Event()

        def on_detection(device: BLEDevice, adv: AdvertisementData) -> None:
            key = device.address.upper()
            if key in wanted:
                seen[key] = (device, adv)
                if len(seen) == len(wanted):
                    all_seen.set()

        timeout_s = self.settings.scan_timeout_s
        async with BleakScanner(on_detection, **self._scanner_kwargs):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await all_seen.wait()
        missing = [link for address, link in wanted.items() if address not in seen]
        if missing:
            names = ", ".join(f"{link.placement} ({link.address})" for link in missing)
            verb = "was" if len(missing) == 1 else "were"
            raise InputError(
                f"{names} {verb} not seen within {timeout_s:g} s. Switch the sensor on (and "
                "charge it), bring it within a few metres, disconnect it from any phone app, "
                "and check the address in sensorlab.toml or on the command line against "
                "'sensorlab scan'"
            )
        for address, (device, adv) in seen.items():
            link = wanted[address]
            link.device = device
            link.rssi_dbm = adv.rssi
            if link.profile is None:
                name = adv.local_name or device.name
                link.profile = identify(name, list(adv.service_uuids))
                if link.profile is None:
                    raise InputError(
                        f"{link.placement} ({link.address}, advertised as {name!r}) is not a "
                        f"sensor model sensorlab recognises; if it is one, set its model in "
                        f"sensorlab.toml (model = one of {', '.join(PROFILES)})"
                    )
            found = find_calibration(link.address, self.calibration_dir)
            if found is not None:
                link.calibration, link.calibration_path = found

    async def _connect_with_retries(self, link: _Link) -> _Connection:
        attempts = self.settings.connect_attempts
        last: BaseException | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(self.settings.retry_delay_s)
            try:
                return await self._connect(link)
            except _LINK_ERRORS as exc:
                last = exc
                link.last_error = f"connect: {_describe(exc)}"
                logger.info(
                    "%s: connection attempt %d failed: %s", link.placement, attempt + 1, exc
                )
        raise InputError(
            f"could not connect to {link.placement} ({link.address}) in {attempts} attempts "
            f"(last error: {_describe(last)}). Bring it closer, check that no other app or "
            "computer is connected to it, switch it off and on, and try again"
        )

    async def _connect(self, link: _Link, start: bool = False) -> _Connection:
        """Connect (one at a time), read the battery and subscribe.

        With ``start`` (a reconnection) send the start commands too, unless the session is stopping.

        Whatever fails disconnects the device again before the error is raised.
        """
        assert link.profile is not None and link.device is not None
        profile = link.profile
        conn = _Connection(link, profile.new_decoder(link.requested_rate_hz))
        client = BleakClient(
            link.device,
            disconnected_callback=lambda _client: self._on_disconnected(conn),
            timeout=self.settings.connect_timeout_s,
            **self._client_kwargs,
        )
        conn.client = client
        async with self._connect_lock:
            await client.connect()
        try:
            missing = [
                uuid
                for uuid in (*profile.notify_uuids, profile.command_uuid)
                if client.services.get_characteristic(uuid) is None
            ]
            if missing:
                raise InputError(
                    f"{link.placement} ({link.address}) has no characteristic "
                    f"{', '.join(missing)}: it is not a {profile.label}. Set its model in "
                    "sensorlab.toml, or check the address"
                )
            if profile.battery_uuid and client.services.get_characteristic(profile.battery_uuid):
                link.battery_pct = await _read_battery(
                    client, profile, self.settings.command_timeout_s
                )
            if not link.identified:
                variant = await self._identify(conn, profile)
                if variant is not profile:
                    profile = link.profile = variant
                    conn.decoder = variant.new_decoder(link.requested_rate_hz)
                link.identified = True
            for uuid in profile.notify_uuids:
                await asyncio.wait_for(
                    client.start_notify(uuid, self._callback(conn, uuid)),
                    self.settings.command_timeout_s,
                )
            if start and not self._stopping:
                await self._send(conn, profile.start_commands(link.requested_rate_hz))
        except BaseException:
            conn.live = False
            await asyncio.shield(_disconnect(client))
            raise
        return conn

    async def _identify(self, conn: _Connection, profile: DeviceProfile) -> DeviceProfile:
        """The profile of the variant the connected device says it is.

        ``profile`` itself for a model with one variant.
        """
        commands = profile.identify_commands()
        if not commands:
            return profile
        client, link = conn.client, conn.link
        assert client is not None
        reply: asyncio.Future[DeviceProfile] = asyncio.get_running_loop().create_future()

        def on_reply(_characteristic: Any, data: bytearray) -> None:
            if reply.done():
                return
            try:
                variant = profile.variant_from_reply(bytes(data))
            except DecodeError as exc:
                reply.set_exception(exc)
                return
            if variant is not None:
                reply.set_result(variant)

        # On failure, _connect disconnects: the subscriptions end with the connection.
        timeout_s = self.settings.command_timeout_s
        for uuid in profile.notify_uuids:
            await asyncio.wait_for(client.start_notify(uuid, on_reply), timeout_s)
        await self._send(conn, commands)
        try:
            variant = await asyncio.wait_for(reply, timeout_s)
        except TimeoutError:
            asked = " ".join(c.data.hex(" ") for c in commands)
            raise TimeoutError(f"no reply to '{asked}' (which {profile.label}?)") from None
        except DecodeError as exc:
            raise InputError(
                f"{link.placement} ({link.address}) is a {profile.model} sensorlab does not "
                f"know: {exc.reason}. Record with another sensor, and please report it"
            ) from None
        for uuid in profile.notify_uuids:
            await asyncio.wait_for(client.stop_notify(uuid), timeout_s)
        logger.info("%s: %s", link.placement, variant.label)
        return variant

    def _callback(self, conn: _Connection, char_uuid: str) -> Callable[[Any, bytearray], None]:
        """The notification callback: stamp, copy, enqueue, wake. Nothing else."""
        inbox, wake, clock = self._inbox, self._wake, self._clock

        def on_notify(_characteristic: Any, data: bytearray) -> None:
            inbox.append((clock(), conn, char_uuid, bytes(data)))
            wake.set()

        return on_notify

    async def _go(self) -> None:
        """Start every sensor together; the session's time starts now."""
        self._t0 = self._clock()
        self._started_at = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        self.meta = self._make_meta()
        links = [link for link in self._links.values() if link.conn and link.profile]
        results = await asyncio.gather(
            *(
                self._send(link.conn, link.profile.start_commands(link.requested_rate_hz))
                for link in links
                if link.profile is not None
            ),
            return_exceptions=True,
        )
        for link, result in zip(links, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, _LINK_ERRORS):
                    raise result
                # Treat it as a dropped link: disconnecting starts the reconnection.
                link.last_error = f"start: {_describe(result)}"
                conn = link.conn
                if conn is not None:
                    await _disconnect(conn.client)
            else:
                link.state = "connected"

    async def _send(self, conn: _Connection | None, writes: list[GattWrite]) -> None:
        if conn is None or conn.client is None:
            return
        for write in writes:
            await asyncio.wait_for(
                conn.client.write_gatt_char(write.char_uuid, write.data, response=write.response),
                self.settings.command_timeout_s,
            )
            if write.pause_after_s:
                await asyncio.sleep(write.pause_after_s)

    async def _shut(self, conn: _Connection) -> None:
        """Stop commands (best effort), then disconnect."""
        conn.live = False
        link = conn.link
        client = conn.client
        if client is None:
            return
        if client.is_connected and link.profile is not None:
            try:
                await self._send(conn, link.profile.stop_commands())
            except _LINK_ERRORS as exc:
                logger.info("%s: stop commands failed: %s", link.placement, exc)
        await _disconnect(client)

    # -- internals: reconnection -------------------------------------------------------
    def _on_disconnected(self, conn: _Connection) -> None:
        link = conn.link
        was_live, conn.live = conn.live, False
        if not was_live or self._stopping or link.conn is not conn:
            return
        link.conn = None
        link.state = "reconnecting"
        link.last_error = "link dropped"
        link.reconnect_task = asyncio.get_running_loop().create_task(self._reconnect(link))

    async def _reconnect(self, link: _Link) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        delay = self.settings.reconnect_delay_s
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stop_event.wait()
            if self._stopping:
                return
            try:
                device = await BleakScanner.find_device_by_address(
                    link.address,
                    timeout=self.settings.reconnect_scan_timeout_s,
                    **self._scanner_kwargs,
                )
                if device is None:
                    raise TimeoutError(f"not seen for {self.settings.reconnect_scan_timeout_s:g} s")
                link.device = device
                conn = await self._connect(link, start=True)
                if self._stopping:
                    await self._shut(conn)
                    return
                if conn.live and conn.client is not None and conn.client.is_connected:
                    link.conn = conn
                    link.reconnects += 1
                    link.state = "connected"
                    return
                link.last_error = "reconnect: dropped again while starting"
            except (*_LINK_ERRORS, InputError) as exc:
                link.last_error = f"reconnect: {_describe(exc)}"
                if loop.time() - began > self.settings.lost_after_s:
                    link.state = "lost"
                delay = min(max(delay, 0.05) * 2.0, self.settings.reconnect_max_delay_s)

    # -- internals: samples -----------------------------------------------------------
    def _process(self, batch: list[tuple[float, _Connection, str, bytes]]) -> list[ImuChunk]:
        t0 = self._t0
        if t0 is None:
            return []
        groups: dict[_Link, list[tuple[float, _Connection, DecodedSamples]]] = {}
        for stamp, conn, char_uuid, payload in batch:
            if stamp < t0:
                continue  # before the session started (a free-running sensor)
            link = conn.link
            try:
                decoded = conn.decoder.feed(char_uuid, payload)
            except Exception as exc:  # DecodeError; anything else is a decoder bug
                link.decode_errors += 1
                reason = exc.reason if isinstance(exc, DecodeError) else repr(exc)
                link.last_error = f"undecodable notification: {reason}"
                if not isinstance(exc, DecodeError):
                    logger.exception("%s: decoder failed", link.placement)
                continue
            link.packets += 1
            if len(decoded):
                groups.setdefault(link, []).append((stamp - t0, conn, decoded))
        return [link.chunk(parts, self.settings) for link, parts in groups.items()]

    def _make_meta(self) -> SessionMeta:
        sensors = {}
        for placement, link in self._links.items():
            extra: dict[str, Any] = {}
            if link.profile is not None and link.identified:
                # The make and model as identified (for a MetaMotion: which IMU it said).
                extra["device"] = link.profile.label
            if link.calibration_path is not None:
                extra["device_calibration"] = str(link.calibration_path)
            sensors[placement] = SensorInfo(
                placement=placement,
                model=link.profile.model if link.profile else link.config.model,
                address=link.address,
                rate_hz=link.rate_hz,
                mount=link.config.mount,
                extra=extra,
            )
        return SessionMeta(
            activity=self.activity,
            sensors=sensors,
            started_at=self._started_at,
            notes=f"recorded over Bluetooth ({self.name})",
        )


async def _disconnect(client: BleakClient | None) -> None:
    if client is None:
        return
    try:
        async with asyncio.timeout(10.0):
            await client.disconnect()
    except (TimeoutError, *_LINK_ERRORS) as exc:
        logger.info("disconnect failed: %s", exc)


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def scan_devices(
    timeout_s: float = 5.0,
    *,
    read_battery: bool = True,
    scanner_kwargs: Mapping[str, Any] | None = None,
    client_kwargs: Mapping[str, Any] | None = None,
    connect_timeout_s: float = 5.0,
) -> list[ScanResult]:
    """Every BLE device advertising within ``timeout_s``.

    Known sensor models first, then by signal strength.

    Parameters
    ----------
    read_battery : bool
        Connect briefly (one at a time) to each recognised sensor whose model has a
        battery characteristic and read it.
    scanner_kwargs, client_kwargs : dict, optional
        Backend selection as for :class:`BleSource`.
    """
    found = await BleakScanner.discover(timeout_s, return_adv=True, **dict(scanner_kwargs or {}))
    results = []
    for device, adv in found.values():
        name = adv.local_name or device.name
        profile = identify(name, list(adv.service_uuids))
        battery = None
        if read_battery and profile is not None and profile.battery_uuid is not None:
            battery = await _battery_of(device, profile, client_kwargs, connect_timeout_s)
        results.append(
            ScanResult(
                name=name,
                address=normalize_address(device.address),
                model=profile.model if profile else None,
                rssi_dbm=adv.rssi,
                battery_pct=battery,
                service_uuids=tuple(adv.service_uuids),
            )
        )
    return sorted(results, key=lambda r: (r.model is None, -(r.rssi_dbm or -999), r.address))


async def _battery_of(
    device: BLEDevice,
    profile: DeviceProfile,
    client_kwargs: Mapping[str, Any] | None,
    timeout_s: float,
) -> int | None:
    client = BleakClient(device, timeout=timeout_s, **dict(client_kwargs or {}))
    try:
        await client.connect()
        return await _read_battery(client, profile, timeout_s)
    except _LINK_ERRORS as exc:
        logger.info("%s: battery not read: %s", device.address, exc)
        return None
    finally:
        await _disconnect(client)


async def _read_battery(
    client: BleakClient, profile: DeviceProfile, timeout_s: float
) -> int | None:
    """The battery level of a connected device, %, or None (logged) if it cannot be read."""
    assert profile.battery_uuid is not None
    try:
        raw = await asyncio.wait_for(client.read_gatt_char(profile.battery_uuid), timeout_s)
        return profile.decode_battery(bytes(raw))
    except (*_LINK_ERRORS, DecodeError) as exc:
        logger.info("%s: battery not read: %s", client.address, exc)
        return None
