"""Share a loop over chunks of work among a few threads (used by :func:`helpers.conv2d`).

NumPy lets go of the GIL while it copies arrays and multiplies matrices, so threads that each take the
next chunk from one shared iterator keep several cores busy. Meanwhile numpy's BLAS is held to one
thread per call (with ``threadpoolctl``): otherwise every thread's matrix product would start BLAS
threads of its own, more threads than cores, which is slower than one thread alone.

How many threads: the environment variable ``HELPERS_NUM_THREADS`` if it is set (``1`` turns this off),
otherwise the number of cores this process may use, at most 4. Work stays on the calling thread when
``threadpoolctl`` is not installed or does not find numpy's BLAS, when only one core is free, and
while another call is already sharing its work (a second thread of the student's own, say).
"""

from __future__ import annotations

import os
import threading

MAX_THREADS = 4
ENV_VAR = "HELPERS_NUM_THREADS"

_pool = None              # a concurrent.futures.ThreadPoolExecutor, made on first use
_pool_size = 0
_limiter = None            # a threadpoolctl controller for numpy's BLAS; False when there is none
_busy = threading.Lock()   # one shared call at a time: the BLAS limit is process-wide


def num_threads() -> int:
    """The number of threads :func:`share` uses (``HELPERS_NUM_THREADS``, or the free cores, at most 4)."""
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
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:                        # macOS and Windows have no sched_getaffinity
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_THREADS))


def _blas_limiter():
    """A threadpoolctl controller of numpy's BLAS, or None when that cannot be had."""
    global _limiter
    if _limiter is None:
        try:
            from threadpoolctl import ThreadpoolController
            blas = ThreadpoolController().select(user_api="blas")
            _limiter = blas if blas.lib_controllers else False
        except Exception:                         # not installed, or it failed to inspect the libraries
            _limiter = False
    return _limiter or None


def _executor(workers: int):
    """The helper threads (made on first use, kept for the next call; idle ones wait without spinning)."""
    global _pool, _pool_size
    from concurrent.futures import ThreadPoolExecutor

    if _pool is None or _pool_size < workers:
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool, _pool_size = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="helpers"), workers
    return _pool


def share(work, items, most: int) -> None:
    """Call ``work(items)`` on up to ``most`` threads at once, the calling thread included.

    ``items`` is one iterator that all of them draw from (``next`` on a range iterator happens under the
    GIL, so each item is taken exactly once), and ``work`` must handle each item on its own. Returns when
    every item is done; an exception in any thread is raised here.
    """
    workers = min(num_threads(), most)
    limiter = _blas_limiter() if workers > 1 else None
    if limiter is None or not _busy.acquire(blocking=False):
        work(items)
        return
    try:
        with limiter.limit(limits=1):
            futures = [_executor(workers - 1).submit(work, items) for _ in range(workers - 1)]
            try:
                work(items)
            finally:
                for future in futures:            # wait for all, even when this thread's share failed
                    future.exception()
            for future in futures:
                future.result()                   # raises a helper thread's exception, if there was one
    finally:
        _busy.release()


def _forget_after_fork():
    """A forked child (a DataLoader worker, say) has none of the parent's threads: start afresh."""
    global _pool, _pool_size, _busy
    _pool, _pool_size = None, 0
    _busy = threading.Lock()


if hasattr(os, "register_at_fork"):               # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_forget_after_fork)
