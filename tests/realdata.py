"""Test-only loaders for the third-party recordings kept byte for byte in ``tests/data``.

Run ``python tests/realdata.py`` to print the walk window and reference cadence.
"""

# Facts measured on the files (for writing tests; times from the start of each file)
# ---------------------------------------------------------------------------------
# MTw walk (OpenSense), 100 Hz, no lost packets, all three files start at packet 472;
# they end at 24.92 s (pelvis), 24.51 s (left thigh), 24.73 s (right thigh).
# - Orientation: R[i-1, j-1] = Mat[i][j] is sensor-to-earth (earth Z up): R.T @ e_z matches
#   the standing accelerometer direction to 0.14-0.46 deg; read the other way round it is
#   13-154 deg off. The file lists the 9 entries column by column (Fortran order).
# - Standing: quiet from 0 to 1.75 s (all three sensors; 0.5 s windows, std < 0.1 m/s^2);
#   a jolt hits all sensors at ~2.2-3.0 s; quiet again until the pelvis moves at ~5.1 s.
#   Walking starts when the right thigh leaves its standing pitch (> 5 deg) at 5.24 s; the
#   first step (right thigh flexion peak) is at 6.06 s. The subject is still walking when
#   the files end (walk_end = 24.51 s, end of the left thigh file).
# - The path is an oval, not a straight line: a ~90 deg right turn while starting (5-7.5 s),
#   then left turns at ~10, ~14, ~19 and ~24 s (yaw rate peaks 120-150 deg/s).
# - Mounts (MTW_MOUNTS), from the walk: pelvis x up, y right, z forward (+z points into the
#   body, as OpenSense's own setup says: base_heading_axis = z); left thigh x up, y back,
#   z right; right thigh x up, y forward, z left (both thigh z axes point medially).
#   Standing angles with them: pelvis tilt +16.3, obliquity -4.0; thigh sagittal -9.0 (L),
#   +3.6 (R); frontal tilt +2.5 (L), +3.4 (R) deg: strap offsets, not posture.
# - Reference cadence (reference_cadence_spm): 24 alternating steps, 6.06-23.51 s ->
#   79.1 steps/min overall; 84.0 from 9 s on (the first three step intervals, 1.08, 0.85
#   and 1.24 s, are slow: gait initiation and the first turn); spectral 83.5 (stride ~1.43 s).
# - Pelvis vertical acceleration while walking (acc along the standing up vector minus g;
#   the earth-vertical from the matrices differs by 0.12 m/s^2 RMS, r = 0.997): RMS 1.45;
#   per step max median +3.8 (p10-p90 2.6-5.6, largest 8.3), min median -2.3 (-3.2..-1.7),
#   peak-to-peak 6.2; low-passed at 4 Hz: max ~+2.1, min ~-1.3, RMS 0.94. Its dominant
#   frequency is the step frequency, 1.395 Hz = 83.7 steps/min. The per-step maximum comes
#   ~30 ms after the landing leg's thigh impact spike (16-19 m/s^2), which itself comes
#   ~250 ms (p10-p90 100-340 ms) after that thigh's flexion peak.
# - Same signal in the earth frame minus its standing value (9.877 m/s^2), Gaussian-smoothed:
#   at 10 ms the 24 steps peak at >= 1.10 m/s^2 (weakest 19.59 s) and the largest peak that
#   is not a step (maxima 0.3 s apart) is 0.85 at 14.07 s, in the turn; at 20 ms: >= 0.93 vs
#   0.64; at 30 ms the weak step's peak moves to 19.83 s. Its unbiased autocorrelation from
#   9 s to the end: step 0.44 (lag 0.66 s), stride 0.27 (lag 1.45 s); low-passed at 4 Hz
#   0.70 / 0.55; turn-free 14.8-18.5 s 0.74 / 0.60, 19.6-23.5 s 0.54 / 0.56.
#
# gaitmap feet, 204.8 Hz, 7928 samples (38.7 s), quiet at the end (~last 2 s) and briefly
# at the start; median |acc| at rest 9.84 (L) / 9.82 (R) (over the whole file it is 11.2).
# Foot frame: z up at rest, gyr_y is the medio-lateral axis (mid-swing negative).
# - Strides: 28 left / 30 right hand-labelled borders; events 28 left / 29 right. Left event
#   stride 13 spans the turn (tc 3467, ic 3774) and the left borders skip 3453-3934.
#   Stride (IC to IC) median 1.089 s (L) / 1.084 s (R), ~110 steps/min; swing 352-356 ms.
# - IC (mocap, 100 Hz scaled to 204.8 Hz and rounded) sits on the upward zero crossing of
#   gyr_y after the mid-swing minimum: median -5 ms (L) / +5 ms (R), all within +-15 ms.
#   Mid-swing gyr_y minimum ~-340 deg/s, 176-195 ms before IC (median; the swing dip is
#   double: in 13/27 left and 9/29 right strides the deeper one is 63-103 ms before IC,
#   otherwise 166-283 ms). |acc| impact peak 24 ms
#   after IC (p10-p90 15-44 ms), median 116 (L) / 132 (R) m/s^2. Then gyr_y peaks at
#   ~+300-345 deg/s 63 ms after IC (foot flattening). |acc| alone is a poor IC marker in the
#   turn: the softest right contact reaches 26 m/s^2, push-offs up to 59.
# - -acc_x (deceleration along the foot) peaks at IC: 10 ms smoothed, >= 12.2 m/s^2 (median
#   29) at IC, <= 7.7 elsewhere within +-0.5 s of an IC (outside -0.1..+0.15 s); the peak
#   (PeakPicker, 10 ms smoothing) minus the mocap IC: median -17 ms (L) / -10 ms (R), all
#   within -30..+31 ms.
# - TC: gyr_y maximum (~+516 deg/s, push-off) 5 ms before TC; the hand-labelled borders sit
#   on that maximum (gaitmap's "gyr_ml minimum before toe-off", gyr_ml = -gyr_y), 0-10 ms
#   before TC (one right stride: 44 ms).

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

