"""Share a loop over chunks of work among a few threads (used by :func:`helpers.conv2d`).

NumPy lets go of the GIL while it copies arrays and multiplies matrices, so threads that each take the
next chunk from one shared iterator keep several cores busy. Meanwhile numpy's BLAS is held to one
thread per call (through ``threadpoolctl``): otherwise every thread's matrix product would start BLAS
threads of its own, more threads than cores, which is slower than one thread alone.

How many threads: the environment variable ``HELPERS_NUM_THREADS`` if it is set (``1`` turns this off),
otherwise the number of cores this process may use, at most 4. Work stays on the calling thread when
``threadpoolctl`` is not installed or does not find numpy's BLAS, when only one core is free, and
while another call is already sharing its work (a second thread of the student's own, say).

The helper threads are started on first use and then wait, without using the CPU, for the next call.
A call costs tens of microseconds of hand-over, so :func:`helpers.conv2d` shares only large work.
"""

from __future__ import annotations

import os
import queue
import threading
import time

MAX_THREADS = 4
ENV_VAR = "HELPERS_NUM_THREADS"

_cores = None              # cores this process may use, read once
_blas = None               # threadpoolctl's controllers of numpy's BLAS libraries; False when there are none
_helpers: list = []        # one queue per helper thread, each thread waiting on its own
_busy = threading.Lock()   # one shared call at a time: the BLAS limit is process-wide


def num_threads() -> int:
    """The number of threads :func:`share` uses (``HELPERS_NUM_THREADS``, or the free cores, at most 4)."""
    global _cores
    text = os.environ.get(ENV_VAR, "").strip()
    if text:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise ValueError(f"the environment variable {ENV_VAR} must be a whole number of threads, 1 or more "
                             f"(1 keeps all work on one thread); it is set to {text!r}.")
        return value
    if _cores is None:
        try:
            _cores = len(os.sched_getaffinity(0))
        except AttributeError:                    # macOS and Windows have no sched_getaffinity
            _cores = os.cpu_count() or 1
    return max(1, min(_cores, MAX_THREADS))


def _blas_libraries():
    """threadpoolctl's controllers of the BLAS libraries loaded (numpy's among them), or None."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
            _blas = ThreadpoolController().select(user_api="blas").lib_controllers or False
        except Exception:                         # not installed, or it failed to inspect the libraries
            _blas = False
    return _blas or None


class _Job:
    __slots__ = ("work", "items", "finished", "errors")

    def __init__(self, work, items):
        self.work, self.items = work, items
        self.finished, self.errors = [], []       # list.append is atomic: no lock needed

    def run(self):
        try:
            self.work(self.items)
        except BaseException as err:              # handed to the caller of share()
            self.errors.append(err)
        finally:
            self.finished.append(True)


def _serve(jobs: queue.SimpleQueue):
    while True:
        jobs.get().run()                          # blocks, without the GIL, until share() hands over a job


def _helper_queues(count: int) -> list:
    while len(_helpers) < count:
        jobs = queue.SimpleQueue()
        threading.Thread(target=_serve, args=(jobs,), name=f"helpers-{len(_helpers) + 1}", daemon=True).start()
        _helpers.append(jobs)
    return _helpers[:count]


def share(work, items, most: int) -> None:
    """Call ``work(items)`` on up to ``most`` threads at once, the calling thread included.

    ``items`` is one iterator that all of them draw from (``next`` on a list iterator happens under the
    GIL, so each item is taken exactly once), and ``work`` must handle each item on its own. Returns when
    every item is done; an exception in any thread is raised here.
    """
    workers = min(num_threads(), most)
    libraries = _blas_libraries() if workers > 1 else None
    if libraries is None or not _busy.acquire(blocking=False):
        work(items)
        return
    try:
        before = [lib.num_threads for lib in libraries]
        for lib in libraries:
            lib.set_num_threads(1)
        try:
            job = _Job(work, items)
            for jobs in _helper_queues(workers - 1):
                jobs.put(job)
            job.run()                             # this thread's share
            while len(job.finished) < workers:    # the helpers' last chunks: wait without falling asleep
                time.sleep(0)
        finally:
            for lib, n in zip(libraries, before):
                lib.set_num_threads(n)
        if job.errors:
            raise job.errors[0]
    finally:
        _busy.release()


def _forget_after_fork():
    """A forked child (a DataLoader worker, say) has none of the parent's threads: start afresh."""
    global _busy
    _helpers.clear()
    _busy = threading.Lock()


if hasattr(os, "register_at_fork"):               # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_forget_after_fork)
