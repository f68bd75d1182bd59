"""Batches over worker processes (``Feature.resolve_batch(..., processes=N)``).

This process and ``N - 1`` worker processes take contiguous chunks of the items
``first .. first + count`` from a shared counter, in increasing order, until none is left; chunks
shrink as the items run out, so that a worker that starts late (forking and its first touches of
memory take a few milliseconds) takes fewer and the processes finish together. Workers are forked
from this process with ``os.fork`` (``_forked``: the pipeline, lambdas included, is inherited as it
is, and the images come back through shared memory) or, where ``fork`` is not available, spawned by
``multiprocessing`` (the pipeline is then pickled, which needs callables that pickle: functions
defined at module level, and the results come back pickled through a pipe; Images pickle as plain
data). Every chunk is rendered as ``resolve_batch`` renders it in one process, and an item depends
only on (pipeline, seed, item), so the images and their property dicts are the ones a
single-process batch gives.

Errors: a failing chunk stops the counter; every chunk already taken is finished, and the failure of
the lowest chunk is raised (all chunks below it were taken before it and succeeded), which is the
lowest failing item's, as in one process.
"""

import contextlib
import gc
import multiprocessing
import os
import pickle
import traceback

import numpy as np

from . import _batch
from .image import Image, PropertyDict

#: The start method of the workers: None picks ``fork`` where the platform has it, else ``spawn``.
START_METHOD = None
_U64 = (1 << 64) - 1
# How long taking a chunk may wait for the counter's lock (held for a few instructions at a time):
# longer means a worker died holding it.
_LOCK_TIMEOUT = 60.0