DATA_DIR = Path(__file__).resolve().parent / "data"
"""The project's own copy of the recordings (never the shared folder)."""

MTW_FOLDER = "opensense-xsens-mtw-walking"
MTW_TRIAL = "MT_012005D6_009-001"
MTW_RATE_HZ = 100.0
MTW_SENSOR_IDS = {"pelvis": "00B42279", "left_thigh": "00B421EE", "right_thigh": "00B4227C"}
"""Placement -> Xsens MTw id, from ``myIMUMappings.xml`` (pelvis_imu, femur_l_imu, femur_r_imu)."""

MTW_MOUNTS = {
    "pelvis": {"x": "up", "y": "right", "z": "forward"},
    "left_thigh": {"x": "up", "y": "backward", "z": "right"},
    "right_thigh": {"x": "up", "y": "forward", "z": "left"},
}
"""Nominal sensor mounts of the MTw walk, determined from the data (see the module notes)."""

_PACKET_COUNTER_MODULO = 65536  # the MTw packet counter is 16 bit

GAITMAP_FOLDER = "gaitmap-example-feet"
GAITMAP_RATE_HZ = 204.8
GAITMAP_SIDES = ("left", "right")


def data_path(*parts: str) -> Path:
    """Path of a file or folder under ``tests/data``; fails clearly when it is missing."""
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"test data {path} is missing; the recordings live in the project under tests/data "
            "(see tests/data/README.md for where they come from)"
        )
    return path


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


# --------------------------------------------------------------------------------------------
# Xsens MTw walk (OpenSense example)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MtwRecording:
    """One MTw sensor of the OpenSense walking trial, as exported by MT Manager.

    Attributes
    ----------
    placement, sensor_id : str
        ``"pelvis"``, ``"left_thigh"`` or ``"right_thigh"`` and the MTw id (e.g. ``00B42279``).
    rate_hz : float
        100.0 (``// Update Rate: 100.0Hz``).
    packet_counter : ndarray, shape (n,), int64
        The device packet counter, unwrapped past 65535 (it does not wrap in this file).
    t_s : ndarray, shape (n,)
        ``(packet_counter - packet_counter[0]) / rate_hz``; lost packets stay as gaps. The three
        files used here all start at packet 472, so ``t_s`` is one common clock for them.
    acc_m_s2 : ndarray, shape (n, 3)
        ``Acc_X/Y/Z``: specific force in the sensor frame (at rest the up axis reads +9.8).
    orientation : ndarray, shape (n, 3, 3)
        ``R`` with ``R[:, i-1, j-1] = Mat[i][j]``: the sensor-to-earth rotation,
        ``v_earth = R @ v_sensor``, earth Z up (X, Y horizontal). The file lists the nine
        entries column by column (``Mat[1][1], Mat[2][1], Mat[3][1], Mat[1][2], ...``), so a
        naive row-major reshape of the nine columns gives ``R.T`` instead.
    """

    placement: str
    sensor_id: str
    rate_hz: float
    packet_counter: np.ndarray
    t_s: np.ndarray
    acc_m_s2: np.ndarray
    orientation: np.ndarray

    @property
    def up_sensor(self) -> np.ndarray:
        """Unit up vector (earth +Z) in the sensor frame from the orientation: ``R.T @ e_z``."""
        return self.orientation[:, 2, :]


