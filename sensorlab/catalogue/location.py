"""Where the session catalogue is: given, from the environment, or beside the outputs."""

from __future__ import annotations

import os
from pathlib import Path

from sensorlab.catalogue.store import CATALOGUE_ENV, CATALOGUE_NAME


def catalogue_path(
    out_dir: Path | None, given: str | Path | None = None, *, disabled: bool = False
) -> Path | None:
    """The catalogue file a command records into, or ``None`` when it records nowhere.

    In order: ``None`` when ``disabled`` (``--no-catalogue``); ``given``
    (``--catalogue PATH``); the environment variable ``SENSORLAB_CATALOGUE``;
    :data:`~sensorlab.catalogue.store.CATALOGUE_NAME` in the parent folder of ``out_dir``
    (``--out out/demo`` records into ``out/sensorlab-catalogue.sqlite``, so sessions
    analysed into sibling folders share one catalogue); ``None`` without ``out_dir``.
    """
    if disabled:
        return None
    if given:
        return Path(given)
    from_env = os.environ.get(CATALOGUE_ENV)
    if from_env:
        return Path(from_env)
    if out_dir is None:
        return None
    out_dir = Path(out_dir)
    # "out/demo" -> "out" as given (relative stays relative); "." and ".." need the real parent.
    parent = (
        out_dir.parent if out_dir.name not in ("", "..") else Path(os.path.abspath(out_dir)).parent
    )
    return parent / CATALOGUE_NAME
