"""Per-device IMU calibration: gyroscope bias and accelerometer six-position offset and scale.

Model, per sensor axis ``i`` (in the device's own sensor frame)::

    acc_true[i] = (acc_raw[i] - acc_offset_m_s2[i]) / acc_scale[i]
    gyr_true[i] = gyr_raw[i] - gyro_bias_rad_s[i]

The gyroscope bias is the mean rate over a still period. The six-position method reads
the accelerometer still with each axis pointing straight up and straight down: up reads
``offset + scale * g``, down ``offset - scale * g``, so ``offset = (up + down) / 2`` and
``scale = (up - down) / (2 g)`` with ``g`` = :data:`STANDARD_GRAVITY_M_S2` (the g of the
data sheets; local gravity differs by up to 0.3 %, which the scale then absorbs).
Cross-axis misalignment is not modelled (it needs more poses).

Files live in ``calibration/<address>.json`` with the colons of the address replaced by
``-`` (``calibration/C1-5E-00-00-00-01.json``); the collector applies them automatically
(:class:`sensorlab.ble.collector.BleSource`), and ``sensorlab calibrate-device`` writes
them (:mod:`sensorlab.ble.guided`). This module is pure computation plus that file.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensorlab.ble.config import calibration_file_name, normalize_address
from sensorlab.errors import InputError
from sensorlab.io.writer import write_atomically
from sensorlab.units import STANDARD_GRAVITY_M_S2

FORMAT_NAME = "sensorlab-device-calibration"
FORMAT_VERSION = 1

POSES: tuple[tuple[int, float], ...] = (
    (0, 1.0),
    (0, -1.0),
    (1, 1.0),
    (1, -1.0),
    (2, 1.0),
    (2, -1.0),
)
"""The six positions as (axis index, +1 up / -1 down), in the order they are asked for."""
AXES = "xyz"


def pose_name(axis: int, sign: float) -> str:
    """``+x up`` style name of a pose."""
    return f"{'+' if sign > 0 else '-'}{AXES[axis]} up"


@dataclass(frozen=True)
class DeviceCalibration:
    """Calibration of one device.

    Attributes
    ----------
    address : str
        Bluetooth address, upper case.
    model : str or None
        Device model key.
    gyro_bias_rad_s : ndarray, shape (3,)
        Subtracted from the angular rate, rad/s.
    acc_offset_m_s2 : ndarray, shape (3,)
        Subtracted from the specific force, m/s^2.
    acc_scale : ndarray, shape (3,)
        The specific force is then divided by it (1 = exact).
    created : str or None
        ISO 8601 time of the calibration.
    residuals_m_s2 : dict of str to float
        Per pose: length of the corrected mean specific force minus g, m/s^2.
    tilt_deg : dict of str to float
        Per pose: angle between the corrected mean and the axis that should point up.
    """

    address: str
    model: str | None
    gyro_bias_rad_s: np.ndarray
    acc_offset_m_s2: np.ndarray
    acc_scale: np.ndarray
    created: str | None = None
    residuals_m_s2: dict[str, float] | None = None
    tilt_deg: dict[str, float] | None = None

    def apply(self, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Corrected copies of samples, shapes (n, 3)."""
        return (
            (acc_m_s2 - self.acc_offset_m_s2) / self.acc_scale,
            gyr_rad_s - self.gyro_bias_rad_s,
        )


def gyro_bias(gyr_rad_s: np.ndarray) -> np.ndarray:
    """Mean angular rate of a still period, rad/s, shape (3,)."""
    gyr = np.asarray(gyr_rad_s, dtype=np.float64)
    if gyr.ndim != 2 or gyr.shape[1] != 3 or len(gyr) == 0:
        raise ValueError(f"expected gyr_rad_s of shape (n, 3) with n > 0, got {gyr.shape}")
    return gyr.mean(axis=0)


