"""Publish a running session as Lab Streaming Layer (LSL) streams.

LSL carries time series between programs on a lab network with timestamps on one clock
(``pylsl.local_clock()``, seconds), so a lab records sensorlab beside EMG, force plates or
video (e.g. in LabRecorder, to one XDF file). :class:`LslSink` is a
:class:`~sensorlab.session.SessionSink`; ``--lsl`` on ``live``, ``replay`` and ``record``
adds one. Streams (``PREFIX`` defaults to ``sensorlab``):

- ``PREFIX_imu_<placement>``, one per sensor, type ``IMU``: 6 float32 channels ``acc_x,
  acc_y, acc_z`` (m/s^2, specific force, sensor frame) and ``gyr_x, gyr_y, gyr_z``
  (deg/s), at the sensor's nominal rate; every sample as it arrived (losses stay gaps).
- ``PREFIX_angles``, type ``Angles``: the analysis's segment angles on its common grid, in
  degrees (pelvis tilt, obliquity, rotation; each thigh's sagittal and adduction angle),
  once calibration is done.
- ``PREFIX_events``, type ``Markers``, irregular rate, one string channel: a JSON object
  per event (``{"event": "rep", "side": "right", ...}``; see :func:`marker_payload`).

Each stream's XML description carries ``desc/channels/channel`` with ``label``, ``unit``
and ``type`` per channel, and ``desc/acquisition`` (manufacturer, model, placement,
mount). Timestamps are on LSL's clock: a sample's session time (the host clock after
clock alignment) is mapped by :class:`SessionClock`; nothing is pushed before the clock
has watched the blocks arrive for :data:`WARM_UP_S`, and the timestamps of the IMU and
angle streams never decrease (markers carry their event's own time).

pylsl is an optional dependency: ``pip install 'sensorlab[lsl]'`` (its wheels bundle
liblsl). Which network LSL uses (multicast, a list of known peers, localhost only) is
set in liblsl's own configuration file, ``lsl_api.cfg``, or the file named by the
environment variable ``LSLAPICFG`` (see docs/export.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sensorlab.errors import InputError
from sensorlab.extras import require_extra
from sensorlab.processing.events import ProvisionalWithdrawn, RepFinished, StepDetected
from sensorlab.processing.pipeline import KINEMATICS_COLUMNS
from sensorlab.records import DrillRepResult, ImuChunk, Marker, SessionMeta

IMU_CHANNELS = (
    ("acc_x", "m/s^2", "Accel"),
    ("acc_y", "m/s^2", "Accel"),
    ("acc_z", "m/s^2", "Accel"),
    ("gyr_x", "deg/s", "Gyro"),
    ("gyr_y", "deg/s", "Gyro"),
    ("gyr_z", "deg/s", "Gyro"),
)
"""Label, unit and type of each IMU channel, in stream order."""
ANGLE_CHANNELS = tuple(name for name in KINEMATICS_COLUMNS if name.endswith("_deg"))
"""The angle stream's channels (columns of the analysis's kinematics), degrees."""
_ANGLE_INDEX = [KINEMATICS_COLUMNS.index(name) for name in ANGLE_CHANNELS]
_T_INDEX = KINEMATICS_COLUMNS.index("t_s")


def require_pylsl():
    """pylsl, or an error naming the extra to install."""
    require_extra("lsl", "--lsl (Lab Streaming Layer)")
    import pylsl

    return pylsl


WARM_UP_S = 0.5
"""Seconds of LSL time over which blocks are watched before anything is pushed."""


class SessionClock:
    """Maps session time to LSL's clock from when the samples arrive.

    A sample's session time ``t_s`` is on the host clock after clock alignment; it reaches
    the sink some transport and queueing delay later. The offset from session time to LSL
    time is the smallest ``arrival - t_s / time_scale`` seen for the newest sample of a
    block (the least-delayed arrival bounds the true offset from above and approaches it),
    so ``lsl_t = t_s / time_scale + offset``. ``time_scale`` is the playback speed (1 for
    sensors; 4 for a replay at 4x), so LSL time advances with the wall clock.

    At the start blocks can come in a burst (a backlog drained at once), each later
    block lowering the estimate by what it waited: :attr:`warm` turns true once blocks
    have been watched for :data:`WARM_UP_S`, and the sink holds everything until then.
    From then on the offset stays: session time and LSL time both run on this host's
    clock, so it has no drift to follow, and a stamp mapping that moved later would put
    samples pushed before and after the move out of step with each other.
    """

    def __init__(self, local_clock, time_scale: float = 1.0) -> None:
        self._now = local_clock
        self.time_scale = time_scale
        self.offset_s: float | None = None
        self._first_arrival: float | None = None
        self.warm = False

    def observe(self, newest_t_s: float) -> None:
        """A block whose newest sample has session time ``newest_t_s`` arrived now."""
        now = self._now()
        offset = now - newest_t_s / self.time_scale
        if self.offset_s is None or (not self.warm and offset < self.offset_s):
            self.offset_s = offset
        if self._first_arrival is None:
            self._first_arrival = now
        self.warm = self.warm or now - self._first_arrival >= WARM_UP_S

    def lsl_time(self, t_s):
        """LSL timestamps of session times ``t_s`` (a number or an array), seconds."""
        if self.offset_s is None:  # nothing arrived yet: stamp as if it arrived now
            self.observe(float(np.max(t_s)))
        assert self.offset_s is not None  # set by observe
        return np.asarray(t_s, dtype=np.float64) / self.time_scale + self.offset_s


@dataclass(frozen=True)
class LslSettings:
    """How the session is published.

    Attributes
    ----------
    prefix : str
        Start of every stream name (``sensorlab_imu_pelvis``).
    time_scale : float
        Session seconds per wall-clock second (the replay speed; 1 for live sensors).
    """

    prefix: str = "sensorlab"
    time_scale: float = 1.0


def marker_payload(item, clock: SessionClock) -> tuple[str, float] | None:
    """Return a marker's JSON text and the session time (s) it is stamped at, or None.

    None for an event that is not published.

    - a rep, stamped at its end (when it is judged): ``{"event": "rep", "index", "side",
      "provisional", "t_start_s", "t_end_s", "lsl_t_start", "lsl_t_end", "thigh_rom_deg",
      "pelvic_drop_deg", "pelvic_tilt_range_deg", "peak_thigh_velocity_dps",
      "left_out"}``;
    - a gait step, stamped at its initial contact: ``{"event": "step", "index", "side",
      "provisional", "t_s", "pelvic_drop_deg", "step_time_s", "left_out"}``;
    - provisional reps or steps the refined analysis did not confirm, stamped when it
      landed: ``{"event": "withdrawn", "kind": "rep" or "step", "first_index", "t_s"}``
      (those from ``first_index`` on no longer count);
    - a moment marked in the session: ``{"event": "mark", "label", "t_s"}``.

    A rep or step with the ``index`` of an earlier one replaces it (the refined values of a
    provisional one, :class:`~sensorlab.processing.pipeline.RepFinished`). ``*_s`` fields
    are session seconds (the recording's ``t``), ``lsl_*`` LSL time, angles in degrees,
    rates in deg/s; the side is the working leg (reps) or the foot (steps).
    """
    if isinstance(item, RepFinished):
        rep = item.rep
        start, end = (float(x) for x in clock.lsl_time([rep.t_start, rep.t_end]))  # in the text
        body = {
            "event": "rep",
            "index": rep.index,
            "side": rep.side,
            "provisional": item.provisional,
            "t_start_s": rep.t_start,
            "t_end_s": rep.t_end,
            "lsl_t_start": start,
            "lsl_t_end": end,
            "activity": rep.activity,
            **(
                rep.metrics
                if isinstance(rep, DrillRepResult)
                else {
                    "thigh_rom_deg": rep.thigh_rom_deg,
                    "pelvic_drop_deg": rep.pelvic_drop_deg,
                    "pelvic_tilt_range_deg": rep.pelvic_tilt_range_deg,
                    "peak_thigh_velocity_dps": rep.peak_thigh_velocity_dps,
                }
            ),
            "left_out": rep.left_out,
        }
        return json.dumps(body), rep.t_end
    if isinstance(item, StepDetected):
        step = item.step
        body = {
            "event": "step",
            "index": item.index,
            "side": step.side,
            "provisional": item.provisional,
            "t_s": step.t,
            "pelvic_drop_deg": step.pelvic_drop_deg,
            "step_time_s": step.step_time_s,
            "left_out": step.left_out,
        }
        return json.dumps(body), step.t
    if isinstance(item, ProvisionalWithdrawn):
        body = {
            "event": "withdrawn",
            "kind": item.kind,
            "first_index": item.first_index,
            "t_s": item.t_s,
        }
        return json.dumps(body), item.t_s
    if isinstance(item, Marker):
        body = {"event": "mark", "label": item.label, "t_s": item.t_s}
        return json.dumps(body), item.t_s
    return None


class LslSink:
    """LSL outlets for one session (see the module's description).

    Parameters
    ----------
    meta : SessionMeta
        The source's sensors (placement, rate, model, mount).
    analysis_rate_hz : float
        Rate of the angle grid, Hz.
    source_name : str
        The session's source, in each stream's ``source_id`` (so a restarted session is
        recognised by inlets that were connected to it).
    settings : LslSettings
        Stream names and time scale.
    local_clock : callable, optional
        LSL's clock, seconds (default ``pylsl.local_clock``; a test passes its own).

    Raises
    ------
    InputError
        pylsl is not installed, or liblsl cannot be loaded.
    """

    def __init__(
        self,
        meta: SessionMeta,
        analysis_rate_hz: float,
        source_name: str,
        settings: LslSettings = LslSettings(),
        local_clock: Callable[[], float] | None = None,
    ) -> None:
        pylsl = require_pylsl()
        self.settings = settings
        self.clock = SessionClock(local_clock or pylsl.local_clock, settings.time_scale)
        self._held: list[tuple[Callable, object]] = []
        self._last_stamp: dict[int, float] = {}
        self._imu = {}
        for placement, info in meta.sensors.items():
            self._imu[placement] = self._outlet(
                pylsl,
                f"{settings.prefix}_imu_{placement}",
                "IMU",
                [(label, unit, kind) for label, unit, kind in IMU_CHANNELS],
                float(info.rate_hz or 0.0),
                pylsl.cf_float32,
                f"{source_name}:{info.address or placement}",
                {
                    "manufacturer": info.extra.get("device") or "",
                    "model": info.model or "",
                    "placement": placement,
                    "mount": json.dumps(info.mount) if info.mount else "",
                },
            )
        self._angles = self._outlet(
            pylsl,
            f"{settings.prefix}_angles",
            "Angles",
            [(name, "degrees", "Angle") for name in ANGLE_CHANNELS],
            float(analysis_rate_hz),
            pylsl.cf_float32,
            f"{source_name}:angles",
            {"manufacturer": "sensorlab", "model": "segment angles"},
        )
        self._markers = self._outlet(
            pylsl,
            f"{settings.prefix}_events",
            "Markers",
            [("event", "json", "Marker")],
            pylsl.IRREGULAR_RATE,
            pylsl.cf_string,
            f"{source_name}:events",
            {"manufacturer": "sensorlab", "model": "reps and steps"},
        )

    @staticmethod
    def _outlet(pylsl, name, kind, channels, rate_hz, fmt, source_id, acquisition):
        info = pylsl.StreamInfo(name, kind, len(channels), rate_hz, fmt, source_id)
        desc = info.desc()
        element = desc.append_child("channels")
        for label, unit, channel_type in channels:
            channel = element.append_child("channel")
            channel.append_child_value("label", label)
            channel.append_child_value("unit", unit)
            channel.append_child_value("type", channel_type)
        acquired = desc.append_child("acquisition")
        for key, value in acquisition.items():
            acquired.append_child_value(key, value)
        return pylsl.StreamOutlet(info)

    @property
    def stream_names(self) -> list[str]:
        """Every stream's name."""
        outlets = [*self._imu.values(), self._angles, self._markers]
        return [outlet.get_info().name() for outlet in outlets]

    def samples(self, chunks: list[ImuChunk]) -> None:
        """Push each block of raw samples (acc m/s^2, gyro converted to deg/s)."""
        for chunk in chunks:
            if len(chunk):
                self.clock.observe(float(chunk.t_s[-1]))
        self._send(self._push_samples, chunks)

    def angles(self, rows: np.ndarray) -> None:
        """Push new rows of angles (rows without any finite angle are skipped)."""
        self._send(self._push_angles, rows)

    def events(self, events: list) -> None:
        """Push a marker per rep, step and marked moment."""
        self._send(self._push_events, events)

    def close(self) -> None:
        """Push what is held: the session has ended.

        The streams stay visible, with what was sent still readable, until the sink is
        dropped (they vanish with it, or with the process).
        """
        self.clock.warm = True
        self._send(None, None)

    def _send(self, push, data) -> None:
        """Push now, or hold until the clock is warm (then push what was held first)."""
        if push is not None:
            self._held.append((push, data))
        if not self.clock.warm:
            return
        held, self._held = self._held, []
        for hold_push, hold_data in held:
            hold_push(hold_data)

    def _stamps(self, outlet, t_s) -> list[float]:
        """Return LSL timestamps for ``t_s``, never before the outlet's last one.

        A later, lower offset estimate must not send a stream back in time.
        """
        stamps = np.maximum.accumulate(self.clock.lsl_time(t_s))
        stamps = np.maximum(stamps, self._last_stamp.get(id(outlet), -np.inf))
        self._last_stamp[id(outlet)] = float(stamps[-1])
        return stamps.tolist()

    def _push_samples(self, chunks: list[ImuChunk]) -> None:
        for chunk in chunks:
            outlet = self._imu.get(chunk.placement)
            if outlet is None or not len(chunk):
                continue
            values = np.empty((len(chunk), 6), dtype=np.float32)
            values[:, :3] = chunk.acc_m_s2
            values[:, 3:] = np.degrees(chunk.gyr_rad_s)
            outlet.push_chunk(values, self._stamps(outlet, chunk.t_s))

    def _push_angles(self, rows: np.ndarray) -> None:
        values = rows[:, _ANGLE_INDEX]
        keep = np.isfinite(values).any(axis=1)
        if keep.any():
            stamps = self._stamps(self._angles, rows[keep, _T_INDEX])
            self._angles.push_chunk(values[keep].astype(np.float32), stamps)

    def _push_events(self, events: list) -> None:
        for event in events:
            payload = marker_payload(event, self.clock)
            if payload is not None:  # at the event's own time, even when earlier than the
                # last marker's (the refined values of a provisional rep come later)
                self._markers.push_sample([payload[0]], float(self.clock.lsl_time(payload[1])))


def check_time_scale(speed: float | None) -> float:
    """Return the time scale for ``--lsl`` at replay speed ``speed``.

    LSL streams are real time, so ``--speed max`` (None) is refused.
    """
    if speed is None:
        raise InputError(
            "--lsl publishes in real time: give --speed 1 (or 2, 4, ...), not max, so that "
            "the streams' timestamps follow the samples"
        )
    return float(speed)
