"""The session catalogue: an embedded SQLite database of every analysed session.

One row per session in ``sessions`` (who, when, activity, counts, quality, warnings, where
its outputs are) and one row per per-side metric in ``metrics`` (side means, counts and
symmetry index). No raw data. Each session is written in one transaction, so a crash or
a kill mid-write leaves the catalogue as it was before that session, never half of it.
A re-analysis of the same recording (same file hash) updates its row instead of adding
one. The schema version is ``PRAGMA user_version``; :func:`migrate` brings an older
catalogue up to date and refuses a newer one.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sensorlab import __version__
from sensorlab.catalogue.entry import MetricSides, SessionEntry
from sensorlab.errors import InputError

CATALOGUE_NAME = "sensorlab-catalogue.sqlite"
"""Default file name, in the parent of the outputs folder."""

CATALOGUE_ENV = "SENSORLAB_CATALOGUE"
"""Environment variable naming the catalogue file (overridden by ``--catalogue``)."""

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another (a parallel ``analyze``) to finish its write."""


def _schema_v1(connection: sqlite3.Connection) -> None:
    connection.execute(
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            input_sha256 TEXT UNIQUE,
            source TEXT NOT NULL,
            recording TEXT,
            subject TEXT,
            session_date TEXT,
            activity TEXT,
            activity_basis TEXT,
            duration_s REAL,
            left_count INTEGER NOT NULL,
            right_count INTEGER NOT NULL,
            left_out INTEGER NOT NULL,
            min_calibration_quality REAL,
            max_missing_pct REAL,
            findings_withheld TEXT NOT NULL,
            warnings TEXT NOT NULL,
            outputs TEXT NOT NULL,
            analysed_at TEXT NOT NULL,
            sensorlab_version TEXT NOT NULL
        )"""
    )
    connection.execute("CREATE INDEX sessions_subject ON sessions (subject, session_date)")
    connection.execute(
        """CREATE TABLE metrics (
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            metric TEXT NOT NULL,
            left_mean REAL,
            right_mean REAL,
            si_pct REAL,
            left_n INTEGER,
            right_n INTEGER,
            PRIMARY KEY (session_id, metric)
        )"""
    )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_schema_v1,)
"""``MIGRATIONS[k]`` takes a catalogue from schema version ``k`` to ``k + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Bring the catalogue at ``path`` to :data:`SCHEMA_VERSION`, all steps in one transaction.

    Raises
    ------
    InputError
        The catalogue was made by a newer sensorlab (a higher ``user_version``).
    """
    if _schema_version(connection, path) == SCHEMA_VERSION:
        return
    with transaction(connection):
        # Read again under the write lock: another process may have migrated meanwhile.
        version = _schema_version(connection, path)
        for step in MIGRATIONS[version:]:
            step(connection)
        # PRAGMA takes no parameters; the value is our own integer.
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _schema_version(connection: sqlite3.Connection, path: Path) -> int:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{path}: catalogue schema version {version} is newer than this sensorlab's "
            f"({SCHEMA_VERSION}); update sensorlab, or give another --catalogue"
        )
    return version


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``).

    Any exception rolls it
    back and is raised again. The connection must be in autocommit mode
    (``isolation_level=None``, as :func:`open_catalogue` opens it), so that schema changes
    are inside the transaction too.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def open_catalogue(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open (and with ``create``, make on first use) the catalogue at ``path``, migrated.

    Raises
    ------
    InputError
        The file is missing (``create=False``), is not an SQLite database, cannot be
        created, or is from a newer sensorlab; the message names the file and the fix.
    """
    path = Path(path)
    if not create and not path.is_file():
        raise InputError(
            f"{path}: no catalogue there; analyse sessions first (analyze, batch, replay "
            f"record into one), or give its place with --catalogue PATH or {CATALOGUE_ENV}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit (isolation_level=None): transactions are explicit, see transaction().
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise InputError(
            f"{path}: cannot open the catalogue ({error}); check the folder exists and is "
            "writable, or give another with --catalogue PATH (or --no-catalogue)"
        ) from None
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        migrate(connection, path)
    except sqlite3.DatabaseError as error:
        connection.close()
        raise InputError(
            f"{path}: not a sensorlab catalogue ({error}); give another --catalogue PATH"
        ) from None
    except InputError:
        connection.close()
        raise
    return connection


def _relative(path: Path, base: Path) -> str:
    """``path`` relative to the folder ``base`` when possible (else absolute), POSIX style."""
    try:
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(base))).as_posix()
    except ValueError:  # another drive on Windows
        return Path(os.path.abspath(path)).as_posix()