def fit_six_position(
    up_m_s2: np.ndarray, down_m_s2: np.ndarray, gravity_m_s2: float = STANDARD_GRAVITY_M_S2
) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis offset and scale from the six still means.

    Parameters
    ----------
    up_m_s2, down_m_s2 : ndarray, shape (3,)
        Reading of axis ``i`` (its own component) when it points up and when it points
        down, m/s^2.
    gravity_m_s2 : float
        Reference gravity, m/s^2.

    Returns
    -------
    offset_m_s2, scale : ndarray, shape (3,)

    Raises
    ------
    ValueError
        If an axis read less up than down (the poses were swapped).
    """
    up = np.asarray(up_m_s2, dtype=np.float64)
    down = np.asarray(down_m_s2, dtype=np.float64)
    if not (up - down > 0).all():
        raise ValueError(f"an axis reads less pointing up than down (up {up}, down {down})")
    return (up + down) / 2.0, (up - down) / (2.0 * gravity_m_s2)


def pose_residuals(
    means_m_s2: dict[tuple[int, float], np.ndarray],
    offset_m_s2: np.ndarray,
    scale: np.ndarray,
    gravity_m_s2: float = STANDARD_GRAVITY_M_S2,
) -> tuple[dict[str, float], dict[str, float]]:
    """Length error (m/s^2) and tilt from the axis (deg) of each corrected pose mean."""
    residuals, tilts = {}, {}
    for (axis, sign), mean in means_m_s2.items():
        corrected = (np.asarray(mean) - offset_m_s2) / scale
        norm = float(np.linalg.norm(corrected))
        cosine = np.clip(sign * corrected[axis] / norm, -1.0, 1.0) if norm > 0 else -1.0
        residuals[pose_name(axis, sign)] = norm - gravity_m_s2
        tilts[pose_name(axis, sign)] = math.degrees(math.acos(cosine))
    return residuals, tilts


def calibrate(
    address: str,
    model: str | None,
    still_gyr_rad_s: np.ndarray,
    means_m_s2: dict[tuple[int, float], np.ndarray],
    gravity_m_s2: float = STANDARD_GRAVITY_M_S2,
) -> DeviceCalibration:
    """A :class:`DeviceCalibration` from a still period and the six pose means.

    Parameters
    ----------
    still_gyr_rad_s : ndarray, shape (n, 3)
        Angular rate while still, rad/s.
    means_m_s2 : dict of (axis, sign) to ndarray, shape (3,)
        Mean specific force in each of :data:`POSES`, m/s^2.
    """
    missing = [pose_name(*pose) for pose in POSES if pose not in means_m_s2]
    if missing:
        raise ValueError(f"poses missing: {', '.join(missing)}")
    up = np.array([means_m_s2[(i, 1.0)][i] for i in range(3)])
    down = np.array([means_m_s2[(i, -1.0)][i] for i in range(3)])
    offset, scale = fit_six_position(up, down, gravity_m_s2)
    residuals, tilts = pose_residuals(means_m_s2, offset, scale, gravity_m_s2)
    return DeviceCalibration(
        address=normalize_address(address),
        model=model,
        gyro_bias_rad_s=gyro_bias(still_gyr_rad_s),
        acc_offset_m_s2=offset,
        acc_scale=scale,
        created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        residuals_m_s2=residuals,
        tilt_deg=tilts,
    )


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------
def calibration_path(address: str, folder: Path) -> Path:
    """``folder/<address with - for :>.json``."""
    return folder / calibration_file_name(address)


def calibration_dict(calibration: DeviceCalibration) -> dict:
    """The JSON object of a calibration file (units in the key names)."""
    out: dict = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "address": calibration.address,
        "model": calibration.model,
        "created": calibration.created,
        "method": "gyroscope bias from a still period; accelerometer six-position "
        "(each axis up and down) per-axis offset and scale, g = 9.80665 m/s^2",
        "gyro_bias_dps": [round(float(v), 5) for v in np.degrees(calibration.gyro_bias_rad_s)],
        "acc_offset_m_s2": [round(float(v), 5) for v in calibration.acc_offset_m_s2],
        "acc_scale": [round(float(v), 6) for v in calibration.acc_scale],
    }
    if calibration.residuals_m_s2 is not None:
        out["residuals_m_s2"] = {k: round(v, 5) for k, v in calibration.residuals_m_s2.items()}
    if calibration.tilt_deg is not None:
        out["tilt_deg"] = {k: round(v, 3) for k, v in calibration.tilt_deg.items()}
    return out


def save_calibration(calibration: DeviceCalibration, folder: Path) -> Path:
    """Write ``folder/<address>.json`` atomically (the folder is created); returns the path."""
    path = calibration_path(calibration.address, folder)
    text = json.dumps(calibration_dict(calibration), indent=2) + "\n"
    try:
        write_atomically(path, lambda file: file.write(text))
    except OSError as exc:
        raise InputError(
            f"{path.name}: cannot write the calibration file ({exc.strerror}); check that the "
            "folder is writable or choose another with --out-dir"
        ) from exc
    return path


def load_calibration(path: Path) -> DeviceCalibration:
    """Read a calibration file.

    Raises
    ------
    InputError
        If it is not valid JSON or lacks a field, naming the file and the field.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read the calibration file ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path.name}:{exc.lineno}: not valid JSON ({exc.msg}); run "
            "'sensorlab calibrate-device' again to rewrite it, or delete it to record uncalibrated"
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise InputError(
            f"{path.name}: not a sensorlab device calibration (format should be {FORMAT_NAME!r}); "
            "move other files out of the calibration folder"
        )
    if data.get("version") != FORMAT_VERSION:
        raise InputError(
            f"{path.name}: calibration format version {data.get('version')!r} is not supported "
            f"(this sensorlab reads version {FORMAT_VERSION}); calibrate the device again"
        )

    def vector(name: str, positive: bool = False) -> np.ndarray:
        value = data.get(name)
        ok = (
            isinstance(value, list)
            and len(value) == 3
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        )
        array = np.array(value, dtype=np.float64) if ok else None
        if array is None or not np.isfinite(array).all() or (positive and not (array > 0).all()):
            kind = "three positive numbers" if positive else "three numbers"
            raise InputError(
                f"{path.name}: {name} must be {kind} (x, y, z), got {json.dumps(value)}; "
                "run 'sensorlab calibrate-device' again"
            )
        return array

    address = data.get("address")
    if not isinstance(address, str):
        raise InputError(f"{path.name}: address is missing; run 'sensorlab calibrate-device' again")
    return DeviceCalibration(
        address=normalize_address(address, f"{path.name}: address"),
        model=data.get("model") if isinstance(data.get("model"), str) else None,
        gyro_bias_rad_s=np.radians(vector("gyro_bias_dps")),
        acc_offset_m_s2=vector("acc_offset_m_s2"),
        acc_scale=vector("acc_scale", positive=True),
        created=data.get("created") if isinstance(data.get("created"), str) else None,
        residuals_m_s2=data.get("residuals_m_s2"),
        tilt_deg=data.get("tilt_deg"),
    )


