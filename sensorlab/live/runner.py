"""Run a session on its own thread, for a GUI that must never wait on it.

The session's asyncio loop (source, analysis, recorder hand-off) runs in a daemon thread.
The GUI thread talks to it in three ways only:

- it reads the session's ring buffers (:attr:`Session.rings`, :attr:`Session.kinematics`)
  and its :attr:`Session.status` snapshot, which are made for reading from another thread;
- it drains :meth:`SessionRunner.events`, a queue the loop thread fills;
- it asks for changes with :meth:`SessionRunner.call`, which runs a function on the loop
  thread (``loop.call_soon_threadsafe``) and returns a future, so the session's own state
  is only ever touched by its own thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from collections.abc import Callable
from typing import Any

from sensorlab.records import SessionAnalysis
from sensorlab.session import Session


class SessionRunner:
    """A :class:`~sensorlab.session.Session` running on a background thread.

    Parameters
    ----------
    make_session : callable
        Builds the session (called on the runner's thread).

    Attributes
    ----------
    session : Session or None
        Once started.
    error : BaseException or None
        What ended the session early (e.g. a source that failed), if anything.
    analysis : SessionAnalysis or None
        The whole session's analysis, once it has ended.
    """

    def __init__(self, make_session: Callable[[], Session]) -> None:
        self._make_session = make_session
        self.session: Session | None = None
        self.error: BaseException | None = None
        self.analysis: SessionAnalysis | None = None
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sensorlab-session", daemon=True)

    def start(self, timeout_s: float = 30.0) -> SessionRunner:
        """Start the thread and wait until the session exists (or failed to start)."""
        self._thread.start()
        self._started.wait(timeout_s)
        if self.error is not None:
            raise self.error
        return self

    @property
    def done(self) -> bool:
        """The session has ended (the source finished, was stopped, or failed)."""
        return self._done.is_set()

    def events(self) -> list:
        """Every event since the last call, oldest first (never waits)."""
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    def call(self, function: Callable[..., Any], *args) -> concurrent.futures.Future:
        """Run ``function(*args)`` on the session's thread; the future holds its result."""
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(function(*args))
                except BaseException as error:  # handed to the caller through the future
                    future.set_exception(error)

        if self._loop is None or self._done.is_set():
            future.set_exception(RuntimeError("the session is not running"))
        else:
            self._loop.call_soon_threadsafe(run)
        return future

    def stop(self, timeout_s: float = 30.0) -> SessionAnalysis | None:
        """Ask the source to end, wait for the analysis to finish; returns it.

        ``timeout_s`` bounds the wait for the source to end (a sensor link that hangs);
        once it has, the whole session's analysis is waited for however long it takes,
        so that a long session's summary is never lost. None if the session failed or
        its source did not end in time.
        """
        if self.session is not None and not self._done.is_set() and self._loop is not None:
            self._loop.call_soon_threadsafe(self.session.source.stop)
        self._done.wait(timeout_s)
        if self.session is not None and self.session.ending:
            self._done.wait()
        return self.analysis

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to the GUI, which stays up
            self.error = error
        finally:
            self._started.set()
            self._done.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.session = self._make_session()
        self._started.set()
        async for event in self.session.events():
            self._events.put(event)
        self.analysis = self.session.analysis
