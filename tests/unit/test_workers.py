"""Kept threads behave like a thread started per stage and a Timer per query.

`run_in_worker` hands work to an idle worker, or starts one when every worker is busy (a stage
abandoned past its deadline keeps its own); `after` calls back on one watchdog thread at the
time asked unless cancelled first. Waits here are generous upper bounds, never timings.
"""

from __future__ import annotations

import threading
import weakref

import pytest

from assistant.workers import after, run_in_worker

WAIT = 10.0  # seconds: only ever reached when something is broken


def test_a_worker_returns_what_its_work_returns_and_raises_what_it_raises():
    assert run_in_worker(lambda a, b=0: a + b, 2, b=3).result(WAIT) == 5

    def broken() -> None:
        raise KeyError("nope")

    with pytest.raises(KeyError):
        run_in_worker(broken).result(WAIT)


def test_work_stuck_in_one_worker_does_not_hold_up_the_next_work():
    release = threading.Event()
    stuck = run_in_worker(release.wait, WAIT)
    try:
        assert run_in_worker(lambda: "done").result(WAIT) == "done"
        assert not stuck.done()
    finally:
        release.set()
    assert stuck.result(WAIT) is True


def test_many_pieces_of_work_in_a_row_each_get_their_own_result():
    futures = [run_in_worker(lambda i=i: i * i) for i in range(50)]
    assert [f.result(WAIT) for f in futures] == [i * i for i in range(50)]


def test_the_watchdog_calls_back_in_time_order_and_not_once_cancelled():
    called: list[str] = []
    done = threading.Event()
    after(0.2, lambda: (called.append("late"), done.set()))
    cancel = after(0.05, lambda: called.append("cancelled"))
    after(0.01, lambda: called.append("early"))
    cancel()
    assert done.wait(WAIT)
    assert called == ["early", "late"]


def test_a_failing_callback_does_not_stop_the_watchdog():
    done = threading.Event()

    def broken() -> None:
        raise RuntimeError("boom")

    after(0.01, broken)
    after(0.02, done.set)
    assert done.wait(WAIT)


class _Held:
    """Something work was given (as an Assistant holding an open warehouse file is)."""


def test_an_idle_worker_and_the_watchdog_keep_nothing_of_the_work_they_did():
    held = _Held()
    gone = weakref.ref(held)
    run_in_worker(lambda thing: None, held).result(WAIT)
    fired = threading.Event()
    after(0.01, lambda thing=held: fired.set())
    assert fired.wait(WAIT)
    cancel = after(WAIT, lambda thing=held: None)
    cancel()
    del held
    for _ in range(100):  # the worker drops its task just after setting the result
        if gone() is None:
            break
        threading.Event().wait(0.01)
    assert gone() is None
