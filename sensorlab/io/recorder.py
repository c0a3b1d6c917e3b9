"""Stream samples to a recording CSV while a session runs (see :class:`Recorder`).

The batch writer (:func:`sensorlab.io.writer.write_recording`) writes a finished recording
through a temporary file; a live session needs the opposite: rows appended as they come, so
that a crash, a kill or a flat battery loses at most the last second. :class:`Recorder` is
that consumer. The acquisition side calls :meth:`Recorder.write` with
:class:`~sensorlab.records.ImuChunk` blocks (cheap: it only queues them); a background
thread formats them with the batch writer's own :class:`~sensorlab.io.writer.RowFormat`
(same columns, decimals and units), appends them and fsyncs.

Crash safety
------------
- Rows reach the file only through ``os.write`` on an unbuffered descriptor, each call with
  whole lines, so no user-space buffer can hold half a row: after a kill -9 the file holds
  every row of every completed call (the kernel keeps them), and a call cut short by the
  kill leaves at most one partial last line. The last column (``device_t``, see Columns, or
  ``gyr_z`` without optional columns) has fixed decimals or is empty, so
  :func:`~sensorlab.io.recording.read_recording` recognises that line and drops it with a
  warning.
- Every row handed to :meth:`Recorder.write` leaves the reorder window within
  ``reorder_window_s`` of wall time, and every ``flush_interval_s`` the thread writes what
  has left it and fsyncs; so a row given to ``write`` more than
  ``reorder_window_s + flush_interval_s`` (1.0 s with the defaults) before a kill is in the
  file, and, once fsynced, survives a power loss too.
- The CSV is appended in place, never written to a temporary file and renamed (which would
  lose the whole session on a crash); only the small sidecar, complete at
  :meth:`Recorder.start`, is written atomically.

Row order
---------
The contract only asks for t non-decreasing per sensor. The recorder keeps each sensor's
rows in the order they were given and, across sensors, writes in time order as far as a
reorder window allows: rows wait until a sample ``reorder_window_s`` (0.5 s by default)
later has arrived from any sensor, or until they have waited that long on the wall clock,
and each batch is merged by time. A sensor whose samples arrive more than the window late
has its rows written after later rows of the other sensors (counted in
:attr:`Recorder.rows_out_of_order_`); its own order is never changed.

Columns
-------
The header is written by :meth:`Recorder.start`, before any sample arrives, so the columns
cannot depend on the chunks; they are fixed by :class:`RecorderSettings`: the required
ones, then ``optional_columns``, by default ``seq`` and ``device_t`` (the batch writer's
order). Chunks that do not carry one of them get empty cells there, which the reader reads
as absent (``ImuChunk.seq`` / ``device_t_s`` ``None``) without a warning; so a recording
of devices without a counter or clock reads back like one written without those columns.
``device_t`` is always the last column when there are optional columns (added if not asked
for), for the crash safety above. A chunk that carries a column the header does not have
is written without it, and its rows are counted in :attr:`Recorder.columns_dropped_`.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import datetime
import errno
import os
import queue
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from sensorlab.errors import InputError
from sensorlab.io.blocks import slice_chunk
from sensorlab.io.recording import REQUIRED_COLUMNS
from sensorlab.io.writer import RowFormat, sidecar_text, write_atomically
from sensorlab.records import ImuChunk, Marker, SessionMeta

MAX_FLUSH_INTERVAL_S = 1.0
"""The longest allowed ``flush_interval_s``, s: the recorder fsyncs at least once a second."""

_HINTS: dict[int | None, str] = {
    errno.ENOSPC: "the disk is full; free some space",
    errno.EDQUOT: "the disk quota is used up; free some space",
    errno.EFBIG: "the file reached the largest size allowed (ulimit -f or the file system)",
    errno.EACCES: "check that you may write there",
    errno.EPERM: "check that you may write there",
    errno.EROFS: "the file system is read-only; record to another folder",
    errno.EIO: "the disk reported an input/output error; check it",
    errno.ENOTDIR: "a part of the path is a file, not a folder; fix the path",
    errno.EEXIST: "a part of the path is a file, not a folder; fix the path",
    errno.EISDIR: "the path is a folder; give a file name ending in .csv",
}


@dataclasses.dataclass(frozen=True)
class RecorderSettings:
    """How a :class:`Recorder` writes.

    Attributes
    ----------
    flush_interval_s : float
        Seconds between writes-and-fsyncs of what has been released, 0 < value <= 1.
    reorder_window_s : float
        Seconds (of sample time, and at most as long on the wall clock) that rows wait so
        that rows of other sensors arriving a little later can be merged in time order;
        0 writes in arrival order.
    optional_columns : tuple of str
        Columns written after the required ones, fixed when the header is written:
        ``"seq"``, ``"device_t"`` (from the ImuChunk fields) and any ``ImuChunk.extra``
        names such as ``"mag_x"``; ``device_t`` comes last (see :meth:`row_format`).
    overwrite : bool
        Replace an existing ``NAME.csv`` / ``NAME.json``; by default the recorder refuses,
        so a new session never clobbers an old one.
    """

    flush_interval_s: float = 0.5
    reorder_window_s: float = 0.5
    optional_columns: tuple[str, ...] = ("seq", "device_t")
    overwrite: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.flush_interval_s <= MAX_FLUSH_INTERVAL_S:
            raise ValueError(
                f"flush_interval_s must be above 0 and at most {MAX_FLUSH_INTERVAL_S} s (the "
                f"recorder fsyncs at least once a second), not {self.flush_interval_s!r}"
            )
        if not self.reorder_window_s >= 0:
            raise ValueError(f"reorder_window_s must be >= 0 s, not {self.reorder_window_s!r}")
        columns = tuple(self.optional_columns)
        for name in columns:
            if not isinstance(name, str) or not name or any(c in name for c in ',"\r\n'):
                raise ValueError(
                    f"optional_columns: {name!r} is not a usable column name (text without "
                    "commas, quotes or line ends)"
                )
            if name in REQUIRED_COLUMNS:
                raise ValueError(
                    f"optional_columns: {name!r} is a required column and always written"
                )
        if len(set(columns)) != len(columns):
            raise ValueError(f"optional_columns has a name twice: {columns!r}")
        object.__setattr__(self, "optional_columns", columns)

    def row_format(self) -> RowFormat:
        """The row format these settings give.

        ``optional_columns`` in their order, with ``device_t`` moved to the end, and added
        when any optional column is asked for: its fixed decimals (or its empty cell) are how
        a reader recognises a last row cut off by a crash. A cut inside a last column of
        integers or exact floats (``seq``, ``mag_x``) would look like a shorter valid value.
        """
        names = [c for c in self.optional_columns if c != "device_t"]
        if names or "device_t" in self.optional_columns:
            names.append("device_t")
        return RowFormat(tuple(names))


class _Pending:
    """One sensor's rows that wait in the reorder window."""

    def __init__(self) -> None:
        self.chunks: list[ImuChunk] = []
        self.keys: list[np.ndarray] = []  # running max of t (NaN ignored), s
        self.arrivals: list[float] = []  # time.monotonic() when handed to write(), s
        self.last_key = -np.inf

    def add(self, chunk: ImuChunk, arrival: float) -> None:
        keys = np.fmax.accumulate(np.concatenate(([self.last_key], chunk.t_s)))[1:]
        self.last_key = float(keys[-1])
        self.chunks.append(chunk)
        self.keys.append(keys)
        self.arrivals.append(arrival)

    def release(self, watermark: float, arrived_by: float) -> tuple[list[ImuChunk], list]:
        """Take the leading rows with a key <= ``watermark`` or that arrived by ``arrived_by``."""
        out_chunks, out_keys = [], []
        while self.chunks:
            chunk, keys = self.chunks[0], self.keys[0]
            n = len(chunk)
            if self.arrivals[0] > arrived_by:
                n = int(np.searchsorted(keys, watermark, side="right"))
            if n == 0:
                break
            if n < len(chunk):
                out_chunks.append(slice_chunk(chunk, 0, n))
                out_keys.append(keys[:n])
                self.chunks[0] = slice_chunk(chunk, n, len(chunk))
                self.keys[0] = keys[n:]
                break
            out_chunks.append(chunk)
            out_keys.append(keys)
            del self.chunks[0], self.keys[0], self.arrivals[0]
        return out_chunks, out_keys

    def __len__(self) -> int:
        return sum(len(c) for c in self.chunks)


