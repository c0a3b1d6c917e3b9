"""Run a batch in worker processes or on a Dask cluster.

Every session of a tree goes through :func:`~sensorlab.batch.worker.analyse_session`,
in local worker processes or on a Dask cluster, behind a progress bar; then record each
analysed session in the catalogue (from this one process) and write the cohort outputs.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from sensorlab.batch.discover import SessionFile, find_sessions
from sensorlab.batch.worker import SessionResult, SessionTask, analyse_session
from sensorlab.errors import InputError
from sensorlab.extras import require_extra


@dataclass(frozen=True)
class BatchRun:
    """The results of a batch, in the tree's path order (not the order they finished)."""

    root: Path
    out_dir: Path
    results: list[SessionResult]

    @property
    def analysed(self) -> list[SessionResult]:
        """The sessions analysed."""
        return [r for r in self.results if r.error is None]

    @property
    def failed(self) -> list[SessionResult]:
        """The sessions skipped, each with its reason."""
        return [r for r in self.results if r.error is not None]


def session_out_dir(out_dir: Path, session: SessionFile) -> Path:
    """Where a session's outputs go.

    Its path under the tree, without the suffix, under
    ``out_dir`` (``p01/day1/walk.csv`` -> ``OUT/p01/day1/walk/``).
    """
    return out_dir / session.relative.with_suffix("")


def default_jobs() -> int:
    """Worker processes by default: the CPUs this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def run_batch(
    root: Path,
    out_dir: Path,
    *,
    jobs: int | None = None,
    dask_address: str | None = None,
    activity: str | None = None,
    progress: bool = True,
) -> BatchRun:
    """Analyse every session under ``root`` into its own folder under ``out_dir``.

    Parameters
    ----------
    root : Path
        The tree of sessions (:func:`~sensorlab.batch.discover.find_sessions`).
    out_dir : Path
        Output folder; each session's outputs go to :func:`session_out_dir`.
    jobs : int, optional
        Worker processes (default :func:`default_jobs`); 1 runs in this process.
        Ignored with ``dask_address``.
    dask_address : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``): the sessions are
        analysed by its workers, which must see ``root`` and ``out_dir`` at the same paths.
    activity : str, optional
        The activity of every session (default: each sidecar's, else detected).
    progress : bool
        Show a progress bar on stderr (when it is a terminal).

    Raises
    ------
    InputError
        ``root`` is not a folder or holds no session, ``jobs`` is below 1, or the Dask
        packages are missing or the scheduler cannot be reached.
    """
    root, out_dir = Path(root), Path(out_dir)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder; give the folder that holds the sessions")
    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs {jobs}: give 1 or more worker processes")
    sessions = find_sessions(root, exclude=out_dir)
    if not sessions:
        raise InputError(
            f"{root}: no sessions found (a session is a recording NAME.csv, with its sidecar "
            "NAME.json beside it); check the folder"
        )
    tasks = [SessionTask(s, session_out_dir(out_dir, s), activity) for s in sessions]
    if dask_address is not None:
        results_iter = _on_dask(tasks, dask_address)
    else:
        results_iter = _on_processes(tasks, jobs or default_jobs())
    from tqdm import tqdm

    by_session = {}
    with tqdm(
        total=len(tasks),
        unit="session",
        desc="analysing",
        disable=not progress or not sys.stderr.isatty(),
    ) as bar:
        for result in results_iter:
            by_session[result.task.session.relative] = result
            bar.update(1)
    return BatchRun(root, out_dir, [by_session[s.relative] for s in sessions])


def _on_processes(tasks: Sequence[SessionTask], jobs: int) -> Iterator[SessionResult]:
    """Results as they finish, from ``jobs`` worker processes (in this process for 1)."""
    if jobs == 1:
        yield from map(analyse_session, tasks)
        return
    # Not fork: forking a process that runs threads (a GUI, asyncio, Dask) can deadlock.
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)), mp_context=mp.get_context(method)
    ) as pool:
        futures = {pool.submit(analyse_session, task): task for task in tasks}
        for future in as_completed(futures):
            yield _result_of(future.result, futures[future])


def _on_dask(tasks: Sequence[SessionTask], address: str) -> Iterator[SessionResult]:
    """Results as they finish, from the workers of the Dask scheduler at ``address``."""
    require_extra("dask", "--dask")
    from distributed import Client
    from distributed import as_completed as dask_completed

    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise InputError(
            f"--dask {address}: cannot reach the Dask scheduler ({error}); start one "
            "(dask scheduler; dask worker ADDRESS) or check the address"
        ) from None
    try:
        futures = client.map(analyse_session, tasks, pure=False)
        task_of = dict(zip((f.key for f in futures), tasks, strict=True))
        for future in dask_completed(futures):
            yield _result_of(future.result, task_of[future.key])
    finally:
        client.close()


def _result_of(get: Callable[[], SessionResult], task: SessionTask) -> SessionResult:
    """A finished task's result.

    A worker that died (killed, out of memory) is that
    session's error, not the batch's end.
    """
    try:
        return get()
    except Exception as error:
        return SessionResult(
            task, error=f"the worker analysing it stopped ({type(error).__name__}: {error})"
        )


def record_batch(run: BatchRun, catalogue: Path) -> None:
    """Record every analysed session of ``run`` in ``catalogue``, one transaction each."""
    from sensorlab.catalogue.store import open_catalogue, record_session

    connection = open_catalogue(catalogue)
    try:
        for result in run.analysed:
            record_session(
                catalogue,
                result.entry(),
                result.task.out_dir,
                result.task.session.path,
                connection=connection,
            )
    finally:
        connection.close()