def cpu_count():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def chunk_size(remaining, processes):
    """Items in the next chunk when ``remaining`` items are left: a quarter of a fair share, at most
    16, so that chunks shrink towards the end and the processes finish together."""
    return max(1, min(16, remaining // (processes * 4)))


def images_per_item(feature):
    """Results per item of a batch of ``feature``: 1, or what an ``_items.ItemBatch`` says (items of
    several images, handed over flat)."""
    return feature.__dict__.get("_images_per_item", 1)


def _context():
    method = START_METHOD
    if method is None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


class WorkerError(RuntimeError):
    """A batch worker process failed without an exception that could be sent back (it died, or its
    exception does not pickle)."""


def portable_exception(exc):
    """``exc`` if it survives pickling, else a :class:`WorkerError` carrying its type, message and
    traceback."""
    try:
        pickle.loads(pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL))
        return exc
    except Exception:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return WorkerError(f"{type(exc).__name__}: {exc} (raised in a batch worker process; it does not pickle)\n{text}")


class SharedCounter:
    """The items left to take, shared by the processes of a spawned batch: [next offset, end,
    processes] in a ``multiprocessing`` array, under its lock."""

    def __init__(self, ctx, count, processes):
        self.array = ctx.Array("q", [0, count, processes])

    def take(self):
        """The next chunk ``(offset, length)``, or None when none is left."""
        lock = self.array.get_lock()
        if not lock.acquire(timeout=_LOCK_TIMEOUT):
            raise WorkerError("a batch worker process died while taking items; the batch cannot finish")
        try:
            start, end, processes = self.array[0], self.array[1], self.array[2]
            if start >= end:
                return None
            n = chunk_size(end - start, processes)
            self.array[0] = start + n
            return start, n
        finally:
            lock.release()

    def stop(self):
        """Leaves no item to take (a chunk failed)."""
        with self.array.get_lock():
            self.array[1] = self.array[0]


def render_chunks(feature, seed, first, threads, image, counter, deliver=None):
    """Takes chunks from ``counter`` (``take()``, ``stop()``) and renders them until none is left:
    ``(rendered, failure)``, ``rendered`` a list of ``(offset, results)`` and ``failure`` None or
    ``(offset of the failed chunk, exception)``. With ``deliver``, each chunk is handed to
    ``deliver(offset, results)`` as soon as it is rendered instead of being kept in ``rendered``
    (an exception of ``deliver`` propagates)."""
    rendered = []
    if deliver is None:
        deliver = lambda offset, results: rendered.append((offset, results))  # noqa: E731
    batch_input = None
    # The global generators are saved once for all the chunks of this process.
    with _batch.held_globals() if feature._holds_python() else contextlib.nullcontext():
        while True:
            chunk = counter.take()
            if chunk is None:
                return rendered, None
            offset, n = chunk
            try:
                if batch_input is None:  # once per process, and only if it takes items
                    batch_input = feature._batch_input(image)
                results = feature._render_batch(n, seed, (first + offset) & _U64, threads, batch_input)
            except Exception as e:  # raised by the caller once every taken chunk is done
                counter.stop()
                return rendered, (offset, e)
            except BaseException:  # an interrupt (KeyboardInterrupt, SystemExit): at once
                counter.stop()
                raise
            deliver(offset, results)


def sendable(results):
    """Results as sent: arrays as they are, Images as ``(value, dicts, which dicts are PropertyDicts)``
    (a PropertyDict pickles as a plain dict; the input's own dicts stay plain dicts), and the lists of
    a batch of sequences (an item's frames) as lists of those."""
    return [_sendable(r) for r in results]


def _sendable(result):
    if not isinstance(result, (Image, np.ndarray, list)) and not isinstance(result, _PLAIN) and not _pickles(result):
        # An object a custom get returned (passed on as in DeepTrack2) that pickle cannot send.
        raise TypeError(
            f"a result of the batch, {type(result).__name__} {result!r:.60}, cannot be sent from a worker "
            "process (pickle cannot send it); resolve the batch with threads= instead of processes="
        )
    if isinstance(result, Image):
        dicts = [_portable_dict(d) for d in result.properties]
        return (result._value, dicts, [isinstance(d, PropertyDict) for d in result.properties])
    if isinstance(result, list):
        return [_sendable(r) for r in result]
    return result


#: The types of property values that always pickle (the rest are tried: a dict, a user's object).
_PLAIN = (type(None), bool, int, float, complex, str, np.ndarray, np.generic, list, tuple)


def _portable_dict(d):
    """A property dict as sent: a value that pickle cannot send from a worker process (a function
    made while sampling, e.g. ``Lambda``'s ``function``) arrives as None, the rest as they are (``d``
    itself when every value pickles)."""
    bad = [k for k, v in d.items() if not isinstance(v, _PLAIN) and not _pickles(v)]
    if not bad:
        return d
    out = PropertyDict(d) if isinstance(d, PropertyDict) else dict(d)
    for k in bad:
        out[k] = None
    return out


def _pickles(value):
    try:
        pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - pickle raises many kinds (PicklingError, AttributeError, TypeError)
        return False
    return True


def _readonly(value):
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    return value


def received(items):
    """Sent results shaped like this process's: read-only arrays, Images with PropertyDicts (one
    object per dict, as pickling kept them), lists of those for sequences' items."""
    mirrors = {}
    return [_received(item, mirrors) for item in items]


def _received(item, mirrors):
    if isinstance(item, tuple):
        value, dicts, mirrored = item
        image = Image(_readonly(value), copy=False)
        image.properties = [
            mirrors.setdefault(id(d), (d, PropertyDict(d)))[1] if m else d for d, m in zip(dicts, mirrored)
        ]
        return image
    if isinstance(item, list):
        return [_received(i, mirrors) for i in item]
    return _readonly(item)


def _work(feature, seed, first, threads, image, counter, conn):
    """The body of a worker process: renders chunks and sends ``(chunks, failure)``, where
    ``chunks`` is ``[(offset, sendable results)]`` and ``failure`` None or ``(offset, exception)``."""
    try:
        try:
            rendered, failure = render_chunks(feature, seed, first, threads, image, counter)
        except BaseException as e:  # noqa: B036 - e.g. the counter's lock timed out
            rendered, failure = [], (-1, e)
        if failure is not None:
            offset, e = failure
            if hasattr(e, "add_note"):
                where = traceback.format_exception(type(e), e, e.__traceback__)
                e.add_note(f"(raised in the batch worker process {os.getpid()}:\n{''.join(where).rstrip()})")
            failure = (offset, portable_exception(e))
        payload = ([(offset, sendable(results)) for offset, results in rendered], failure)
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:
            data = pickle.dumps(([], (-1, portable_exception(e))), protocol=pickle.HIGHEST_PROTOCOL)
        conn.send_bytes(data)
    finally:
        conn.close()


# Linux's fcntl command that sizes a pipe's buffer (F_SETPIPE_SZ).
_F_SETPIPE_SZ = 1031


def _widen(conn):
    """Gives the pipe of ``conn`` the largest buffer allowed (Linux; up to 1 MiB by default), so that a
    worker writes its images without waiting for this process to read them piece by piece."""
    try:
        import fcntl

        with open("/proc/sys/fs/pipe-max-size") as f:
            fcntl.fcntl(conn.fileno(), _F_SETPIPE_SZ, int(f.read()))
    except (ImportError, OSError, ValueError):
        pass


def _start(ctx, feature, seed, first, threads, image, counter, processes, index):
    read, write = ctx.Pipe(duplex=False)
    _widen(read)
    process = ctx.Process(
        target=_work, args=(feature, seed, first, threads, image, counter, write), name=f"deeptrack batch {index}"
    )
    try:
        process.start()
    except (pickle.PicklingError, TypeError, AttributeError) as e:
        read.close()
        raise TypeError(
            f"resolve_batch(processes={processes}): the pipeline must pickle to reach workers started "
            f"by '{ctx.get_start_method()}' (this platform has no fork): define its callables at "
            f"module level instead of as lambdas ({e})"
        ) from e
    finally:
        write.close()  # the worker holds its end: the pipe reports EOF if it dies
    return process, read


def resolve_batch(feature, count, seed, first, threads, image, processes):
    """Items ``first .. first + count`` of the stream ``seed`` rendered by ``processes`` processes (this
    one included); the lowest failing item's exception is raised."""
    if threads == 0 and not feature._holds_python():
        threads = max(1, cpu_count() // processes)
    ctx = _context()
    if ctx.get_start_method() == "fork":
        from . import _forked  # imports this module

        return _forked.resolve_batch(feature, count, seed, first, threads, image, processes)
    counter = SharedCounter(ctx, count, processes)
    workers = []
    finished = False
    try:
        # The objects alive now are the workers' inheritance: kept out of the collector's sight
        # while forking, so that a collection in a worker does not touch (and copy) all their pages.
        # Not when the program freezes objects itself (unfreezing would undo that).
        freeze = ctx.get_start_method() == "fork" and gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            for index in range(1, processes):
                workers.append(_start(ctx, feature, seed, first, threads, image, counter, processes, index))
        finally:
            if freeze:
                gc.unfreeze()
        rendered, failure = render_chunks(feature, seed, first, threads, image, counter)
        failures = [] if failure is None else [failure]
        from_workers = []
        for process, read in workers:
            try:
                chunks, failure = pickle.loads(read.recv_bytes())
            except EOFError:
                process.join()
                raise WorkerError(
                    f"a batch worker process exited (exit code {process.exitcode}) before sending its images"
                ) from None
            from_workers.extend((offset, received(results)) for offset, results in chunks)
            if failure is not None:
                failures.append(failure)
        if failures:
            raise min(failures, key=lambda f: f[0])[1]
        chunks = sorted(rendered + from_workers, key=lambda c: c[0])
        results = [r for _, chunk in chunks for r in chunk]
        # Every chunk taken was rendered or failed: this cannot happen.
        if len(results) != count * images_per_item(feature):
            raise WorkerError(f"the batch worker processes rendered {len(results)} of {count} items")
        finished = True
        return results
    finally:
        for process, read in workers:
            read.close()
            if not finished:  # an error or an interrupt: the other chunks are not needed
                process.terminate()
                process.join()
            # A worker that sent its images exits on its own: multiprocessing reaps it when it next
            # starts a process (or at exit), so the batch does not wait for its teardown.
