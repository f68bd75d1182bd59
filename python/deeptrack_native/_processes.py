"""Batches over worker processes (``Feature.resolve_batch(..., processes=N)``).

The items ``first .. first + count`` are split into ``N`` contiguous ranges. This process renders the
first range itself; each other range is rendered by a worker process, forked from this one (so the
pipeline, lambdas included, is inherited as it is) or, where ``fork`` is not available, spawned (the
pipeline is then pickled, which needs callables that pickle: functions defined at module level).
Every worker renders its range exactly as ``resolve_batch`` does in one process, so the images and
their property dicts are the ones a single-process batch gives. Workers send their results back
pickled through a pipe (Images pickle as plain data).
"""

import multiprocessing
import os
import pickle
import traceback

import numpy as np

from .image import Image, PropertyDict

#: The start method of the workers: None picks ``fork`` where the platform has it, else ``spawn``.
START_METHOD = None


def cpu_count():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def split(count, parts):
    """``parts`` contiguous ``(offset, length)`` ranges covering ``0 .. count``, lengths differing by at
    most one (earlier ranges are the longer ones)."""
    base, extra = divmod(count, parts)
    ranges = []
    start = 0
    for p in range(parts):
        n = base + (1 if p < extra else 0)
        ranges.append((start, n))
        start += n
    return ranges


def _context():
    method = START_METHOD
    if method is None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


class WorkerError(RuntimeError):
    """A batch worker process failed without an exception that could be sent back (it died, or its
    exception does not pickle)."""


def _portable_exception(exc):
    """``exc`` if it survives pickling, else a :class:`WorkerError` carrying its type, message and
    traceback."""
    try:
        pickle.loads(pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL))
        return exc
    except Exception:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return WorkerError(f"{type(exc).__name__}: {exc} (raised in a batch worker process; it does not pickle)\n{text}")


def _sendable(results):
    """Results as sent: arrays as they are, Images as ``(value, dicts, which dicts are PropertyDicts)``
    (a PropertyDict pickles as a plain dict; the input's own dicts stay plain dicts)."""
    return [
        (r._value, r.properties, [isinstance(d, PropertyDict) for d in r.properties]) if isinstance(r, Image) else r
        for r in results
    ]


def _received(items):
    """Sent results shaped like this process's: read-only arrays, Images with PropertyDicts (one
    object per dict, as pickling kept them)."""
    mirrors = {}
    results = []
    for item in items:
        if isinstance(item, tuple):
            value, dicts, mirrored = item
            image = Image(_readonly(value), copy=False)
            image.properties = [
                mirrors.setdefault(id(d), (d, PropertyDict(d)))[1] if m else d for d, m in zip(dicts, mirrored)
            ]
            results.append(image)
        else:
            results.append(_readonly(item))
    return results


def _work(feature, count, seed, first, threads, image, conn):
    """The body of a worker process: renders its range and sends ``("ok", results)`` or
    ``("error", exception)``."""
    try:
        try:
            payload = ("ok", _sendable(feature._resolve_batch_here(count, seed, first, threads, image)))
        except BaseException as e:  # noqa: B036 - sent to the parent, which re-raises it
            if hasattr(e, "add_note"):
                where = traceback.format_exception(type(e), e, e.__traceback__)
                e.add_note(f"(raised in the batch worker process {os.getpid()}:\n{''.join(where).rstrip()})")
            payload = ("error", _portable_exception(e))
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:
            data = pickle.dumps(("error", _portable_exception(e)), protocol=pickle.HIGHEST_PROTOCOL)
        conn.send_bytes(data)
    finally:
        conn.close()


def _readonly(value):
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    return value


def resolve_batch(feature, count, seed, first, threads, image, processes):
    """Items ``first .. first + count`` of the stream ``seed`` rendered by ``processes`` processes (this
    one included); the lowest failing item's exception is raised."""
    if threads == 0 and not feature._holds_python():
        threads = max(1, cpu_count() // processes)
    ranges = split(count, processes)
    ctx = _context()
    workers = []
    finished = False
    try:
        for offset, n in ranges[1:]:
            read, write = ctx.Pipe(duplex=False)
            process = ctx.Process(
                target=_work,
                args=(feature, n, seed, (first + offset) & ((1 << 64) - 1), threads, image, write),
                name=f"deeptrack batch items {first + offset}..{first + offset + n}",
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
            workers.append((process, read, offset, n))
        offset, n = ranges[0]
        results = feature._resolve_batch_here(n, seed, first, threads, image)
        for process, read, offset, n in workers:
            try:
                status, payload = pickle.loads(read.recv_bytes())
            except EOFError:
                process.join()
                raise WorkerError(
                    f"the batch worker process for items {first + offset} .. {first + offset + n} exited "
                    f"(exit code {process.exitcode}) before sending its images"
                ) from None
            if status == "error":
                raise payload
            results.extend(_received(payload))
        finished = True
        return results
    finally:
        for process, read, _, _ in workers:
            read.close()
            if not finished:  # an error or an interrupt: the other ranges are not needed
                process.terminate()
            process.join()
