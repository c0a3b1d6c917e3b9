"""Find the sessions in a folder tree.

Each session format has a *finder*: a function that takes one file and says whether it
starts a session of that format (returning the :class:`SessionFile`) or not (``None``).
:data:`SESSION_FINDERS` lists them; a new reader (a vendor export, Parquet) adds its finder
there and :func:`find_sessions` picks its files up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SessionFile:
    """One session found in the tree.

    Attributes
    ----------
    path : Path
        The file a reader opens (for the contract format, the CSV; its sidecar is found
        beside it).
    relative : Path
        ``path`` relative to the tree's root: the session's name in the cohort table,
        and where its outputs go under the output folder.
    format : str
        Which finder found it (``"contract-csv"``).
    """

    path: Path
    relative: Path
    format: str


SessionFinder = Callable[[Path, Path], SessionFile | None]
"""``finder(path, root)``: the session that ``path`` (a file under ``root``) is, or None."""


def contract_csv(path: Path, root: Path) -> SessionFile | None:
    """A contract recording: ``NAME.csv`` (its sidecar ``NAME.json`` is optional).

    Every ``.csv`` counts, so that a CSV that is not a recording is listed with the
    reader's reason instead of being passed over silently; sensorlab's own outputs
    (``reps.csv``, ``cohort.csv``) are never inside the input tree unless put there.
    """
    if path.suffix.lower() != ".csv":
        return None
    return SessionFile(path, path.relative_to(root), "contract-csv")


SESSION_FINDERS: list[SessionFinder] = [contract_csv]
"""Finders tried in order on every file; the first that claims a file wins."""


def find_sessions(root: Path, exclude: Path | None = None) -> list[SessionFile]:
    """Every session under ``root``, in path order.

    Hidden files and folders (name starting with ``.``) are skipped, and so is
    ``exclude`` (the output folder, when it is inside the tree).
    """
    root = Path(root)
    excluded = exclude.resolve() if exclude is not None else None
    sessions = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if excluded is not None and (
            path.resolve() == excluded or excluded in path.resolve().parents
        ):
            continue
        if not path.is_file():
            continue
        for finder in SESSION_FINDERS:
            session = finder(path, root)
            if session is not None:
                sessions.append(session)
                break
    return sessions
