"""The optional parts of sensorlab (pip extras) and the message when one is not installed.

``pip install sensorlab`` gives analysis, reports, readers, replay and the simulator; the
live window, Bluetooth sensors, virtual Bluetooth sensors, Parquet files and Lab Streaming
Layer outlets each need an extra
(``pyproject.toml``, ``[project.optional-dependencies]``). Modules that need an extra
import its packages at their top; the commands and :func:`sensorlab.sources.base.make_source`
call :func:`require_extra` before importing them, so a missing extra is one message that
says what to install, not an ImportError deep in a traceback.
"""

from __future__ import annotations

import importlib

from sensorlab.errors import InputError

EXTRAS: dict[str, tuple[str, ...]] = {
    "live": ("PySide6", "pyqtgraph"),
    "ble": ("bleak",),
    "virtual": ("bumble", "bleak"),
    "vendors": ("h5py",),
    "parquet": ("pyarrow",),
    "lsl": ("pylsl",),
    "dask": ("distributed",),
}
"""Extra -> the top-level modules it installs that sensorlab imports."""


class MissingExtraError(InputError):
    """A command or source needs an extra that is not installed.

    Parameters
    ----------
    extra : str
        Key of :data:`EXTRAS`.
    needed_for : str
        What needs it, e.g. ``"the live window"``.
    missing : list of str
        The extra's modules that could not be imported.
    """

    def __init__(self, extra: str, needed_for: str, missing: list[str]) -> None:
        super().__init__(
            f"{needed_for} needs the '{extra}' extra ({', '.join(missing)} not installed); "
            f"install it with: pip install 'sensorlab[{extra}]'"
        )
        self.extra = extra
        self.missing = missing


def require_extra(extra: str, needed_for: str) -> None:
    """Check that the modules of ``extra`` import.

    Parameters
    ----------
    extra : str
        Key of :data:`EXTRAS`.
    needed_for : str
        What needs it, for the message (``"the live window"``).

    Raises
    ------
    MissingExtraError
        If one of the extra's modules cannot be imported.
    """
    missing = []
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise MissingExtraError(extra, needed_for, missing)
