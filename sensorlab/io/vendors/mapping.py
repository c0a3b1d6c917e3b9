"""Which body placement each vendor file (or sensor in it) belongs to.

In order of precedence:

1. the user's ``--map KEY=PLACEMENT`` (KEY: a file path, file name or stem, a device id or
   tag, or a label written in the file), or a mapping file given with ``--mapping``: JSON
   (``{"00B42279": "pelvis", "LFemur.csv": "left_thigh"}``) or OpenSense's XML
   (``myIMUMappings.xml``: ``<ExperimentalSensor name="_00B42279"><name_in_model>pelvis_imu``);
2. a label written in the file (APDM's ``Label 0``, gaitmap's sensor name);
3. the device tag (e.g. a DOT named ``pelvis`` in the app);
4. words in the file name or its folder: ``Pelvis``, ``Sacrum``, ``LFemur``,
   ``left_thigh``, ``RThigh``, ``femur_r``, ``LTibia``...

Placement words are read the same way everywhere (:func:`placement_from_text`), so
OpenSense model names (``femur_l_imu``) and file names (``LFemur_2021...csv``) both work.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from sensorlab.errors import InputError
from sensorlab.frames import PLACEMENTS

_SIDES = {"l": "left", "left": "left", "r": "right", "right": "right"}
_SEGMENTS = {
    "thigh": "thigh",
    "femur": "thigh",
    "upperleg": "thigh",
    "shank": "shank",
    "tibia": "shank",
    "shin": "shank",
    "lowerleg": "shank",
    "foot": "foot",
    "calcn": "foot",
    "calcaneus": "foot",
}
_CENTRAL = {
    "pelvis": "pelvis",
    "pelvic": "pelvis",
    "sacrum": "pelvis",
    "sacral": "pelvis",
    "lumbar": "pelvis",
    "lowerback": "pelvis",
    "hip": "pelvis",
    "hips": "pelvis",
    "waist": "pelvis",
    "torso": "torso",
    "sternum": "torso",
    "chest": "torso",
}
_IGNORED = {"imu", "sensor", "dot", "xsens"}


def _tokens(text: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t and t not in _IGNORED]


def placement_from_text(text: str) -> str | None:
    """The placement a name means, or None.

    ``"LFemur_2021.csv"`` -> ``left_thigh``, ``"femur_r_imu"`` -> ``right_thigh``, ``"Pelvis"`` ->
    ``pelvis``, ``"Left Upper Leg"`` -> ``left_thigh``, ``"calcn_l"`` -> ``left_foot``. Several
    different placements in one name (``pelvis_to_left_thigh``) give None: ambiguous.
    """
    tokens = _tokens(text)
    found = set()
    for index, token in enumerate(tokens):
        if token in _CENTRAL:
            found.add(_CENTRAL[token])
            continue
        joined = "".join(tokens[index : index + 2])
        segment = _SEGMENTS.get(token) or _SEGMENTS.get(joined)
        if segment is None and token[:1] in "lr" and token[1:] in _SEGMENTS:
            found.add(f"{_SIDES[token[0]]}_{_SEGMENTS[token[1:]]}")  # LFemur, RThigh
            continue
        if segment is None and token[:4] == "left" and token[4:] in _SEGMENTS:
            found.add(f"left_{_SEGMENTS[token[4:]]}")
            continue
        if segment is None and token[:5] == "right" and token[5:] in _SEGMENTS:
            found.add(f"right_{_SEGMENTS[token[5:]]}")
            continue
        if segment is None:
            continue
        before = tokens[index - 1] if index else ""
        after = tokens[index + 1] if index + 1 < len(tokens) else ""
        side = _SIDES.get(before) or _SIDES.get(after)
        if side is None and index >= 2 and tokens[index - 1] in ("upper", "lower"):
            side = _SIDES.get(tokens[index - 2])
        if side is not None:
            found.add(f"{side}_{segment}")
    return found.pop() if len(found) == 1 else None


def placement_value(text: str, where: str) -> str:
    """A placement given by the user: a contract name as is, else what the words mean."""
    text = text.strip()
    if text in PLACEMENTS:
        return text
    meant = placement_from_text(text)
    if meant is not None:
        return meant
    if re.fullmatch(r"[a-z]+(_[a-z]+)*", text):
        return text  # another placement (the metrics ignore it)
    raise InputError(
        f"{where}: {text!r} is not a placement; use {', '.join(PLACEMENTS)} (or another "
        "lower-case word such as left_shank)"
    )


def parse_map_options(options: list[str]) -> dict[str, str]:
    """``--map KEY=PLACEMENT`` options as a dict (keys compared case-insensitively later)."""
    mapping = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(
                f"--map {option}: give KEY=PLACEMENT, e.g. --map LFemur.csv=left_thigh or "
                "--map 00B42279=pelvis"
            )
        mapping[key.strip()] = placement_value(value, f"--map {option}")
    return mapping


def read_mapping_file(path: Path) -> dict[str, str]:
    """A JSON object ``{key: placement}`` or OpenSense's ``myIMUMappings.xml``.

    Raises
    ------
    InputError
        The file is missing, not JSON or XML, or maps to something that is not a placement.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"--mapping {path.name}: cannot read it ({exc.strerror})") from None
    if text.lstrip().startswith("<"):
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError as exc:
            raise InputError(
                f"--mapping {path.name}:{exc.position[0]}: not well-formed XML"
            ) from None
        mapping = {}
        for sensor in root.iter("ExperimentalSensor"):
            name = (sensor.get("name") or "").lstrip("_")
            model = sensor.findtext("name_in_model") or ""
            placement = placement_from_text(model)
            if name and placement:
                mapping[name] = placement
        if not mapping:
            raise InputError(
                f"--mapping {path.name}: no <ExperimentalSensor name=...><name_in_model> entries "
                "naming a body segment (OpenSense's myIMUMappings.xml layout)"
            )
        return mapping
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"--mapping {path.name}:{exc.lineno}: not JSON ({exc.msg}); give "
            '{"file name or device id": "placement", ...} or an OpenSense XML mapping'
        ) from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InputError(
            f"--mapping {path.name}: give a JSON object of strings, "
            '{"file name or device id": "placement", ...}'
        )
    return {str(k): placement_value(v, f"--mapping {path.name}: {k!r}") for k, v in data.items()}
