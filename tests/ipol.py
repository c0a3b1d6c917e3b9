"""The IPOL lower-back gait set (development half) for tests and ``benchmarks/ipol_gait.py``.

The set lives in ``../shared/data/ipol-lowback-gait-dev`` beside the repository (AGPL-3.0:
it is read from there, never copied into the project); ``SENSORLAB_SHARED`` names another
``shared`` folder. Voisard et al., "A reference data set for the study of healthy subject
gait with inertial measurement units", IPOL 2023 (https://www.ipol.im/pub/art/2023/497/).

- :func:`load_trial`: one trial as the project's :class:`~sensorlab.records.Recording`
  (the L5 sensor as ``pelvis``, sidecar mount x up, y left, z backward) plus its
  hand-checked heel strikes as times.
- :func:`pelvis_kinematics`: the pelvis alone through ``SessionAnalyzer`` (as
  ``sensorlab analyze --activity walk``): its kinematics columns (thigh columns NaN) and
  its analysis, whose steps are the contacts.
- :func:`detect` and :func:`score`: the contacts and their agreement with the reference.

Facts checked on the files (100 Hz, 10 subjects x 6 trials): event indices are
PacketCounter values (46 of the 60 lower-back files lose packets: up to 684 in a trial,
gaps up to 64 packets, so rows are not packets); the counter starts at 0 or 1 and does not wrap;
11-1 repeats packet 308 (the pipeline's cleaner drops the duplicate);
every trial has 4.1-6.7 s of standing before ``TrialBoundaries`` starts, but in 17-1 the
subject sways (no still span of 2 s: the pipeline calibrates on the brief pauses) and in
13-2 the first span that passes is at the end (27 s: the pipeline carries it back).
Reference heel strikes: 27-44 per trial (2112), U-turn steps included.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensorlab.processing.columns import Columns
from sensorlab.processing.gait import DEFAULT_GAIT, GaitSettings, InitialContactDetector
from sensorlab.processing.pipeline import DEFAULT_ANALYSIS, AnalysisSettings, SessionAnalyzer
from sensorlab.records import ImuChunk, Recording, SensorInfo, SessionAnalysis, SessionMeta

SHARED_DIR = Path(
    os.environ.get("SENSORLAB_SHARED", Path(__file__).resolve().parents[2] / "shared")
)
IPOL_DIR = SHARED_DIR / "data" / "ipol-lowback-gait-dev" / "GaitData"
IPOL_RATE_HZ = 100.0
IPOL_MOUNT = {"x": "up", "y": "left", "z": "backward"}
"""The L5 sensor's axes in standing (the set's README, checked on the data)."""
MATCH_TOLERANCE_S = 0.1
"""A detected contact matches a reference heel strike within this, seconds."""


def available() -> bool:
    """True when the IPOL development set is beside the repository."""
    return IPOL_DIR.is_dir() and any(IPOL_DIR.glob("*.json"))


def trial_names() -> list[str]:
    """``SUBJECT-TRIAL`` names in order (1-1, 1-2, ..., 19-6)."""
    names = [path.stem for path in IPOL_DIR.glob("*.json")]
    return sorted(names, key=lambda name: tuple(int(part) for part in name.split("-")))


def subject_of(name: str) -> int:
    """Subject number of a trial name."""
    return int(name.split("-")[0])


@dataclass(frozen=True, eq=False)
class IpolTrial:
    """One trial: the recording and its reference, times in seconds from the first packet.

    Attributes
    ----------
    name : str
        ``SUBJECT-TRIAL``.
    recording : Recording
        The L5 sensor as ``pelvis`` (t = (PacketCounter - first) / 100 Hz, ``seq`` the
        counter), activity ``walk``, mount :data:`IPOL_MOUNT`.
    contacts_s : ndarray, shape (m,)
        Reference heel strikes (the end of each ``[toe-off, heel strike]`` pair), sorted.
    sides : tuple of str
        ``left`` or ``right`` for each of ``contacts_s``.
    trial_s, uturn_s : tuple of float
        ``TrialBoundaries`` and ``UTurnBoundaries``, seconds.
    """

    name: str
    recording: Recording
    contacts_s: np.ndarray
    sides: tuple[str, ...]
    trial_s: tuple[float, float]
    uturn_s: tuple[float, float]

    @property
    def subject(self) -> int:
        return subject_of(self.name)


@functools.cache
def load_trial(name: str) -> IpolTrial:
    """Read ``NAME.json`` and ``NAME_lb.txt`` (one header line, then a tab-separated table
    ``PacketCounter Acc_X.. Gyr_X.. Mag_X..``; acc m/s^2, gyro rad/s)."""
    meta_path, data_path = IPOL_DIR / f"{name}.json", IPOL_DIR / f"{name}_lb.txt"
    for path in (meta_path, data_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such IPOL file (is ../shared beside the clone?)")
    meta = json.loads(meta_path.read_text())
    with data_path.open() as handle:
        handle.readline()  # "Acquisition frequency: 100 Hz"
        header = handle.readline().split()
        table = np.loadtxt(handle, ndmin=2)
    wanted = ["PacketCounter", "Acc_X", "Acc_Y", "Acc_Z", "Gyr_X", "Gyr_Y", "Gyr_Z"]
    if header[:7] != wanted:
        raise ValueError(f"{data_path}: expected columns {wanted}, found {header[:7]}")
    counter = table[:, 0].astype(np.int64)
    if np.any(np.diff(counter) < 0):
        raise ValueError(f"{data_path}: the packet counter goes backwards")
    t_s = (counter - counter[0]) / IPOL_RATE_HZ
    chunk = ImuChunk("pelvis", t_s, table[:, 1:4], table[:, 4:7], seq=counter)
    info = SensorInfo("pelvis", model="Xsens MTw Awinda", rate_hz=IPOL_RATE_HZ, mount=IPOL_MOUNT)
    recording = Recording(
        source=data_path.name,
        meta=SessionMeta(activity="walk", sensors={"pelvis": info}, subject=str(meta["Subject"])),
        chunks={"pelvis": chunk},
    )

    def seconds(packet: float) -> float:
        return (packet - counter[0]) / IPOL_RATE_HZ

    events = sorted(
        (seconds(pair[1]), side)
        for side, key in (("left", "LeftFootEvents"), ("right", "RightFootEvents"))
        for pair in meta[key]
    )
    return IpolTrial(
        name=name,
        recording=recording,
        contacts_s=np.array([t for t, _ in events]),
        sides=tuple(side for _, side in events),
        trial_s=tuple(seconds(b) for b in meta["TrialBoundaries"]),
        uturn_s=tuple(seconds(b) for b in meta["UTurnBoundaries"]),
    )


# --------------------------------------------------------------------------------------------
# the pelvis alone through SessionAnalyzer, as analyze(recording, activity="walk")
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PelvisKinematics:
    """A pelvis-only recording through ``SessionAnalyzer``: its kinematics and analysis.

    Attributes
    ----------
    columns : Columns
        Every :data:`~sensorlab.processing.pipeline.KINEMATICS_COLUMNS` on the 100 Hz grid
        from the first sample; thigh columns NaN (what the contact detector reads).
    analysis : SessionAnalysis
        The whole analysis as ``activity="walk"``: its ``steps`` are the contacts.
    """

    columns: Columns
    analysis: SessionAnalysis

    @property
    def calibration_method(self) -> str:
        """How the pelvis was calibrated (``standing``, ``pauses`` or ``movement``)."""
        return self.analysis.calibration["pelvis"].method


def pelvis_kinematics(
    recording: Recording, settings: AnalysisSettings = DEFAULT_ANALYSIS
) -> PelvisKinematics:
    """Analyse a recording's pelvis alone, as ``sensorlab analyze --activity walk`` does."""
    analyzer = SessionAnalyzer(
        recording.meta, "walk", settings, source=recording.source, placements=("pelvis",)
    )
    analyzer.update([recording.chunks["pelvis"]])
    analysis = analyzer.finish()
    return PelvisKinematics(analyzer.kinematics, analysis)


