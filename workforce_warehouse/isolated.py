"""Child processes: one stage of a refresh in a child process (`run`), and independent tasks on every
core (`parallel_map`).

Run one stage of a refresh in a child process, so that what the stage allocates goes back to the system
when it ends (issue 22: peak memory).

A refresh runs its stages one after the other in one Dagster process. Before this, what the load, the
Great Expectations checks and the publish allocated stayed with that process (glibc keeps freed memory for
reuse, and GX keeps frames it was handed), so each stage started on top of the last one's leftovers, and
the dbt build ran beside a refresh process that still held the load's memory. Each of those stages now runs
in a forked child: it starts from the parent's memory (shared, not copied), and everything it adds is
released when it exits. The parent only relays the child's progress lines, and gets back the stage's
result or its exception.

`WORKFORCE_ISOLATE_STAGES=0` runs the stages in the refresh process itself, as before (for debugging
with breakpoints). Where the `fork` start method does not exist, stages always run in process.
"""

from __future__ import annotations

import collections
import gc
import itertools
import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

ENV = "WORKFORCE_ISOLATE_STAGES"
T = TypeVar("T")


class StageProcessDied(RuntimeError):
    """The child process ended without a result (killed, e.g. by the system for lack of memory)."""


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0" and "fork" in multiprocessing.get_all_start_methods()


def run(stage: str, fn: Callable[..., T], *args: Any, progress: Callable[[str], None], **kwargs: Any) -> T:
    """`fn(*args, progress=..., **kwargs)` in a forked child; returns its result or raises its exception
    (with the child's traceback as a note). `progress` is called here, in order, with each line the child
    reports."""
    if not enabled():
        return fn(*args, progress=progress, **kwargs)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, fn, args, kwargs), name=f"workforce-{stage}", daemon=False)
    child.start()
    send.close()  # the child holds the sending end: end of file here once it has gone
    try:
        while True:
            try:
                kind, payload = receive.recv()
            except EOFError:
                child.join()
                raise StageProcessDied(
                    f"the {stage} stage's process ended without a result (exit code {child.exitcode}; a "
                    "negative code is the signal that ended it, e.g. -9 when the system ran out of memory)"
                ) from None
            if kind == "progress":
                progress(payload)
            elif kind == "result":
                return payload
            else:
                exc, child_traceback = payload
                exc.add_note(f"in the {stage} stage's process:\n{child_traceback}")
                raise exc
    finally:
        receive.close()
        child.join(timeout=60)
        if child.is_alive():  # the parent is leaving early (an interrupt): the child goes too
            child.terminate()
            child.join(timeout=10)


def _child(send, fn, args, kwargs) -> None:
    # Dagster's handlers (inherited with the fork) only note a SIGTERM or Ctrl+C for the run to act on
    # later; a child that kept them could not be stopped. Stopped, it ends, and the parent says so.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def progress(message: str) -> None:
        send.send(("progress", message))

    try:
        result = fn(*args, progress=progress, **kwargs)
    except BaseException as exc:
        text = traceback.format_exc()
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        send.send(("error", (exc, text)))
    else:
        send.send(("result", result))
    finally:
        send.close()


# Fewer tasks than this run one after another here: starting processes would cost more than it saves.
PARALLEL_MIN_TASKS = 8
# At most this many results per worker wait for the caller. ProcessPoolExecutor.map submits every task at
# once, so when the workers outrun the caller (the load's parse workers outrun its one committing
# process), every result waits in memory: the parsed rows of a whole landing folder, 1.6 GB and growing
# at 153 councils (issue 22).
PARSED_AHEAD_PER_WORKER = 4


def _call(packed):
    fn, args = packed
    return fn(*args)


# A parse worker allocates millions of short-lived objects and makes almost no reference cycles: Python's
# cyclic collector, run every 700 allocations by default, cost a tenth of its time (issue 22).
WORKER_GC_THRESHOLD = 100_000


def _start_worker() -> None:
    gc.set_threshold(WORKER_GC_THRESHOLD, 50, 50)


def parallel_map(fn: Callable[..., T], tasks: list[tuple], workers: int | None = None):
    """fn(*task) for each task, yielded in the tasks' order, by a pool of forked processes (`workers`,
    default one per core) when there are at least PARALLEL_MIN_TASKS tasks; here, one by one, otherwise.
    `fn` and its results travel by pickle."""
    workers = workers or os.cpu_count() or 1
    if (
        len(tasks) < PARALLEL_MIN_TASKS
        or workers < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for t in tasks:
            yield fn(*t)
        return
    from concurrent.futures import ProcessPoolExecutor

    ahead = workers * PARSED_AHEAD_PER_WORKER
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker
    ) as pool:
        pending: collections.deque = collections.deque()
        todo = iter(tasks)
        try:
            # the workers are forked at the first submit: the objects this process holds then are frozen
            # for them, so their collector never walks (and copies) the parent's memory
            gc.freeze()
            try:
                for t in itertools.islice(todo, ahead):
                    pending.append(pool.submit(_call, (fn, t)))
            finally:
                gc.unfreeze()
            while pending:
                result = pending.popleft().result()
                for t in itertools.islice(todo, 1):
                    pending.append(pool.submit(_call, (fn, t)))
                yield result
        finally:
            for f in pending:  # the caller stopped early: nothing more is started
                f.cancel()
