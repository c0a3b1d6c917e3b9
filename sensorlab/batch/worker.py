"""Analyse one session of a batch.

Read, analyse, write its outputs, return what the
cohort table and the catalogue need. Runs in a worker process (or a Dask worker), so it
takes and returns only small picklable values, and never raises for a bad file.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from sensorlab.batch.discover import SessionFile
from sensorlab.catalogue.entry import SessionEntry, SessionOrigin, session_entry
from sensorlab.errors import InputError


@dataclass(frozen=True)
class SessionTask:
    """One session to analyse: the file, where its outputs go, and the activity if given."""

    session: SessionFile
    out_dir: Path
    activity: str | None = None


@dataclass(frozen=True)
class SessionResult:
    """What became of one session of a batch.

    Exactly one of ``summary`` (analysed: the ``summary.json`` dict) and ``error`` (the
    reason it was skipped: the message ``analyze`` gives for that file) is set.
    """

    task: SessionTask
    summary: dict | None = None
    origin: SessionOrigin | None = None
    error: str | None = None

    def entry(self) -> SessionEntry:
        """The analysed session's :class:`~sensorlab.catalogue.entry.SessionEntry`.

        Raises
        ------
        ValueError
            The session was not analysed (it has an ``error``).
        """
        if self.summary is None or self.origin is None:
            raise ValueError(f"{self.task.session.relative} was not analysed: {self.error}")
        return session_entry(self.summary, self.origin)


def analyse_session(task: SessionTask) -> SessionResult:
    """Analyse ``task``'s recording into ``task.out_dir``.

    The outputs are those ``analyze`` writes
    them; not recorded in a catalogue: the caller records, from one process).

    A bad file (:class:`~sensorlab.errors.InputError`) gives its message; any other
    exception, a bug, gives its type, message and the innermost sensorlab line, so one
    session can never stop the batch.
    """
    from sensorlab.catalogue.entry import session_origin
    from sensorlab.io.recording import read_recording
    from sensorlab.processing.pipeline import analyze
    from sensorlab.summary.outputs import write_outputs

    try:
        recording = read_recording(task.session.path)
        origin = session_origin(recording.meta, task.session.path)
        analysis = analyze(recording, task.activity)
        outputs = write_outputs(analysis, task.out_dir, meta=recording.meta)
    except InputError as error:
        return SessionResult(task, error=str(error))
    except Exception as error:  # one broken session must not stop hundreds of others
        return SessionResult(task, error=_bug_message(error))
    return SessionResult(task, summary=outputs.summary, origin=origin)


def _bug_message(error: Exception) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    where = next(
        (
            f"{Path(f.filename).name}:{f.lineno}"
            for f in reversed(frames)
            if "sensorlab" in f.filename
        ),
        "?",
    )
    return (
        f"unexpected error in sensorlab ({type(error).__name__}: {error}, at {where}); "
        "please report it with this file"
    )
