"""APDM Opal ``.h5`` (Mobility Lab / Motion Studio, file format version 5).

Layout (APDM's HDF5 format, as read by published analysis code; summarised in
``docs/vendors.md``; no real file in the project, the tests build a fixture with h5py):
``/Sensors/<id>/Accelerometer`` (n x 3, m/s^2), ``Gyroscope`` (n x 3, rad/s),
``Magnetometer`` (n x 3, uT), ``Time`` (n, microseconds since 1970, on the access point's
clock shared by every Opal of the recording), and ``Configuration`` with the attributes
``Label 0`` (the placement the user typed, e.g. ``Lumbar``, ``Left Thigh``) and
``Sample Rate``; ``/Processed/<id>/Orientation`` (n x 4, scalar first) when present.

Conversions: time us -> s; acc, gyro already SI, axes the Opal's own. Needs the optional
package h5py (the ``vendors`` extra: ``pip install 'sensorlab[vendors]'``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sensorlab.errors import InputError
from sensorlab.extras import require_extra
from sensorlab.io.vendors.stream import VendorStream

NAME = "APDM Opal .h5"
DESCRIPTION = "APDM Opal .h5 (/Sensors/<id>/Accelerometer, Gyroscope, Time; needs h5py)"
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def sniff(path: Path) -> bool:
    """Whether ``path`` is an APDM Opal ``.h5`` file (the HDF5 signature)."""
    try:
        with path.open("rb") as handle:
            return handle.read(8) == _HDF5_SIGNATURE
    except OSError:
        return False


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read(path: Path) -> list[VendorStream]:
    """The streams of ``path``: one per Opal sensor in the file.

    In SI units, on the sensor's own axes and the device's own time.
    """
    require_extra("vendors", f"{path.name}: reading an APDM .h5 file")
    import h5py

    streams = []
    with h5py.File(path, "r") as h5:
        if "Sensors" not in h5:
            raise InputError(
                f"{path.name}: an HDF5 file without a /Sensors group: not an APDM Opal recording "
                "(format version 5)"
            )
        for sensor_id, group in h5["Sensors"].items():
            missing = [k for k in ("Accelerometer", "Gyroscope", "Time") if k not in group]
            if missing:
                raise InputError(f"{path.name}: /Sensors/{sensor_id} has no {', '.join(missing)}")
            attrs = group["Configuration"].attrs if "Configuration" in group else {}
            label = _text(attrs["Label 0"]) if "Label 0" in attrs else None
            rate = float(attrs["Sample Rate"]) if "Sample Rate" in attrs else None
            quat = None
            processed = h5.get(f"Processed/{sensor_id}/Orientation")
            if processed is not None:
                quat = np.asarray(processed, dtype=float)
            t_us = np.asarray(group["Time"], dtype=np.int64)
            streams.append(
                VendorStream(
                    source=path,
                    format=NAME,
                    t_s=t_us * 1e-6,
                    clock="epoch",
                    device=str(sensor_id),
                    label=label,
                    rate_hz=rate,
                    acc_m_s2=np.asarray(group["Accelerometer"], dtype=float),
                    gyr_rad_s=np.asarray(group["Gyroscope"], dtype=float),
                    quat_wxyz=quat,
                    notes=("time: Time us since 1970 -> s", "acc m/s^2 and gyro rad/s as stored"),
                )
            )
    if not streams:
        raise InputError(f"{path.name}: /Sensors holds no sensor")
    return streams
