"""Virtual IMUs: the device models of :mod:`sensorlab.devices` served on a :class:`VirtualRadio`.

A :class:`VirtualSensor` runs one :class:`~sensorlab.devices.VirtualDevice` (WitMotion,
MetaMotion, Movesense, DOT or DIY) as a bumble peripheral: its GATT table comes from
``gatt_services()``, writes from the central go to the device's ``on_write`` (whose replies
are sent as notifications), and a feeder task turns a :class:`Motion` (what the sensor
"feels": specific force and angular rate over time, from a recording, the simulator or a
scripted pose sequence) into the notifications the device sends while it streams, at
real time or ``speed`` times faster. The collector talks to it with unchanged bleak code.

World time
----------
The sensors of one :class:`VirtualSensorSet` share a :class:`WorldClock`: the motion starts
(world time 0) at the first write any central makes to any of them, which for
:class:`~sensorlab.ble.collector.BleSource` is its first start command ("the subject starts
when the clinician presses record"); before that, nothing is sent. A device samples the
motion at ``k / rate_hz`` of world time (the motion resampled if its rate differs) and
stamps its samples with its own clock, ``k / rate_hz + clock_offset_s``. At ``speed`` > 1
world time runs faster than the wall clock; give the collector :meth:`WorldClock.host_clock`
so that its receive stamps run as fast.

Disconnections
--------------
Each model does on a dropped link what the real one does (``firmware_notes/``): DIY,
Movesense and DOT stop streaming (their stop commands are applied to the device), so the
collector must start them again; WitMotion and MetaMotion keep sampling into the dead
link, and those samples are lost. The device clock keeps running either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sensorlab.ble.config import SensorConfig
from sensorlab.devices import PROFILES, VIRTUAL_DEVICES, VirtualDevice
from sensorlab.errors import InputError
from sensorlab.frames import PLACEMENTS
from sensorlab.records import SessionMeta
from sensorlab.units import STANDARD_GRAVITY_M_S2
from sensorlab.virtual.link import (
    PeripheralSpec,
    RadioConditions,
    VirtualPeripheral,
    VirtualRadio,
)

logger = logging.getLogger(__name__)

IDLE_TICK_S = 0.005
"""Feeder poll interval while a device does not stream (wall seconds)."""
MIN_TICK_S = 0.0005

KEEPS_STREAMING_WHEN_DISCONNECTED = frozenset({"witmotion", "metamotion"})
"""Models that go on sampling after a dropped link (the others stop, as their notes say)."""

MOTION_HELP = """\
replay:PATH.csv   virtual sensors feel the motion of a recording
sim[:SCENARIO]    ... of a simulated session (scenarios: see 'sensorlab simulate --help')"""


# --------------------------------------------------------------------------------------
# What the sensors feel
# --------------------------------------------------------------------------------------
class WorldClock:
    """World time of a set of virtual sensors: stopped at 0 until :meth:`start`.

    Parameters
    ----------
    speed : float
        World seconds per wall second.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = float(speed)
        self._start_wall: float | None = None

    @property
    def started(self) -> bool:
        """Whether world time runs."""
        return self._start_wall is not None

    def start(self) -> None:
        """Start world time (once; later calls do nothing)."""
        if self._start_wall is None:
            self._start_wall = time.perf_counter()

    def now(self) -> float:
        """World time, seconds (0 before :meth:`start`)."""
        if self._start_wall is None:
            return 0.0
        return (time.perf_counter() - self._start_wall) * self.speed

    def host_clock(self) -> float:
        """A monotonic clock that runs at world speed, seconds (for the collector)."""
        return time.perf_counter() * self.speed


