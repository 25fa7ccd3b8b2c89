"""The corpus build's worker processes: files are read in workers so that one that hangs, crashes its parser or
needs too much memory costs one file, never the build.

A worker dies with the build (even when the build is killed), ignores the stop signals (the build handles them
and ends its workers), and may have its memory capped; a file that takes too long, or kills its worker, is
reported as failed and its worker replaced.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from multiprocessing import connection, get_context

#: What stops a build and keeps the bars read so far: Ctrl-C, SIGTERM, and SIGHUP (the terminal or ssh session
#: closed), where the OS has it; its workers leave them to it.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def _die_with_parent(parent: int) -> None:
    """Make this worker die when the build process does, even by SIGKILL: the kernel's parent-death signal
    on Linux; elsewhere a thread that notices the parent is gone. (A pipe's EOF is no sign: a sibling
    worker forked later holds the build's end of this worker's pipe open.)"""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            if libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent died before the signal was armed
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _limit_memory(max_memory_mb: int) -> None:
    """Cap this process's address space at what it uses now plus ``max_memory_mb``, where the OS allows it;
    an allocation past it raises MemoryError, which fails the file being read."""
    if not max_memory_mb:
        return
    try:
        import resource

        page = os.sysconf("SC_PAGE_SIZE")
        with open("/proc/self/statm") as statm:
            in_use = int(statm.read().split()[0]) * page
        limit = in_use + max_memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (ImportError, OSError, ValueError):
        pass  # no resource module (Windows), no /proc (macOS), or a hard limit below ours: no cap


def _worker_loop(conn, parent, read, args, max_memory_mb: int):
    _die_with_parent(parent)
    # Ctrl-C, SIGTERM and a closed terminal are the parent's to handle: it stops the build, saves what it has
    # and ends us.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    _limit_memory(max_memory_mb)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        index, path = task
        conn.send((index, read(path, *args)))


class _Worker:
    """One worker process with a pipe, and the file it is reading (if any) since when."""

    def __init__(self, context, read, args, max_memory_mb: int):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_loop, args=(child, os.getpid(), read, args, max_memory_mb),
                                       daemon=True)
        self.process.start()
        child.close()
        self.task, self.since = None, 0.0

    def give(self, task):
        self.task, self.since = task, time.monotonic()
        if task is not None:
            self.conn.send(task)

    def stop(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def run_workers(tasks, read, args, workers: int, timeout: float, on_result, stopped=lambda: False,
                max_memory_mb: int = 0):
    """Read ``tasks`` (``(index, path)``) in ``workers`` processes, each by ``read(path, *args)`` (which never
    raises: it returns a failure), calling ``on_result(index, result)`` until all are read or ``stopped()``.
    Each worker's memory is capped at ``max_memory_mb`` more than it starts with (0: no cap).

    A file that takes longer than ``timeout`` seconds, or kills its worker, is reported as failed and
    its worker replaced, so no file can stop or hang the build.
    """
    context = get_context()
    queue = iter(tasks)
    pool = []
    try:
        for _ in range(max(1, min(workers, len(tasks)))):
            pool.append(_Worker(context, read, args, max_memory_mb))
            pool[-1].give(next(queue, None))
        while not stopped() and any(worker.task is not None for worker in pool):
            busy = [worker for worker in pool if worker.task is not None]
            connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.5)
            for i, worker in enumerate(pool):
                if worker.task is None:
                    continue
                index = worker.task[0]
                if worker.conn.poll():
                    try:
                        _, result = worker.conn.recv()
                    except (EOFError, OSError):
                        pass  # the worker died mid-file: reported below once it has exited
                    else:
                        on_result(index, result)
                        worker.give(next(queue, None))
                        continue
                if not worker.process.is_alive():
                    failure = ("failed", "worker crashed", f"exit code {worker.process.exitcode}")
                elif time.monotonic() - worker.since > timeout:
                    failure = ("failed", "timeout", f"more than {timeout:g} s")
                else:
                    continue
                on_result(index, failure)
                worker.stop()
                pool[i] = _Worker(context, read, args, max_memory_mb)
                pool[i].give(next(queue, None))
    finally:
        for worker in pool:
            worker.stop()
