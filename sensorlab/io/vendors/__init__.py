"""Readers of vendor exports (one module per format) and what they have in common.

Each module has ``NAME``, ``DESCRIPTION``, ``sniff(path) -> bool`` (cheap: looks at the
first bytes or lines only) and ``read(path) -> list[VendorStream]`` (a pure parser: SI
units, the sensor's own axes, the device's own time). :func:`find_reader` picks the module
for a file; :mod:`sensorlab.io.vendors.session` turns the streams of one session into a
:class:`~sensorlab.records.Recording`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from sensorlab.errors import InputError
from sensorlab.io.vendors import (
    apdm,
    dot,
    gaitmap,
    metabase,
    movesense,
    mtmanager,
    witmotion,
    ximu3,
)

READERS: tuple[ModuleType, ...] = (
    dot,
    mtmanager,
    metabase,
    witmotion,
    movesense,
    ximu3,
    gaitmap,
    apdm,
)
"""Every vendor reader, in the order they are tried."""

CONTRACT_DESCRIPTION = (
    "sensorlab contract CSV (t, sensor, acc_x..z in m/s^2, gyr_x..z in deg/s; see docs/formats.md)"
)


def find_reader(path: Path) -> ModuleType | None:
    """The reader whose ``sniff`` recognises ``path``, or None."""
    return next((reader for reader in READERS if reader.sniff(path)), None)


def unknown_format_error(path: Path) -> InputError:
    """The refusal of a file no reader recognises: what is read, and how to map columns."""
    formats = "\n".join(f"  - {reader.DESCRIPTION}" for reader in READERS)
    return InputError(
        f"{path.name}: not a format sensorlab reads. It reads:\n  - {CONTRACT_DESCRIPTION}\n"
        f"{formats}\n"
        "For another layout, write the contract CSV: rename your columns to t (seconds), "
        "sensor (pelvis, left_thigh, right_thigh), acc_x, acc_y, acc_z (m/s^2) and gyr_x, "
        "gyr_y, gyr_z (deg/s), one row per sample per sensor; optional seq (packet counter) "
        "and quat_w..quat_z (see docs/vendors.md, 'Mapping your own columns')"
    )