def record_session(
    catalogue: Path,
    entry: SessionEntry,
    outputs: Path,
    recording: Path | None = None,
    *,
    connection: sqlite3.Connection | None = None,
) -> int:
    """Record one analysed session; return its row id.

    A session whose recording has the same hash as a recorded one replaces it (its metrics
    too); the row keeps its id. Everything is written in one transaction.

    Parameters
    ----------
    catalogue : Path
        The catalogue file (created on first use).
    entry : SessionEntry
        The session, from :func:`~sensorlab.catalogue.entry.session_entry`.
    outputs : Path
        Its outputs folder; stored relative to the catalogue's folder.
    recording : Path, optional
        The recording analysed; stored relative to the catalogue's folder.
    connection : sqlite3.Connection, optional
        An open catalogue (from :func:`open_catalogue`) to reuse; closed by the caller.

    Raises
    ------
    InputError
        The catalogue cannot be opened or written (locked for longer than
        :data:`BUSY_TIMEOUT_S`, a full disk...): the message names it.
    """
    catalogue = Path(catalogue)
    own = connection is None
    if connection is None:
        connection = open_catalogue(catalogue)
    base = catalogue.parent
    row = {
        "input_sha256": entry.input_sha256,
        "source": entry.source,
        "recording": _relative(recording, base) if recording is not None else None,
        "subject": entry.subject,
        "session_date": entry.date,
        "activity": entry.activity,
        "activity_basis": entry.activity_basis,
        "duration_s": entry.duration_s,
        "left_count": entry.left_count,
        "right_count": entry.right_count,
        "left_out": entry.left_out,
        "min_calibration_quality": entry.min_calibration_quality,
        "max_missing_pct": entry.max_missing_pct,
        "findings_withheld": json.dumps(list(entry.findings_withheld)),
        "warnings": json.dumps(list(entry.warnings), ensure_ascii=False),
        "outputs": _relative(outputs, base),
        "analysed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sensorlab_version": __version__,
    }
    try:
        with transaction(connection):
            session_id = _upsert_session(connection, row)
            connection.execute("DELETE FROM metrics WHERE session_id = ?", (session_id,))
            connection.executemany(
                "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (session_id, key, m.left, m.right, m.si_pct, m.left_n, m.right_n)
                    for key, m in entry.metrics.items()
                ],
            )
    except sqlite3.Error as error:
        raise InputError(
            f"{catalogue}: cannot record the session in the catalogue ({error}); its outputs "
            f"are written in {outputs}. Free the catalogue (another sensorlab writing?) or "
            "give another with --catalogue PATH, or --no-catalogue"
        ) from None
    finally:
        if own:
            connection.close()
    return session_id


def _upsert_session(connection: sqlite3.Connection, row: dict) -> int:
    """Insert ``row`` into ``sessions``, or update the row with the same input hash."""
    existing = None
    if row["input_sha256"] is not None:
        existing = connection.execute(
            "SELECT id FROM sessions WHERE input_sha256 = ?", (row["input_sha256"],)
        ).fetchone()
    columns = list(row)
    if existing is None:
        cursor = connection.execute(
            f"INSERT INTO sessions ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [row[c] for c in columns],
        )
        assert cursor.lastrowid is not None  # set by every INSERT
        return cursor.lastrowid
    connection.execute(
        f"UPDATE sessions SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
        [*(row[c] for c in columns), existing[0]],
    )
    return int(existing[0])


@dataclass(frozen=True)
class CatalogueSession:
    """A recorded session read back: its :class:`SessionEntry` and where its files are.

    ``outputs`` and ``recording`` are as stored: relative to the catalogue's folder when
    they could be. ``analysed_at`` is ISO 8601 UTC.
    """

    id: int
    entry: SessionEntry
    outputs: str
    recording: str | None
    analysed_at: str


def subject_sessions(connection: sqlite3.Connection, subject: str) -> list[CatalogueSession]:
    """Every recorded session of ``subject``, oldest first.

    Ordered by session date, else by
    when it was analysed).
    """
    rows = connection.execute(
        "SELECT id, source, subject, session_date, activity, activity_basis, duration_s, "
        "left_count, right_count, left_out, min_calibration_quality, max_missing_pct, "
        "findings_withheld, warnings, input_sha256, outputs, recording, analysed_at "
        "FROM sessions WHERE subject = ? "
        "ORDER BY COALESCE(session_date, analysed_at), id",
        (subject,),
    ).fetchall()
    sessions = []
    for row in rows:
        metrics = {
            metric: MetricSides(*values)
            for metric, *values in connection.execute(
                "SELECT metric, left_mean, right_mean, si_pct, left_n, right_n FROM metrics "
                "WHERE session_id = ?",
                (row[0],),
            )
        }
        entry = SessionEntry(
            source=row[1],
            subject=row[2],
            date=row[3],
            activity=row[4],
            activity_basis=row[5],
            duration_s=row[6],
            left_count=row[7],
            right_count=row[8],
            left_out=row[9],
            metrics=metrics,
            min_calibration_quality=row[10],
            max_missing_pct=row[11],
            findings_withheld=tuple(json.loads(row[12])),
            warnings=tuple(json.loads(row[13])),
            input_sha256=row[14],
        )
        sessions.append(CatalogueSession(row[0], entry, row[15], row[16], row[17]))
    return sessions


def known_subjects(connection: sqlite3.Connection) -> list[tuple[str, int]]:
    """``(subject, number of sessions)`` of every subject in the catalogue, by name."""
    return [
        (subject, count)
        for subject, count in connection.execute(
            "SELECT subject, COUNT(*) FROM sessions WHERE subject IS NOT NULL "
            "GROUP BY subject ORDER BY subject"
        )
    ]
