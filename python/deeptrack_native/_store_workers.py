"""``generate`` on every core for pipelines with Python callables: forked worker processes that each
render whole chunks and write them to the store themselves.

A pipeline holding Python callables renders one item at a time under the interpreter lock, so its
batches use processes. Sending every rendered image (and its property dicts) back to this process
to be written would cost a serialisation per item and leave the writing to one process; here each
worker takes the next chunk left from a queue, renders it (``np.random`` and ``random`` seeded per
item, as every batch does, so the items are the same whoever renders them), writes its images and
then its table part (which marks the chunk done: resuming is unchanged), and reports it. This
process only reports progress. Zarr writes from several processes to distinct shards are safe;
OME-TIFF chunks are separate files until ``finish`` assembles them.
"""

import gc
import multiprocessing
import os
import queue

from . import _items, _processes

#: How long the reporting process waits for news before checking that the workers are alive.
_POLL = 0.5


def available():
    """Whether workers can be forked here."""
    return hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()


def _work(pipeline, store, write_block, seed, chunk, count, per_item, tasks, events):
    """A worker: chunks from ``tasks`` until the end marker; each rendered, written and reported."""
    store.open_for_writing()
    while True:
        start = tasks.get()
        if start is None:
            return
        n = min(chunk, count - start)
        try:
            items = _items.render(pipeline, n, seed, start, per_item, threads=1)
            write_block(store, start, chunk, items, per_item)
        except BaseException as e:  # noqa: BLE001 - sent to the reporting process
            events.put(("error", start, _processes.portable_exception(e)))
            return
        events.put(("done", start, n))


def render_and_write(pipeline, store, write_block, seed, chunk, count, per_item, todo, processes, report):
    """Renders and writes the chunks starting at ``todo`` on ``processes`` forked workers;
    ``report(n)`` is called here as chunks of ``n`` items are done. Raises the first failure (the
    workers are stopped; the chunks written stay done)."""
    ctx = multiprocessing.get_context("fork")
    tasks, events = ctx.Queue(), ctx.Queue()
    for start in todo:
        tasks.put(start)
    workers = [
        ctx.Process(
            target=_work,
            args=(pipeline, store, write_block, seed, chunk, count, per_item, tasks, events),
            name=f"deeptrack-generate-{k}",
            daemon=True,
        )
        for k in range(min(processes, len(todo)))
    ]
    for _ in workers:
        tasks.put(None)
    try:
        # The objects alive now are the workers' inheritance: kept out of the collector's sight while
        # forking (as resolve_batch's workers, ``_forked``), so that a collection in a worker does not
        # touch, and copy, every page of the heap. Not when the program freezes objects itself.
        freeze = gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            for w in workers:
                w.start()
        finally:
            if freeze:
                gc.unfreeze()
        left = len(todo)
        while left:
            try:
                kind, start, payload = events.get(timeout=_POLL)
            except queue.Empty:
                dead = [w for w in workers if w.exitcode not in (None, 0)]
                if dead or all(w.exitcode is not None for w in workers):
                    raise _processes.WorkerError(
                        f"generate: a worker process ended before finishing (exit code {dead[0].exitcode if dead else 0})"
                    ) from None
                continue
            if kind == "error":
                raise payload
            left -= 1
            report(payload)
    finally:
        for w in workers:
            if w.is_alive():
                w.terminate()
        for w in workers:
            w.join()
        tasks.close()
        events.close()
