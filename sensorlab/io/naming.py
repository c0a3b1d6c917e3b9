"""Close-name suggestions for misnamed columns and sensors ("did you mean ...").

Pure string helpers used by the recording reader to turn a typo into a fix hint.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_COLUMN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(t|time|times|timestamp|timestamps|time_s|t_s|seconds|sec|host_t)$"), "t"),
    (
        re.compile(r"^(sensor|sensors|sensor_name|sensorname|placement|location|segment|device)$"),
        "sensor",
    ),
    (re.compile(r"^(acc|accel|acceleration|accelerometer|a)_?([xyz])(_.*)?$"), r"acc_\2"),
    (
        re.compile(r"^(gyr|gyro|gyroscope|angvel|angular_velocity|omega|w)_?([xyz])(_.*)?$"),
        r"gyr_\2",
    ),
    (re.compile(r"^(seq|sequence|counter|packetcounter|packet_counter|sample_counter)$"), "seq"),
)

_PLACEMENT_SYNONYMS: dict[str, str] = {
    "pelvic": "pelvis",
    "sacrum": "pelvis",
    "sacral": "pelvis",
    "hip": "pelvis",
    "hips": "pelvis",
    "lower_back": "pelvis",
    "lumbar": "pelvis",
    "l_thigh": "left_thigh",
    "thigh_l": "left_thigh",
    "lthigh": "left_thigh",
    "l_femur": "left_thigh",
    "femur_l": "left_thigh",
    "left_femur": "left_thigh",
    "r_thigh": "right_thigh",
    "thigh_r": "right_thigh",
    "rthigh": "right_thigh",
    "r_femur": "right_thigh",
    "femur_r": "right_thigh",
    "right_femur": "right_thigh",
}


def normalize_name(name: str) -> str:
    """Lower-case snake form of a name: ``"LeftThigh"``, ``"left thigh"`` -> ``"left_thigh"``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name.strip())
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def canonical_column(name: str) -> str:
    """The contract column a header name most likely means (``"gyro_X"`` -> ``"gyr_x"``)."""
    key = normalize_name(name)
    for pattern, replacement in _COLUMN_PATTERNS:
        if pattern.match(key):
            return pattern.sub(replacement, key)
    return key


def suggest_column(missing: str, candidates: Iterable[str]) -> str | None:
    """The header name among ``candidates`` that was probably meant as ``missing``.

    Parameters
    ----------
    missing : str
        A required column that the header lacks, e.g. ``"acc_x"``.
    candidates : iterable of str
        Header names that are not contract columns.

    Returns
    -------
    str or None
        The closest candidate, or ``None`` when none is close.
    """
    candidates = list(candidates)
    for candidate in candidates:
        if canonical_column(candidate) == missing:
            return candidate
    by_key = {normalize_name(c): c for c in candidates}
    close = difflib.get_close_matches(missing, list(by_key), n=1, cutoff=0.75)
    return by_key[close[0]] if close else None


def suggest_placement(name: str, known: Iterable[str]) -> str | None:
    """The known placement that ``name`` was probably meant to be.

    Parameters
    ----------
    name : str
        A sensor name from the file, e.g. ``"pelvic"``, ``"left thigh"``, ``"LeftThigh"``.
    known : iterable of str
        Placement names to suggest from.

    Returns
    -------
    str or None
        The suggestion, or ``None`` when nothing is close (or ``name`` is itself known).
    """
    known = list(known)
    if name in known:
        return None
    key = normalize_name(name)
    if key in known:
        return key
    synonym = _PLACEMENT_SYNONYMS.get(key)
    if synonym in known:
        return synonym
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    return close[0] if close else None