def mtw_file(placement: str) -> Path:
    """Path of the MTw export for a placement."""
    if placement not in MTW_SENSOR_IDS:
        raise KeyError(f"no MTw sensor for {placement!r}; use one of {', '.join(MTW_SENSOR_IDS)}")
    name = f"{MTW_TRIAL}_{MTW_SENSOR_IDS[placement]}.txt"
    return data_path(MTW_FOLDER, "IMUData", name)


def _unwrap_counter(counter: np.ndarray, modulo: int) -> np.ndarray:
    steps = np.diff(counter)
    steps = np.where(steps < 0, steps + modulo, steps)
    return np.concatenate([[counter[0]], counter[0] + np.cumsum(steps)]).astype(np.int64)


@functools.cache
def load_mtw(placement: str) -> MtwRecording:
    """Load one sensor of the MTw walk (tab separated, ``//`` comment lines, empty time columns).

    Arrays are read only; the result is cached, so repeated loads are free.
    """
    path = mtw_file(placement)
    with path.open(encoding="ascii", newline="") as handle:
        lines = [line for line in handle if not line.startswith("//")]
    table = pd.read_csv(io.StringIO("".join(lines)), sep="\t", dtype={"PacketCounter": "int64"})
    matrix_columns = [[f"Mat[{i}][{j}]" for j in (1, 2, 3)] for i in (1, 2, 3)]
    needed = ["PacketCounter", "Acc_X", "Acc_Y", "Acc_Z"]
    needed += [name for row in matrix_columns for name in row]
    missing = [column for column in needed if column not in table.columns]
    if missing:
        raise ValueError(f"{path.name}: missing columns {', '.join(missing)}")
    counter = _unwrap_counter(table["PacketCounter"].to_numpy(), _PACKET_COUNTER_MODULO)
    if np.any(np.diff(counter) <= 0):
        raise ValueError(f"{path.name}: packet counter does not increase")
    acc = table[["Acc_X", "Acc_Y", "Acc_Z"]].to_numpy(dtype=float)
    orientation = np.stack(
        [
            np.stack([table[name].to_numpy(dtype=float) for name in row], axis=-1)
            for row in matrix_columns
        ],
        axis=-2,
    )
    if not (np.isfinite(acc).all() and np.isfinite(orientation).all()):
        raise ValueError(f"{path.name}: empty or non-numeric acceleration/orientation values")
    return MtwRecording(
        placement=placement,
        sensor_id=MTW_SENSOR_IDS[placement],
        rate_hz=MTW_RATE_HZ,
        packet_counter=_read_only(counter),
        t_s=_read_only((counter - counter[0]) / MTW_RATE_HZ),
        acc_m_s2=_read_only(acc),
        orientation=_read_only(orientation),
    )


def quiet_mask(acc_m_s2: np.ndarray, rate_hz: float, window_s: float = 0.5, max_std: float = 0.1):
    """Samples in quiet standing: every ``window_s`` window that covers the sample has a
    standard deviation below ``max_std`` (m/s^2) on each accelerometer axis."""
    acc = np.asarray(acc_m_s2, dtype=float)
    width = round(window_s * rate_hz)
    windows = np.lib.stride_tricks.sliding_window_view(acc, width, axis=0)  # (n-w+1, 3, w)
    window_quiet = windows.std(axis=-1).max(axis=-1) < max_std
    # window j covers samples j .. j+w-1, so sample i lies in windows i-w+1 .. i; pad with True
    # so that samples near the ends are judged by the windows that exist
    pad = np.ones(width - 1, bool)
    padded = np.concatenate([pad, window_quiet, pad])
    return np.lib.stride_tricks.sliding_window_view(padded, width).all(axis=-1)