class Recorder:
    """Stream :class:`~sensorlab.records.ImuChunk` blocks to a contract CSV plus sidecar.

    Call :meth:`start`, then :meth:`write` from any thread as samples arrive, then
    :meth:`stop` (or use it as a context manager). See the module docstring for the
    crash-safety guarantee, the row order and the columns.

    Parameters
    ----------
    csv_path : path-like
        The recording ``NAME.csv``; the sidecar goes to ``NAME.json`` next to it. Missing
        folders are created.
    meta : SessionMeta
        Becomes the sidecar; ``started_at`` is set to the local time of :meth:`start`
        (ISO 8601 with UTC offset) when it is ``None``.
    settings : RecorderSettings, optional
        Flush interval, reorder window, optional columns, overwrite.

    Attributes
    ----------
    path, sidecar_path : Path
        The CSV and the sidecar.
    meta : SessionMeta
        The sidecar as written (with ``started_at`` filled in once started).
    row_format : RowFormat
        The columns written.
    rows_written_ : int
        Data rows handed to the operating system (in the file even if the process is
        killed; durable on disk after the next fsync).
    bytes_written_ : int
        Bytes in the CSV, header included.
    last_fsync_t_ : float or None
        ``time.monotonic()`` (s) when the last fsync of the CSV completed. The thread fsyncs
        every ``flush_interval_s``, also when nothing new came, so this doubles as a sign
        of life: everything in :attr:`rows_written_` until then is on the disk.
    error_ : Exception or None
        The error that stopped the writing (an :class:`~sensorlab.errors.InputError`
        naming the path for a disk error), or ``None``. After an error nothing more is
        written; :meth:`stop` raises it.
    rows_dropped_ : int
        Rows given to :meth:`write` that were not written: after an error, or after
        :meth:`stop`.
    rows_out_of_order_ : int
        Rows written after a later row of another sensor (their sensor was more than the
        reorder window late).
    columns_dropped_ : dict of str to int
        Per column the header does not have: how many rows carried it (written without it).
    """

    def __init__(
        self,
        csv_path: str | os.PathLike,
        meta: SessionMeta,
        settings: RecorderSettings | None = None,
    ) -> None:
        self.path = Path(csv_path)
        self.sidecar_path = self.path.with_suffix(".json")
        self.meta = meta
        self.settings = settings if settings is not None else RecorderSettings()
        self.row_format = self.settings.row_format()
        self.rows_written_ = 0
        self.bytes_written_ = 0
        self.last_fsync_t_: float | None = None
        self.error_: Exception | None = None
        self.rows_dropped_ = 0
        self.rows_out_of_order_ = 0
        self.columns_dropped_: dict[str, int] = {}
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._state = "new"  # new -> running -> (failed) -> stopped
        self._thread: threading.Thread | None = None
        self._fd: int | None = None
        self._written_key = -np.inf  # largest time key written so far, s

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Recorder:
        """Create the CSV with its header and the sidecar, and start the writing thread.

        Returns
        -------
        Recorder
            ``self``.

        Raises
        ------
        InputError
            When the files cannot be created (naming the path and the reason), or already
            exist and ``settings.overwrite`` is off.
        RuntimeError
            When called twice.
        """
        with self._lock:
            if self._state != "new":
                raise RuntimeError(f"{self.path}: the recorder was already started")
            self._state = "starting"
        try:
            self._open_files()
        except BaseException:
            self._state = "stopped"
            raise
        with self._lock:
            if self._state != "starting":  # stop() was called meanwhile from another thread
                os.close(self._csv_fd)
                self._fd = None
                return self
            self._thread = threading.Thread(
                target=self._run, name="sensorlab-recorder", daemon=True
            )
            self._state = "running"
        self._thread.start()
        atexit.register(self._stop_at_exit)
        return self

    def add_marker(self, marker: Marker) -> None:
        """Add a marked moment to the sidecar's ``events`` (rewritten atomically, now).

        Raises
        ------
        InputError
            When the sidecar cannot be written (the CSV goes on regardless).
        """
        with self._lock:
            markers = tuple(sorted((*self.meta.markers, marker), key=lambda m: m.t_s))
            self.meta = dataclasses.replace(self.meta, markers=markers)
            sidecar = sidecar_text(self.meta)
        try:
            write_atomically(self.sidecar_path, lambda handle: handle.write(sidecar))
        except OSError as exc:
            raise InputError(
                self._message(exc, "cannot add the mark to the sidecar", self.sidecar_path)
            ) from exc

    def stop(self) -> None:
        """Write what is queued, fsync, close the file and end the thread.

        Safe to call more than once, and from any thread; :meth:`write` calls that come
        later are ignored (counted in :attr:`rows_dropped_`).

        Raises
        ------
        InputError
            When writing failed at some point (:attr:`error_`), naming the path, the reason
            and how much was saved.
        """
        with self._lock:
            if self._state in ("new", "starting"):
                self._state = "stopped"
                return
            if self._state != "stopped":
                self._state = "stopping"
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        atexit.unregister(self._stop_at_exit)
        self._drop_queued()
        if self.error_ is not None:
            raise self.error_

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self.stop()
            return
        try:
            self.stop()
        except Exception as error:  # keep the caller's own exception, mention ours
            exc.add_note(f"and the recorder failed too: {error}")

    def _stop_at_exit(self) -> None:
        with contextlib.suppress(Exception):  # the error is in error_; nothing more to do
            self.stop()

    # ------------------------------------------------------------------ caller side

    def write(self, chunks: ImuChunk | Iterable[ImuChunk]) -> None:
        """Queue samples for writing; returns at once (the thread formats and writes them).

        Thread-safe. The recorder keeps references to the arrays: do not change them
        afterwards. The queue has no bound (the thread keeps up with a 3 x 200 Hz stream
        using well under 1 % of a core). Never raises for disk problems (see
        :attr:`error_`); after an error, a failed :meth:`start` or :meth:`stop`, samples are
        dropped and counted in :attr:`rows_dropped_`.

        Parameters
        ----------
        chunks : ImuChunk or iterable of ImuChunk
            Samples of one or more sensors (t in s, acc in m/s^2, gyro in rad/s), each
            sensor's in time order from one call to the next.

        Raises
        ------
        TypeError, ValueError
            For something that is not a well-formed ImuChunk (a bug in the caller).
        RuntimeError
            Before :meth:`start`.
        """
        items = [chunks] if isinstance(chunks, ImuChunk) else list(chunks)
        for chunk in items:
            _check_chunk(chunk)
        items = [c for c in items if len(c)]
        arrival = time.monotonic()
        with self._lock:
            if self._state == "running":
                self._queue.put((arrival, items))
                return
            if self._state in ("new", "starting"):
                raise RuntimeError(f"{self.path}: call start() before write()")
            self.rows_dropped_ += sum(len(c) for c in items)

    # ------------------------------------------------------------------ files

    def _open_files(self) -> None:
        path = self.path
        overwrite = self.settings.overwrite
        if not overwrite:
            for existing in (path, self.sidecar_path):
                if existing.exists():
                    raise InputError(
                        f"{existing}: already exists; the recorder does not overwrite a "
                        "recording: choose another name, or pass "
                        "RecorderSettings(overwrite=True)"
                    )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
            self._fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise InputError(self._message(exc, "cannot create the recording")) from exc
        made_sidecar = False
        try:
            if self.meta.started_at is None:
                now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
                self.meta = dataclasses.replace(self.meta, started_at=now)
            sidecar = sidecar_text(self.meta)
            try:
                write_atomically(self.sidecar_path, lambda handle: handle.write(sidecar))
                made_sidecar = True
            except OSError as exc:
                raise InputError(
                    self._message(exc, "cannot write the sidecar", self.sidecar_path)
                ) from exc
            try:
                self._append(self.row_format.header_line().encode("utf-8"))
                self._fsync()
                _fsync_folder(path.parent)
            except OSError as exc:
                raise InputError(self._message(exc, "cannot write the header")) from exc
        except BaseException:  # leave no half-made recording behind
            os.close(self._csv_fd)
            self._fd = None
            path.unlink(missing_ok=True)
            if made_sidecar:
                self.sidecar_path.unlink(missing_ok=True)
            raise

    @property
    def _csv_fd(self) -> int:
        """The open CSV's file descriptor (between opening the files and closing them)."""
        if self._fd is None:
            raise RuntimeError(f"{self.path}: the recording is not open")
        return self._fd

    def _append(self, data: bytes) -> None:
        """Write all of ``data`` at the end of the CSV (whole lines, no user-space buffer)."""
        view = memoryview(data)
        while view:
            n = os.write(self._csv_fd, view)
            if n <= 0:
                raise OSError(errno.EIO, "the operating system accepted no bytes")
            self.bytes_written_ += n
            view = view[n:]

    def _fsync(self) -> None:
        os.fsync(self._csv_fd)
        self.last_fsync_t_ = time.monotonic()

    def _message(self, exc: OSError, what: str, path: Path | None = None) -> str:
        """``PATH: what: reason (ERRNO) [at the part of the path that failed]; hint``."""
        path = self.path if path is None else path
        reason = exc.strerror or str(exc)
        code = errno.errorcode.get(exc.errno, "") if exc.errno else ""
        where = ""
        if exc.filename and Path(os.fsdecode(exc.filename)) != path:
            where = f" at {os.fsdecode(exc.filename)}"
        hint = _HINTS.get(exc.errno, "check the path and the disk")
        return f"{path}: {what}: {reason}{f' ({code})' if code else ''}{where}; {hint}"

    # ------------------------------------------------------------------ writing thread

    def _run(self) -> None:
        interval = self.settings.flush_interval_s
        pending: dict[str, _Pending] = {}
        next_tick = time.monotonic() + interval
        try:
            while True:
                stopping = self._stopping.wait(max(0.0, next_tick - time.monotonic()))
                self._ingest(pending)
                now = time.monotonic()
                self._write_released(pending, now, final=stopping)
                self._fsync()  # every tick, also with nothing new: last_fsync_t_ is a heartbeat
                if stopping:
                    break
                next_tick = max(next_tick + interval, now)
        except Exception as exc:  # never let the thread die silently
            self._fail(exc, pending)
        finally:
            self._close()

    def _ingest(self, pending: dict[str, _Pending]) -> None:
        """Move everything queued into the per-sensor reorder buffers."""
        written = set(self.row_format.optional)
        while True:
            try:
                arrival, chunks = self._queue.get_nowait()
            except queue.Empty:
                return
            for chunk in chunks:
                pending.setdefault(chunk.placement, _Pending()).add(chunk, arrival)
                carried = [name for name in chunk.extra if name not in written]
                carried += ["seq"] * (chunk.seq is not None and "seq" not in written)
                carried += ["device_t"] * (
                    chunk.device_t_s is not None and "device_t" not in written
                )
                for name in carried:
                    self.columns_dropped_[name] = self.columns_dropped_.get(name, 0) + len(chunk)

    def _write_released(self, pending: dict[str, _Pending], now: float, final: bool) -> None:
        """Format and append the rows the reorder window lets go."""
        if final:
            watermark, arrived_by = np.inf, np.inf
        else:
            window = self.settings.reorder_window_s
            newest = max((p.last_key for p in pending.values()), default=-np.inf)
            watermark, arrived_by = newest - window, now - window
        chunks, keys = [], []
        for sensor in pending.values():
            released, released_keys = sensor.release(watermark, arrived_by)
            chunks += released
            keys += released_keys
        if not chunks:
            return
        all_keys = np.concatenate(keys)
        order = np.argsort(all_keys, kind="stable")
        sorted_keys = all_keys[order]
        data = "".join(self.row_format.lines(chunks, order)).encode("utf-8")
        start = self.bytes_written_
        try:
            self._append(data)
        except OSError:
            self._keep_complete_rows(chunks, order, sorted_keys, start)
            raise
        self._count_written(sorted_keys)

    def _keep_complete_rows(
        self, chunks: list[ImuChunk], order: np.ndarray, sorted_keys: np.ndarray, start: int
    ) -> None:
        """After a failed append: count the whole rows that reached the file, cut a partial one.

        Called when a short write followed by an error left ``bytes_written_ - start`` bytes
        of the batch in the file; they end in a cut-off row unless the cut fell on a line end.
        """
        done = self.bytes_written_ - start
        rows, kept = 0, 0
        for line in self.row_format.lines(chunks, order, step=1):
            size = len(line.encode("utf-8"))
            if kept + size > done:
                break
            kept += size
            rows += 1
        self._count_written(sorted_keys[:rows])
        with self._lock:
            self.rows_dropped_ += int(order.size) - rows
        if kept != done:
            try:
                os.ftruncate(self._csv_fd, start + kept)
                self.bytes_written_ = start + kept
            except OSError:  # the reader drops a cut-off last line anyway
                pass

    def _count_written(self, keys: np.ndarray) -> None:
        """Account for rows appended, given their time keys (s) in file order."""
        if not keys.size:
            return
        self.rows_written_ += int(keys.size)
        self.rows_out_of_order_ += int(np.sum(keys < self._written_key))
        self._written_key = max(self._written_key, float(np.max(keys)))

    def _fail(self, exc: Exception, pending: dict[str, _Pending]) -> None:
        """Record the error (naming the path and what was saved) and drop what is left."""
        if isinstance(exc, OSError):
            upto = f" (up to t = {self._written_key:.3f} s)" if self.rows_written_ else ""
            error: Exception = InputError(
                self._message(exc, "writing the recording failed")
                + f"; the file keeps the {self.rows_written_} rows written before{upto}, later "
                "samples are lost; record again once this is fixed"
            )
        else:
            error = RuntimeError(f"{self.path}: the recorder's writing thread failed: {exc!r}")
        error.__cause__ = exc
        with self._lock:
            self.error_ = error
            self._state = "failed"
            self.rows_dropped_ += sum(len(p) for p in pending.values())
        pending.clear()
        self._drop_queued()

    def _close(self) -> None:
        with self._lock:
            self._state = "stopped"
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _drop_queued(self) -> None:
        while True:
            try:
                _, chunks = self._queue.get_nowait()
            except queue.Empty:
                return
            with self._lock:
                self.rows_dropped_ += sum(len(c) for c in chunks)


def _check_chunk(chunk: ImuChunk) -> None:
    """Raise TypeError/ValueError unless ``chunk`` is an ImuChunk with consistent shapes."""
    if not isinstance(chunk, ImuChunk):
        raise TypeError(f"write() takes ImuChunk objects, not {type(chunk).__name__}")
    n = np.shape(chunk.t_s)
    if len(n) != 1:
        raise ValueError(f"{chunk.placement}: t_s must be 1-D, not of shape {n}")
    for name in ("acc_m_s2", "gyr_rad_s"):
        if np.shape(getattr(chunk, name)) != (n[0], 3):
            raise ValueError(
                f"{chunk.placement}: {name} has shape {np.shape(getattr(chunk, name))}, "
                f"expected ({n[0]}, 3) like t_s"
            )
    per_sample = {"seq": chunk.seq, "device_t_s": chunk.device_t_s, **chunk.extra}
    for name, values in per_sample.items():
        if values is not None and len(values) != n[0]:
            raise ValueError(f"{chunk.placement}: {name} has {len(values)} values, t_s {n[0]}")


def _fsync_folder(folder: Path) -> None:
    """Make a new file's directory entry durable (best effort: not every system can)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