def find_calibration(address: str, folder: Path | None) -> tuple[DeviceCalibration, Path] | None:
    """The calibration of ``address`` in ``folder``, if its file exists.

    Raises
    ------
    InputError
        If the file exists but is unusable, or was made for another address.
    """
    if folder is None:
        return None
    path = calibration_path(address, folder)
    if not path.is_file():
        return None
    calibration = load_calibration(path)
    if calibration.address != normalize_address(address):
        raise InputError(
            f"{path.name}: holds the calibration of {calibration.address}, not {address}; "
            "rename or delete it"
        )
    return calibration, path


# --------------------------------------------------------------------------------------
# Stillness (for the guided procedure)
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StillnessSettings:
    """When a stretch of samples counts as still.

    Attributes
    ----------
    gyro_max_rad_s : float
        Every sample's angular rate below this, rad/s (0.1 rad/s is about 6 deg/s: a hand
        holding a sensor against a table stays well below; a turn does not).
    acc_max_dev_m_s2 : float
        Every sample's specific force within this of the stretch's mean, m/s^2.
    tilt_max_deg : float
        For a pose: the mean specific force within this angle of the axis that should
        point up, degrees.
    """

    gyro_max_rad_s: float = 0.1
    acc_max_dev_m_s2: float = 0.3
    tilt_max_deg: float = 20.0


DEFAULT_STILLNESS = StillnessSettings()


def is_still(
    acc_m_s2: np.ndarray,
    gyr_rad_s: np.ndarray,
    pose: tuple[int, float] | None = None,
    settings: StillnessSettings = DEFAULT_STILLNESS,
) -> bool:
    """Whether a stretch of samples (shapes (n, 3)) is still, and in ``pose`` if given."""
    if len(acc_m_s2) == 0:
        return False
    if float(np.max(np.einsum("ij,ij->i", gyr_rad_s, gyr_rad_s))) > settings.gyro_max_rad_s**2:
        return False
    mean = acc_m_s2.mean(axis=0)
    if float(np.max(np.abs(acc_m_s2 - mean))) > settings.acc_max_dev_m_s2:
        return False
    if pose is None:
        return True
    axis, sign = pose
    norm = float(np.linalg.norm(mean))
    return norm > 0 and sign * mean[axis] / norm > math.cos(math.radians(settings.tilt_max_deg))