@dataclass(frozen=True)
class Motion:
    """What one sensor feels, sampled regularly.

    Attributes
    ----------
    rate_hz : float
        Sample rate, Hz; sample ``k`` is at ``k / rate_hz`` seconds.
    acc_m_s2 : ndarray, shape (n, 3)
        Specific force in the sensor frame, m/s^2.
    gyr_rad_s : ndarray, shape (n, 3)
        Angular rate in the sensor frame, rad/s.
    """

    rate_hz: float
    acc_m_s2: np.ndarray
    gyr_rad_s: np.ndarray

    def __len__(self) -> int:
        return int(self.acc_m_s2.shape[0])

    @property
    def duration_s(self) -> float:
        """Time covered, seconds."""
        return len(self) / self.rate_hz

    def head(self, duration_s: float) -> Motion:
        """The first ``duration_s`` seconds."""
        n = max(2, round(duration_s * self.rate_hz))
        return Motion(self.rate_hz, self.acc_m_s2[:n], self.gyr_rad_s[:n])

    def at_rate(self, rate_hz: float) -> Motion:
        """The motion at another rate, linearly interpolated.

        Within 0.5 % the same samples are taken as they are (a device's rate and a recording's
        differ that little).
        """
        if abs(rate_hz - self.rate_hz) <= 0.005 * rate_hz:
            return Motion(rate_hz, self.acc_m_s2, self.gyr_rad_s)
        t_old = np.arange(len(self)) / self.rate_hz
        t_new = np.arange(math.floor(t_old[-1] * rate_hz) + 1) / rate_hz
        return Motion(
            rate_hz,
            _interp_rows(t_new, t_old, self.acc_m_s2),
            _interp_rows(t_new, t_old, self.gyr_rad_s),
        )


