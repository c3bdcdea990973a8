"""Snakemake's SIGTERM handler without its deadlock, so that a campaign stopped by SIGTERM (SLURM's time limit, `kill`) exits.

Snakemake (9.x) answers SIGTERM with ``JobScheduler.exit_gracefully``, which takes the scheduler's ``threading.Lock``.
A signal handler runs in the main thread, and the main thread holds that lock whenever it books a finished job or
selects the next ones, so a SIGTERM in that moment waits forever for a lock its own thread holds: the workflow hangs,
and a second SIGTERM cannot reach it. The handler here sets the same flag without the lock; the flag is one attribute
assignment (atomic under the GIL), and the scheduler reads it on the pass that the released semaphore wakes.
"""

from __future__ import annotations

from snakemake.scheduling.job_scheduler import JobScheduler

#: the names Snakemake's own handler uses: where a Snakemake version differs, its handler is left as it is
_SNAKEMAKE_HANDLER_NAMES = {"_lock", "_user_kill", "_open_jobs", "release"}


def _exit_gracefully(scheduler: JobScheduler, *_signal) -> None:
    """Finish the running jobs, start no new one, then exit: Snakemake's SIGTERM behaviour, minus the lock."""
    scheduler._user_kill = "graceful"
    scheduler._open_jobs.release()


def install() -> bool:
    """Replace Snakemake's SIGTERM handler where it is the known one; True when installed."""
    handler = JobScheduler.exit_gracefully
    if handler is _exit_gracefully:
        return True
    if set(handler.__code__.co_names) != _SNAKEMAKE_HANDLER_NAMES:
        return False
    JobScheduler.exit_gracefully = _exit_gracefully
    return True