@functools.cache
def trial_kinematics(name: str) -> PelvisKinematics:
    """:func:`pelvis_kinematics` of a trial (cached)."""
    return pelvis_kinematics(load_trial(name).recording)


# --------------------------------------------------------------------------------------------
# detection and scoring
# --------------------------------------------------------------------------------------------


def detect(
    columns: Columns,
    settings: GaitSettings = DEFAULT_GAIT,
    rate_hz: float = IPOL_RATE_HZ,
    block_sizes: list[int] | None = None,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Contacts of :class:`InitialContactDetector` over kinematics columns: times (s) and sides.

    ``block_sizes`` feeds the rows in blocks of these sizes (as a live stream would)
    instead of at once.
    """
    names = columns.names
    n = columns.size
    sizes = [n] if block_sizes is None else list(block_sizes)
    fed = Columns(names, capacity=n)
    detector = InitialContactDetector(rate_hz, settings)
    found = []
    lo = 0
    for size in sizes:
        hi = min(lo + size, n)
        fed.append(**{name: columns.rows(name, lo, hi) for name in names})
        found += detector.update(fed)
        lo = hi
    found += detector.update(fed, final=True)
    t0 = float(columns["t_s"][0])
    return np.array([t0 + row / rate_hz for row, _ in found]), tuple(side for _, side in found)


def match(detected_s: np.ndarray, reference_s: np.ndarray, tolerance_s: float = MATCH_TOLERANCE_S):
    """One-to-one pairs ``(i_detected, j_reference)`` within the tolerance, closest first."""
    if detected_s.size == 0 or reference_s.size == 0:
        return []
    distance = np.abs(np.subtract.outer(detected_s, reference_s))
    candidates = np.argwhere(distance <= tolerance_s)
    order = np.argsort(distance[candidates[:, 0], candidates[:, 1]], kind="stable")
    used_d: set[int] = set()
    used_r: set[int] = set()
    pairs = []
    for i, j in candidates[order].tolist():
        if i not in used_d and j not in used_r:
            used_d.add(i)
            used_r.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def cadence_spm(contacts_s: np.ndarray, max_step_s: float = DEFAULT_GAIT.max_step_s) -> float:
    """Cadence as the pipeline computes it: 60 / mean interval of at most ``max_step_s``."""
    steps = np.diff(contacts_s)
    steps = steps[steps <= max_step_s]
    return 60.0 / float(steps.mean()) if steps.size else float("nan")


@dataclass(frozen=True)
class TrialScore:
    """Agreement of one trial's contacts with its reference, inside the trial boundaries.

    Attributes
    ----------
    name : str
        The trial.
    true_pos, false_pos, false_neg : int
        Matched contacts, unmatched detections, unmatched reference heel strikes.
    errors_s : tuple of float
        Detected minus reference time of each match, seconds.
    side_correct : int
        Matches whose side agrees (``side_judged`` of them had a side).
    side_judged : int
        Matches with a side.
    cadence_error_pct : float
        Detected over reference cadence minus 1, percent.
    """

    name: str
    true_pos: int
    false_pos: int
    false_neg: int
    errors_s: tuple[float, ...]
    side_correct: int
    side_judged: int
    cadence_error_pct: float


def score(
    trial: IpolTrial,
    detected_s: np.ndarray,
    sides: tuple[str | None, ...],
    include_uturn: bool = True,
) -> TrialScore:
    """Score detections against the trial's heel strikes, both taken inside
    ``TrialBoundaries`` (+- the tolerance for detections); ``include_uturn=False`` leaves
    out both within ``UTurnBoundaries``."""
    lo, hi = trial.trial_s

    def kept(t: np.ndarray, margin: float) -> np.ndarray:
        inside = (t >= lo - margin) & (t <= hi + margin)
        if not include_uturn:
            inside &= ~((t >= trial.uturn_s[0]) & (t <= trial.uturn_s[1]))
        return inside

    detected_s = np.asarray(detected_s, dtype=float)
    d_keep = kept(detected_s, MATCH_TOLERANCE_S)
    r_keep = kept(trial.contacts_s, 0.0)
    det_t = detected_s[d_keep]
    det_side = [side for side, keep in zip(sides, d_keep, strict=True) if keep]
    ref_t = trial.contacts_s[r_keep]
    ref_side = [side for side, keep in zip(trial.sides, r_keep, strict=True) if keep]
    pairs = match(det_t, ref_t)
    judged = [(det_side[i], ref_side[j]) for i, j in pairs if det_side[i] is not None]
    cadence_error = 100.0 * (cadence_spm(det_t) / cadence_spm(ref_t) - 1.0)
    return TrialScore(
        name=trial.name,
        true_pos=len(pairs),
        false_pos=len(det_t) - len(pairs),
        false_neg=len(ref_t) - len(pairs),
        errors_s=tuple(float(det_t[i] - ref_t[j]) for i, j in pairs),
        side_correct=sum(d == r for d, r in judged),
        side_judged=len(judged),
        cadence_error_pct=float(cadence_error),
    )


@dataclass(frozen=True)
class PooledScore:
    """Scores pooled over trials (every contact counts once).

    Attributes
    ----------
    f1 : float
        2 TP / (2 TP + FP + FN).
    median_error_ms, iqr_error_ms : float, tuple of float
        Median and (25th, 75th) percentiles of the signed errors, ms (negative: early).
    side_accuracy : float
        Correct sides over matches with a side (NaN without sides).
    cadence_error_pct : tuple of float
        Median and largest absolute per-trial cadence error, percent.
    trials : int
        Number of trials.
    """

    f1: float
    median_error_ms: float
    iqr_error_ms: tuple[float, float]
    side_accuracy: float
    cadence_error_pct: tuple[float, float]
    trials: int


def pool(scores: list[TrialScore]) -> PooledScore:
    """Pool per-trial scores."""
    tp = sum(s.true_pos for s in scores)
    fp = sum(s.false_pos for s in scores)
    fn = sum(s.false_neg for s in scores)
    errors_ms = 1000.0 * np.array([e for s in scores for e in s.errors_s])
    judged = sum(s.side_judged for s in scores)
    cadence = np.abs([s.cadence_error_pct for s in scores])
    return PooledScore(
        f1=2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan"),
        median_error_ms=float(np.median(errors_ms)) if errors_ms.size else float("nan"),
        iqr_error_ms=tuple(np.percentile(errors_ms, [25, 75]).tolist())
        if errors_ms.size
        else (float("nan"), float("nan")),
        side_accuracy=sum(s.side_correct for s in scores) / judged if judged else float("nan"),
        cadence_error_pct=(float(np.nanmedian(cadence)), float(np.nanmax(cadence))),
        trials=len(scores),
    )