@dataclass(frozen=True)
class SensorError:
    """A known error added to a virtual sensor's samples (to test calibration).

    The device reports ``acc * acc_scale + acc_offset_m_s2`` and ``gyr + gyro_bias_rad_s``
    per axis, the model of :mod:`sensorlab.ble.calibration`.
    """

    gyro_bias_rad_s: tuple[float, float, float] = (0.0, 0.0, 0.0)
    acc_offset_m_s2: tuple[float, float, float] = (0.0, 0.0, 0.0)
    acc_scale: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def apply(self, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The samples as the erring device reports them."""
        acc = acc_m_s2 * np.asarray(self.acc_scale) + np.asarray(self.acc_offset_m_s2)
        return acc, gyr_rad_s + np.asarray(self.gyro_bias_rad_s)


DEMO_ERROR = SensorError(
    gyro_bias_rad_s=(math.radians(0.8), math.radians(-0.5), math.radians(0.3)),
    acc_offset_m_s2=(0.12, -0.08, 0.2),
    acc_scale=(1.015, 0.99, 1.02),
)
"""The error of ``--virtual poses``: what ``calibrate-device`` should find."""


def motion_from_chunk(t_s: np.ndarray, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray) -> Motion:
    """A :class:`Motion` from recorded samples at their median rate (gaps interpolated)."""
    t = np.asarray(t_s, dtype=np.float64)
    if t.size < 2:
        raise InputError("a virtual sensor needs a recording with at least two samples per sensor")
    rate_hz = 1.0 / float(np.median(np.diff(t)))
    grid = t[0] + np.arange(math.floor((t[-1] - t[0]) * rate_hz + 1e-6) + 1) / rate_hz
    if grid.size == t.size and np.allclose(grid, t, atol=0.25 / rate_hz):
        return Motion(rate_hz, np.asarray(acc_m_s2, float), np.asarray(gyr_rad_s, float))
    return Motion(
        rate_hz,
        _interp_rows(grid, t, np.asarray(acc_m_s2, float)),
        _interp_rows(grid, t, np.asarray(gyr_rad_s, float)),
    )


def _interp_rows(t_new: np.ndarray, t_old: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation of (n, 3) values taken at ``t_old`` onto ``t_new``, per axis."""
    return np.column_stack([np.interp(t_new, t_old, values[:, i]) for i in range(3)])


def motions_from_spec(
    spec: str, seed: int = 0, duration_s: float | None = None
) -> tuple[dict[str, Motion], SessionMeta]:
    """The motions of each placement, and the source's sidecar, from a motion spec.

    ``replay:PATH`` or ``sim[:SCENARIO]`` (see :data:`MOTION_HELP`), cut to ``duration_s`` if given
    (the simulator is asked for about that long).

    Raises
    ------
    InputError
        For an unknown kind, a missing file or scenario.
    """
    kind, _, argument = spec.partition(":")
    if kind == "replay":
        from sensorlab.io.recording import read_recording

        if not argument:
            raise InputError("replay needs a recording: --virtual replay:SESSION.csv")
        recording = read_recording(Path(argument))
    elif kind == "sim":
        from sensorlab.simulate.scenarios import SCENARIOS, make_scenario

        scenario = argument or "step_up_asymmetric"
        if scenario not in SCENARIOS:
            raise InputError(
                f"unknown scenario {scenario!r}; choose one of {', '.join(sorted(SCENARIOS))}"
            )
        recording = make_scenario(scenario, seed, duration_s=duration_s).recording
    else:
        raise InputError(f"unknown virtual motion {spec!r}; use one of:\n{MOTION_HELP}")
    motions = {
        placement: motion_from_chunk(chunk.t_s, chunk.acc_m_s2, chunk.gyr_rad_s)
        for placement, chunk in recording.chunks.items()
        if len(chunk) >= 2
    }
    if duration_s is not None:  # the simulator's presets can be longer than asked
        motions = {p: m.head(duration_s) for p, m in motions.items()}
    return motions, recording.meta


def pose_motion(
    rate_hz: float = 100.0,
    *,
    still_s: float = 3.0,
    turn_s: float = 1.0,
    hold_s: float = 3.0,
    acc_noise_m_s2: float = 0.01,
    gyro_noise_rad_s: float = 0.002,
    seed: int = 0,
) -> Motion:
    """The six-position calibration as a sensor feels it, without error.

    Still top up, then +x, -x, +y, -y, +z and -z up in turn, each held ``hold_s`` after a ``turn_s``
    turn (the order :data:`sensorlab.ble.calibration.POSES` asks for).

    Specific force is ``R^T (0, 0, g)`` with ``g`` = 9.80665 m/s^2, the angular rate that
    of the turns, plus white noise (which also dithers the device's quantisation).
    """
    from scipy.spatial.transform import Rotation, Slerp

    from sensorlab.ble.calibration import POSES

    # Sensor-to-world rotations that put each sensor axis (with its sign) up.
    quarter = math.pi / 2
    rotvecs = {
        (0, 1.0): (0.0, -quarter, 0.0),
        (0, -1.0): (0.0, quarter, 0.0),
        (1, 1.0): (quarter, 0.0, 0.0),
        (1, -1.0): (-quarter, 0.0, 0.0),
        (2, 1.0): (0.0, 0.0, 0.0),
        (2, -1.0): (math.pi, 0.0, 0.0),
    }
    orientations = [Rotation.identity()]
    orientations += [Rotation.from_rotvec(rotvecs[pose]) for pose in POSES]
    keys_t = [0.0, still_s]
    keys_r = [orientations[0], orientations[0]]
    for rotation in orientations[1:]:
        keys_t += [keys_t[-1] + turn_s, keys_t[-1] + turn_s + hold_s]
        keys_r += [rotation, rotation]
    times = np.array(keys_t)
    # Slerp needs distinct key times: interpolate segment by segment.
    t = np.arange(math.floor(times[-1] * rate_hz) + 1) / rate_hz
    quats = np.empty((t.size, 4))
    for i in range(len(times) - 1):
        inside = (t >= times[i]) & (t <= times[i + 1])
        if not inside.any():
            continue
        pair = Rotation.concatenate([keys_r[i], keys_r[i + 1]])
        quats[inside] = Slerp([times[i], times[i + 1]], pair)(t[inside]).as_quat()
    rotations = Rotation.from_quat(quats)
    gravity = np.array([0.0, 0.0, STANDARD_GRAVITY_M_S2])
    acc = rotations.inv().apply(gravity)
    # Body-frame angular rate from successive orientations: R_k^T R_{k+1} = exp(w dt).
    steps = (rotations[:-1].inv() * rotations[1:]).as_rotvec() * rate_hz
    gyr = np.vstack([steps, steps[-1:]])
    rng = np.random.default_rng(seed)
    acc = acc + rng.normal(0.0, acc_noise_m_s2, acc.shape)
    gyr = gyr + rng.normal(0.0, gyro_noise_rad_s, gyr.shape)
    return Motion(rate_hz, acc, gyr)


# --------------------------------------------------------------------------------------
# One virtual sensor
# --------------------------------------------------------------------------------------
def make_device(model: str, rate_hz: float, name: str | None = None) -> VirtualDevice:
    """A virtual device of ``model`` with a distinct name.

    A WitMotion is made at the supported rate nearest ``rate_hz``, as if that rate had been
    saved on it before (it streams from power-up); the others power up stopped.
    """
    if model not in VIRTUAL_DEVICES:
        raise InputError(f"unknown model {model!r}; use one of {', '.join(VIRTUAL_DEVICES)}")
    kwargs: dict = {} if name is None else {"name": name}
    if model == "witmotion":
        kwargs["rate_hz"] = PROFILES[model].nearest_rate(rate_hz)
    return VIRTUAL_DEVICES[model](**kwargs)


def _device_name(model: str, number: int) -> str:
    """Advertised names as the real devices use them, numbered."""
    return {
        "witmotion": f"WT901BLE{number:02d}",
        "metamotion": "MetaWear",
        "movesense": f"Movesense {number:012d}",
        "dot": f"Movella DOT {number}",
        "diy": f"sensorlab-{number:04X}",
    }[model]


@dataclass
class FeedLog:
    """What a virtual sensor took and sent.

    Attributes
    ----------
    runs : list of (rate_hz, first, end)
        Motion samples ``first .. end - 1`` (at that rate) taken while streaming, in order.
    notifications_sent : int
        Notifications handed to the radio (a connected, subscribed central).
    notifications_unsent : int
        Notifications with no one to receive them (disconnected, not subscribed).
    disconnections : int
        Links that went down.
    """

    runs: list[tuple[float, int, int]] = field(default_factory=list)
    notifications_sent: int = 0
    notifications_unsent: int = 0
    disconnections: int = 0

    @property
    def samples(self) -> int:
        """Samples taken while streaming."""
        return sum(end - first for _, first, end in self.runs)

    def add(self, rate_hz: float, first: int, end: int) -> None:
        """Log motion samples ``first .. end - 1`` taken at ``rate_hz`` (joins a run it extends)."""
        if self.runs and self.runs[-1][0] == rate_hz and self.runs[-1][2] == first:
            self.runs[-1] = (rate_hz, self.runs[-1][1], end)
        else:
            self.runs.append((rate_hz, first, end))


class VirtualSensor:
    """One virtual IMU on a radio, fed from a :class:`Motion` (see the module docstring).

    Parameters
    ----------
    device : VirtualDevice
        The device model (e.g. ``sensorlab.devices.diy.VirtualDiy()``).
    model : str
        Its model key (decides what a dropped link does).
    address : str
        Bluetooth address.
    motion : Motion
        What it feels.
    world : WorldClock
        Shared world time.
    error : SensorError, optional
        Error added to the samples before the device quantises them.
    conditions : RadioConditions, optional
        Radio imperfections of its link.
    clock_offset_s : float
        Device clock at world time 0, seconds.
    start_world_on_write : bool
        Start the world clock at the first write from a central.

    Attributes
    ----------
    log : FeedLog
        What it took and sent.
    finished : bool
        The motion has been played to its end.
    """

    def __init__(
        self,
        device: VirtualDevice,
        model: str,
        address: str,
        motion: Motion,
        world: WorldClock,
        *,
        error: SensorError | None = None,
        conditions: RadioConditions | None = None,
        clock_offset_s: float = 1000.0,
        start_world_on_write: bool = True,
    ) -> None:
        self.device = device
        self.model = model
        self.address = address
        self.motion = motion
        self.world = world
        self.error = error
        self.conditions = conditions
        self.clock_offset_s = clock_offset_s
        self.start_world_on_write = start_world_on_write
        self.log = FeedLog()
        self.finished = False
        self.peripheral: VirtualPeripheral | None = None
        self._motions: dict[float, Motion] = {}
        self._task: asyncio.Task | None = None
        self._sends: set[asyncio.Task] = set()
        self._resume_w = 0.0
        self._closed = False

    def spec(self) -> PeripheralSpec:
        """The peripheral description: name, address, advertised UUIDs, GATT table."""
        gatt = {service.uuid: service.characteristics for service in self.device.gatt_services()}
        return PeripheralSpec(
            name=self.device.advertised_name,
            address=self.address,
            gatt=gatt,
            service_uuids=tuple(self.device.advertised_service_uuids),
        )

    def motion_at(self, rate_hz: float) -> Motion:
        """The motion as sampled at ``rate_hz`` (cached)."""
        motion = self._motions.get(rate_hz)
        if motion is None:
            motion = self._motions[rate_hz] = self.motion.at_rate(rate_hz)
        return motion

    async def attach(self, radio: VirtualRadio, *, present: bool = True) -> VirtualPeripheral:
        """Add the peripheral to ``radio`` and start feeding."""
        self.peripheral = await radio.add_peripheral(
            self.spec(), on_write=self._on_write, conditions=self.conditions, present=present
        )
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self.peripheral

    async def close(self) -> None:
        """Stop feeding."""
        self._closed = True
        tasks = [t for t in (self._task, *self._sends) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- internals ---------------------------------------------------------------------
    def _on_write(self, char_uuid: str, data: bytes) -> None:
        if self.start_world_on_write:
            self.world.start()
        was_streaming, was_rate_hz = self.device.streaming, self.device.rate_hz
        replies = self.device.on_write(char_uuid, data)
        if self.device.streaming and (not was_streaming or self.device.rate_hz != was_rate_hz):
            self._resume_w = self.world.now()  # samples from now on
        if replies:
            task = asyncio.get_running_loop().create_task(self._notify_all(replies))
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)

    async def _notify_all(self, notifications: list[tuple[str, bytes]]) -> None:
        assert self.peripheral is not None
        for char_uuid, payload in notifications:
            if await self.peripheral.notify(char_uuid, payload):
                self.log.notifications_sent += 1
            else:
                self.log.notifications_unsent += 1

    def _on_disconnected(self) -> None:
        self.log.disconnections += 1
        if self.model in KEEPS_STREAMING_WHEN_DISCONNECTED:
            return
        for write in PROFILES[self.model].stop_commands():
            self.device.on_write(write.char_uuid, write.data)

    async def _run(self) -> None:
        peripheral = self.peripheral
        assert peripheral is not None
        world, device = self.world, self.device
        was_connected = False
        next_k: int | None = None
        rate_hz = 0.0
        motion = self.motion
        # Samples per notification burst, learned from one-sample feeds: a device that packs
        # N samples only sends when the N-th is taken, so on a link without connection
        # events, waking for every sample would change nothing but the cost.
        group, since_burst = 1, 0
        event_w: float | None = None  # world time of the connection event it woke for
        while not self._closed:
            connected = peripheral.is_connected
            if was_connected and not connected:
                self._on_disconnected()
            was_connected = connected
            if not (world.started and device.streaming):
                next_k, group, since_burst, event_w = None, 1, 0, None
                self._resume_w = world.now()
                await asyncio.sleep(IDLE_TICK_S)
                continue
            now = world.now()
            if device.rate_hz != rate_hz:
                rate_hz, motion = device.rate_hz, self.motion_at(device.rate_hz)
                next_k, group, since_burst = None, 1, 0  # resume from the rate write
            if event_w is not None:
                now = min(now, event_w)  # the samples taken by the event's own time
            due = math.floor(now * rate_hz + 1e-9) + 1  # samples taken at k / rate <= now
            if next_k is None:
                next_k = math.ceil(self._resume_w * rate_hz - 0.05)  # 5 % of a period early
            if due > next_k:
                end = min(due, len(motion))
                if next_k < end:
                    if event_w is not None:
                        peripheral.join_connection_event()
                    sent = await self._feed(motion, next_k, end)
                    since_burst += end - next_k
                    if sent:
                        if end - next_k == 1:
                            group = since_burst
                        since_burst = 0
                next_k = due
            if next_k >= len(motion):
                self.finished = True
            next_s = (next_k / rate_hz - world.now()) / world.speed
            event_s = peripheral.next_connection_event_in_s(max(next_s, 0.0))
            if event_s is not None:
                # The radio sends only at connection events: queue every sample taken by
                # the first event after the next sample, at that event (joining it, as
                # the wake-up comes a little late). No upper bound on the sleep: a dropped
                # link is noticed up to an interval later, which changes nothing sent.
                wait_s = event_s
                event_w = world.now() + event_s * world.speed
            else:
                event_w = None
                wake_k = next_k + max(group - since_burst, 1) - 1
                wait_s = min((wake_k / rate_hz - world.now()) / world.speed, IDLE_TICK_S * 4)
            await asyncio.sleep(max(wait_s, MIN_TICK_S))

    async def _feed(self, motion: Motion, first: int, end: int) -> int:
        """Samples ``first .. end - 1`` to the device; returns the notifications it sent."""
        acc, gyr = motion.acc_m_s2[first:end], motion.gyr_rad_s[first:end]
        if self.error is not None:
            acc, gyr = self.error.apply(acc, gyr)
        device_t_s = np.arange(first, end) / motion.rate_hz + self.clock_offset_s
        notifications = self.device.encode(acc, gyr, device_t_s)
        self.log.add(motion.rate_hz, first, end)
        await self._notify_all(notifications)
        return len(notifications)


# --------------------------------------------------------------------------------------
# Several sensors
# --------------------------------------------------------------------------------------
class VirtualSensorSet:
    """Virtual sensors sharing one world clock, e.g. pelvis and both thighs.

    Build it with :meth:`build`, :meth:`attach` it to a running :class:`VirtualRadio`, and
    point the collector at :attr:`addresses` with ``client_kwargs(radio)`` and
    ``clock=sensors.world.host_clock``.

    Attributes
    ----------
    sensors : dict of str to VirtualSensor
        Per placement.
    world : WorldClock
    """

    def __init__(self, sensors: Mapping[str, VirtualSensor], world: WorldClock) -> None:
        self.sensors = dict(sensors)
        self.world = world

    @classmethod
    def build(
        cls,
        motions: Mapping[str, Motion],
        models: str | Sequence[str] | Mapping[str, str],
        *,
        rate_hz: float = 100.0,
        speed: float = 1.0,
        addresses: Sequence[str] | Mapping[str, str] | None = None,
        errors: Mapping[str, SensorError] | None = None,
        conditions: Mapping[str, RadioConditions] | None = None,
        devices: Mapping[str, VirtualDevice] | None = None,
    ) -> VirtualSensorSet:
        """One sensor per placement of ``motions``.

        Parameters
        ----------
        models : str, sequence or mapping of str
            One model for all, one per placement in order, or per placement.
        rate_hz : float
            Rate a WitMotion was saved at (the others are set by the collector).
        speed : float
            World seconds per wall second.
        addresses : sequence or mapping of str, optional
            Default: ``C1:5E:00:00:00:01`` and up, in placement order.
        errors, conditions : mapping, optional
            Per placement: sample error, radio conditions.
        devices : mapping of str to VirtualDevice, optional
            Per placement: a device to use instead of ``make_device(model)`` (e.g. one that
            sends garbage); its model key is still ``models``'.
        """
        placements = list(motions)
        model_of = _per_placement(models, placements, "model")
        if addresses is None:
            addresses = [f"C1:5E:00:00:00:{i + 1:02X}" for i in range(len(placements))]
        address_of = _per_placement(addresses, placements, "address")
        world = WorldClock(speed)
        sensors = {}
        for number, placement in enumerate(placements, start=1):
            model = model_of[placement]
            device = (devices or {}).get(placement) or make_device(
                model, rate_hz, _device_name(model, number)
            )
            sensors[placement] = VirtualSensor(
                device,
                model,
                address_of[placement],
                motions[placement],
                world,
                error=(errors or {}).get(placement),
                conditions=(conditions or {}).get(placement),
                clock_offset_s=1000.0 + 137.25 * number,
            )
        return cls(sensors, world)

    @property
    def addresses(self) -> dict[str, str]:
        """Address per placement (upper case)."""
        return {p: s.address.upper() for p, s in self.sensors.items()}

    @property
    def finished(self) -> bool:
        """Every sensor has played its motion to the end."""
        return all(s.finished for s in self.sensors.values())

    def sensor_configs(
        self,
        mounts: Mapping[str, dict[str, str] | None] | None = None,
        rate_hz: float | None = None,
    ) -> list[SensorConfig]:
        """Collector configs for these sensors (models left to recognition)."""
        return [
            SensorConfig(p, address, None, rate_hz, (mounts or {}).get(p))
            for p, address in self.addresses.items()
        ]

    async def attach(
        self, radio: VirtualRadio, *, present: Mapping[str, bool] | None = None
    ) -> None:
        """Add every sensor to ``radio`` (``present``: per placement, default True)."""
        for placement, sensor in self.sensors.items():
            await sensor.attach(radio, present=(present or {}).get(placement, True))

    async def wait_finished(self, poll_s: float = 0.05) -> None:
        """Return once every motion has been played."""
        while not self.finished:
            await asyncio.sleep(poll_s)

    async def close(self) -> None:
        """Stop every feeder."""
        await asyncio.gather(*(s.close() for s in self.sensors.values()))


def _per_placement(
    values: str | Sequence[str] | Mapping[str, str], placements: list[str], what: str
) -> dict[str, str]:
    if isinstance(values, str):
        return dict.fromkeys(placements, values)
    if isinstance(values, Mapping):
        missing = [p for p in placements if p not in values]
        if missing:
            raise ValueError(f"no {what} for {', '.join(missing)}")
        return {p: values[p] for p in placements}
    values = list(values)
    if len(values) == 1:
        return dict.fromkeys(placements, values[0])
    if len(values) != len(placements):
        raise InputError(
            f"give one {what} for all sensors or one per sensor ({', '.join(placements)}), "
            f"not {len(values)}"
        )
    return dict(zip(placements, values, strict=True))


def parse_models(text: str) -> list[str]:
    """``diy`` or ``diy,witmotion,movesense`` (one per placement), checked.

    Raises
    ------
    InputError
        For an unknown model.
    """
    models = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in models if m not in VIRTUAL_DEVICES]
    if not models or unknown:
        raise InputError(
            f"unknown virtual model {', '.join(unknown) or repr(text)}; use one of "
            f"{', '.join(VIRTUAL_DEVICES)}, or one per sensor separated by commas "
            "(pelvis, left thigh, right thigh), e.g. diy,witmotion,movesense"
        )
    return models


def ordered_placements(motions: Mapping[str, Motion]) -> dict[str, Motion]:
    """The motions with pelvis, left_thigh, right_thigh first (the ``--virtual`` order)."""
    first = [p for p in PLACEMENTS if p in motions]
    return {p: motions[p] for p in [*first, *(p for p in motions if p not in first)]}


@contextlib.asynccontextmanager
async def running_sensors(sensors: VirtualSensorSet, radio: VirtualRadio | None = None):
    """``async with running_sensors(set) as radio``: a radio with the sensors attached."""
    own = radio is None
    radio = radio or VirtualRadio()
    if own:
        await radio.start()
    try:
        await sensors.attach(radio)
        yield radio
    finally:
        await sensors.close()
        if own:
            await radio.close()


__all__ = [
    "DEMO_ERROR",
    "MOTION_HELP",
    "FeedLog",
    "Motion",
    "SensorError",
    "VirtualSensor",
    "VirtualSensorSet",
    "WorldClock",
    "make_device",
    "motion_from_chunk",
    "motions_from_spec",
    "ordered_placements",
    "parse_models",
    "pose_motion",
    "running_sensors",
]
