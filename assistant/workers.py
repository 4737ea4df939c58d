"""Threads kept for a question's stages and its queries' timeouts, instead of one started each.

A question ran its planning and its compile + validate each in a new daemon thread (so a stage
past the deadline can be abandoned), and every query started a `threading.Timer` to interrupt
it: three thread starts per question, ~0.4 ms each on two busy cores, a fifth of the 5 ms a
warm question may add. Now:

* `run_in_worker(fn)` hands `fn` to an idle worker thread, starting one only when none is
  idle. A stage abandoned past its deadline keeps its worker busy until it returns (as its own
  thread did), so the others still start at once; at most `IDLE_KEPT` idle workers stay.
* `after(seconds, callback)` schedules `callback` on one watchdog thread and returns what
  cancels it; the watchdog sleeps until the earliest pending time.

Both are daemon threads, started on first use (a process that never asks starts none).
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from typing import Any, TypeVar

T = TypeVar("T")
IDLE_KEPT = 4

_idle: list[_Worker] = []
_idle_lock = threading.Lock()


class _Worker:
    def __init__(self) -> None:
        self._task: Callable[[], None] | None = None
        self._ready = threading.Condition(threading.Lock())
        threading.Thread(target=self._loop, name="segq-worker", daemon=True).start()

    def give(self, task: Callable[[], None]) -> None:
        with self._ready:
            self._task = task
            self._ready.notify()

    def _loop(self) -> None:
        while True:
            with self._ready:
                while self._task is None:
                    self._ready.wait()
                task, self._task = self._task, None
            task()
            del task  # an idle worker holds nothing of the work it did (an Assistant, a file)
            with _idle_lock:
                if len(_idle) >= IDLE_KEPT:
                    return
                _idle.append(self)


def run_in_worker(fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
    """`fn(*args, **kwargs)` in a worker thread; its result or exception in the Future."""
    future: Future[T] = Future()

    def task() -> None:
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # re-raised in the waiting thread by future.result
            future.set_exception(exc)

    with _idle_lock:
        worker = _idle.pop() if _idle else None
    (worker or _Worker()).give(task)
    return future


class _Watchdog:
    """One thread calling each scheduled callback at its time, unless cancelled first."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, list[Callable[[], None] | None]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def after(self, seconds: float, callback: Callable[[], None]) -> Callable[[], None]:
        entry: list[Callable[[], None] | None] = [callback]
        at = time.monotonic() + seconds
        with self._changed:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="segq-watchdog",
                                                daemon=True)
                self._thread.start()
            earliest = self._due[0][0] if self._due else None
            heapq.heappush(self._due, (at, next(self._order), entry))
            if earliest is None or at < earliest:
                self._changed.notify()

        def cancel() -> None:
            entry[0] = None  # a callback already running runs on, as a Timer's does

        return cancel

    def _loop(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._changed.wait(wait)
                _, _, entry = heapq.heappop(self._due)
            callback = entry[0]
            if callback is not None:
                with suppress(Exception):  # a failing callback must not stop the others
                    callback()
            del callback, entry  # nor does the sleeping watchdog (a cursor)


_WATCHDOG = _Watchdog()


def _forked() -> None:
    """A forked child has none of the parent's threads: it starts its own when it needs them."""
    global _WATCHDOG
    _idle.clear()
    _WATCHDOG = _Watchdog()


os.register_at_fork(after_in_child=_forked)


def after(seconds: float, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` in `seconds` on the watchdog thread; returns what cancels it."""
    return _WATCHDOG.after(seconds, callback)