def first_quiet_stretch(mask: np.ndarray, min_samples: int) -> slice:
    """The first run of ``True`` in ``mask`` at least ``min_samples`` long, as a slice."""
    mask = np.asarray(mask, dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start >= min_samples:
            return slice(int(start), int(stop))
    raise ValueError(f"no quiet stretch of at least {min_samples} samples")


def mtw_standing_start(min_duration_s: float = 1.0) -> slice:
    """Sample slice (common to the three MTw files) of the first quiet-standing stretch:
    all three sensors steady at once (see :func:`quiet_mask`)."""
    recordings = [load_mtw(placement) for placement in MTW_SENSOR_IDS]
    n = min(len(recording.t_s) for recording in recordings)
    mask = np.ones(n, bool)
    for recording in recordings:
        mask &= quiet_mask(recording.acc_m_s2, recording.rate_hz)[:n]
    return first_quiet_stretch(mask, round(min_duration_s * MTW_RATE_HZ))


def _forward_in_sensor(mount: dict[str, str]) -> np.ndarray:
    """The segment's forward direction expressed in the sensor frame, from a nominal mount."""
    forward = np.zeros(3)
    for index, axis in enumerate("xyz"):
        if mount[axis] == "forward":
            forward[index] = 1.0
        elif mount[axis] == "backward":
            forward[index] = -1.0
    if not forward.any():
        raise ValueError(f"mount {mount} has no forward/backward axis")
    return forward


def mtw_thigh_pitch_deg(placement: str) -> np.ndarray:
    """Signed thigh pitch from the file's orientation matrices, flexion (knee forward) positive.

    The angle, in the thigh's sagittal plane, between the sensor's long axis (+x, along the
    thigh) and the vertical: ``atan2(up . forward, up . x)`` with ``up = R.T @ e_z`` and
    ``forward`` the sensor-frame forward axis of :data:`MTW_MOUNTS`. It does not use
    sensorlab, so it can serve as an independent reference.
    """
    if placement not in ("left_thigh", "right_thigh"):
        raise ValueError(f"thigh pitch needs a thigh placement, not {placement!r}")
    up = load_mtw(placement).up_sensor
    forward = _forward_in_sensor(MTW_MOUNTS[placement])
    return np.degrees(np.arctan2(up @ forward, up[:, 0]))


@dataclass(frozen=True, eq=False)
class CadenceReference:
    """Reference cadence of the MTw walk (see :func:`reference_cadence_spm`)."""

    cadence_spm: float
    """Steps per minute from the flexion peaks of both thighs: (steps - 1) / (last - first)."""
    cadence_spectral_spm: float
    """Cross-check: 2 x 60 x the dominant stride frequency of the thigh pitch (mean of both)."""
    walk_start_s: float
    """First time a thigh leaves its standing pitch by more than ``onset_deg``."""
    walk_end_s: float
    """Last time a thigh is more than ``onset_deg`` away from its standing pitch."""
    recording_end_s: float
    """End of the shorter thigh file; equal to ``walk_end_s`` when the walk runs to the end."""
    peaks_s: dict[str, np.ndarray]
    """Flexion-peak times per thigh (``"left"``, ``"right"``): one per stride, in late swing
    (here ~0.25 s before that leg's impact spike)."""
    step_times_s: np.ndarray
    """Both sides' flexion peaks merged in time order: one per step."""
    step_sides: tuple[str, ...]
    """Side of each entry of ``step_times_s``."""

    @property
    def n_steps(self) -> int:
        return len(self.step_times_s)

    @property
    def alternates(self) -> bool:
        """True when left and right steps strictly alternate."""
        return all(a != b for a, b in zip(self.step_sides, self.step_sides[1:], strict=False))

    def cadence_spm_between(self, start_s: float, end_s: float) -> float:
        """Cadence from the steps within ``[start_s, end_s]``: (steps - 1) / (last - first)."""
        inside = self.step_times_s[(self.step_times_s >= start_s) & (self.step_times_s <= end_s)]
        if len(inside) < 2:
            raise ValueError(f"fewer than two steps between {start_s} s and {end_s} s")
        return float((len(inside) - 1) / (inside[-1] - inside[0]) * 60.0)

    def describe(self) -> str:
        return (
            f"MTw walk: standing until the first thigh moves at {self.walk_start_s:.2f} s; "
            f"walking until {self.walk_end_s:.2f} s (recording ends {self.recording_end_s:.2f} s); "
            f"{self.n_steps} steps from {self.step_times_s[0]:.2f} s to "
            f"{self.step_times_s[-1]:.2f} s -> cadence {self.cadence_spm:.1f} steps/min "
            f"(spectral {self.cadence_spectral_spm:.1f}); sides alternate: {self.alternates}"
        )


def _dominant_frequency_hz(signal: np.ndarray, rate_hz: float, band_hz: tuple[float, float]):
    centred = (signal - signal.mean()) * np.hanning(len(signal))
    n_fft = 1 << 16  # zero padding: frequency grid of rate / 65536 (0.0015 Hz at 100 Hz)
    spectrum = np.abs(np.fft.rfft(centred, n_fft))
    frequencies = np.fft.rfftfreq(n_fft, 1.0 / rate_hz)
    band = (frequencies >= band_hz[0]) & (frequencies <= band_hz[1])
    return float(frequencies[band][np.argmax(spectrum[band])])


def reference_cadence_spm(
    *,
    onset_deg: float = 5.0,
    min_prominence_deg: float = 10.0,
    min_peak_distance_s: float = 0.5,
    stride_band_hz: tuple[float, float] = (0.3, 1.5),
) -> CadenceReference:
    """Independent reference cadence of the MTw walk, from the file's orientation matrices only.

    Method
    ------
    1. Thigh pitch (:func:`mtw_thigh_pitch_deg`): the signed angle of each thigh sensor's long
       axis from vertical in the thigh's sagittal plane, flexion positive, from ``R.T @ e_z``.
       A *signed* angle is needed: the unsigned inclination passes through zero twice per
       stride (flexed -> vertical -> extended -> vertical), which would double the count.
    2. Standing pitch = its mean over the quiet standing start (:func:`mtw_standing_start`).
       The walk runs from the first to the last sample where either thigh is more than
       ``onset_deg`` away from its standing pitch.
    3. Each thigh flexes once per stride, peaking in late swing before that leg's initial
       contact (~0.25 s before its impact spike in this slow walk). Peaks inside the walk
       with a prominence of at least ``min_prominence_deg`` and at least
       ``min_peak_distance_s`` apart are the strides; the two thighs' peaks merged in time
       are the steps (they must alternate left/right).
    4. Cadence = (steps - 1) / (last step - first step) x 60. Cross-check: the dominant
       frequency of each thigh's pitch over the walk (Hann window, zero-padded FFT, searched
       in ``stride_band_hz``) is the stride frequency; 2 x 60 x its mean over both thighs.

    The result also says where the walk starts and ends (``describe()`` prints it) and
    gives the cadence over any window (``cadence_spm_between``).
    """
    standing = mtw_standing_start()
    pitches, times = {}, {}
    for side in ("left", "right"):
        recording = load_mtw(f"{side}_thigh")
        pitches[side] = mtw_thigh_pitch_deg(f"{side}_thigh")
        times[side] = recording.t_s
    n = min(len(pitch) for pitch in pitches.values())
    t = times["left"][:n]
    if not np.array_equal(t, times["right"][:n]):
        raise ValueError("left and right thigh clocks differ; the packet counters do not line up")
    away = np.zeros(n, bool)
    for pitch in pitches.values():
        away |= np.abs(pitch[:n] - pitch[standing].mean()) > onset_deg
    away[: standing.stop] = False
    moving = np.flatnonzero(away)
    if moving.size == 0:
        raise ValueError("the thighs never leave their standing pitch")
    start, stop = int(moving[0]), int(moving[-1])
    distance = max(1, round(min_peak_distance_s * MTW_RATE_HZ))
    peaks_s, spectral = {}, []
    for side, pitch in pitches.items():
        walk = pitch[start : stop + 1]
        peaks, _ = find_peaks(walk, prominence=min_prominence_deg, distance=distance)
        peaks_s[side] = _read_only(t[start + peaks])
        spectral.append(_dominant_frequency_hz(walk, MTW_RATE_HZ, stride_band_hz))
    merged = sorted((time, side) for side, side_peaks in peaks_s.items() for time in side_peaks)
    if len(merged) < 2:
        raise ValueError("fewer than two steps found")
    step_times = np.array([time for time, _ in merged])
    cadence = (len(step_times) - 1) / (step_times[-1] - step_times[0]) * 60.0
    return CadenceReference(
        cadence_spm=float(cadence),
        cadence_spectral_spm=float(2.0 * 60.0 * np.mean(spectral)),
        walk_start_s=float(t[start]),
        walk_end_s=float(t[stop]),
        recording_end_s=float(t[n - 1]),
        peaks_s=peaks_s,
        step_times_s=_read_only(step_times),
        step_sides=tuple(side for _, side in merged),
    )


# --------------------------------------------------------------------------------------------
# gaitmap example: foot-worn IMUs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GaitmapFoot:
    """One foot of the gaitmap example (arrays read only, sample indices at 204.8 Hz).

    Attributes
    ----------
    acc_m_s2, gyr_dps : ndarray, shape (n, 3)
        ``acc_x/y/z`` (m/s^2) and ``gyr_x/y/z`` (deg/s) in gaitmap's foot sensor frame.
    stride_borders : ndarray, shape (k, 2), int
        Hand-labelled strides (start, end) in samples (``stride_borders_sample.csv``).
    ic, tc : ndarray, shape (m,), int
        Mocap-derived initial and terminal contact of each stride in samples
        (``stride_events_sample.csv``; converted by gaitmap from the 100 Hz mocap).
    event_strides : ndarray, shape (m, 2), int
        (start, end) of the event strides: from one ``min_vel`` (foot flat) to the next.
    """

    side: str
    acc_m_s2: np.ndarray
    gyr_dps: np.ndarray
    stride_borders: np.ndarray
    ic: np.ndarray
    tc: np.ndarray
    event_strides: np.ndarray


@dataclass(frozen=True, eq=False)
class GaitmapFeet:
    """The gaitmap healthy example: left and right foot IMUs, 2 x 20 m walk."""

    rate_hz: float
    n_samples: int
    left: GaitmapFoot
    right: GaitmapFoot

    def __getitem__(self, side: str) -> GaitmapFoot:
        if side not in GAITMAP_SIDES:
            raise KeyError(f"side must be 'left' or 'right', not {side!r}")
        return self.left if side == "left" else self.right

    @property
    def t_s(self) -> np.ndarray:
        return np.arange(self.n_samples) / self.rate_hz


def _integer_samples(values: pd.Series, name: str) -> np.ndarray:
    array = values.to_numpy(dtype=float)
    if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
        raise ValueError(f"{name}: sample indices must be whole numbers")
    return array.astype(np.int64)


@functools.cache
def load_gaitmap_feet() -> GaitmapFeet:
    """Load ``imu_sample.csv`` (two-row header: sensor, axis; first column the sample index)
    with ``stride_borders_sample.csv`` and ``stride_events_sample.csv``. Cached, read only."""
    folder = data_path(GAITMAP_FOLDER, "example_data")
    imu = pd.read_csv(folder / "imu_sample.csv", header=[0, 1], index_col=0)
    index = imu.index.to_numpy()
    if not np.array_equal(index, np.arange(len(imu))):
        raise ValueError("imu_sample.csv: the sample index is not 0, 1, 2, ...")
    borders = pd.read_csv(folder / "stride_borders_sample.csv")
    events = pd.read_csv(folder / "stride_events_sample.csv")
    feet = {}
    for side in GAITMAP_SIDES:
        sensor = f"{side}_sensor"
        foot_borders = borders[borders["foot"] == side]
        foot_events = events[events["foot"] == side]
        feet[side] = GaitmapFoot(
            side=side,
            acc_m_s2=_read_only(imu[sensor][["acc_x", "acc_y", "acc_z"]].to_numpy(dtype=float)),
            gyr_dps=_read_only(imu[sensor][["gyr_x", "gyr_y", "gyr_z"]].to_numpy(dtype=float)),
            stride_borders=_read_only(
                np.column_stack(
                    [
                        _integer_samples(foot_borders["start"], f"{side} border start"),
                        _integer_samples(foot_borders["end"], f"{side} border end"),
                    ]
                )
            ),
            ic=_read_only(_integer_samples(foot_events["ic"], f"{side} ic")),
            tc=_read_only(_integer_samples(foot_events["tc"], f"{side} tc")),
            event_strides=_read_only(
                np.column_stack(
                    [
                        _integer_samples(foot_events["start"], f"{side} event start"),
                        _integer_samples(foot_events["end"], f"{side} event end"),
                    ]
                )
            ),
        )
    return GaitmapFeet(
        rate_hz=GAITMAP_RATE_HZ, n_samples=len(imu), left=feet["left"], right=feet["right"]
    )


if __name__ == "__main__":
    print(reference_cadence_spm().describe())
