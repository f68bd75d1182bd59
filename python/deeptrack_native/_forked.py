"""Batches over forked worker processes: ``resolve_batch(processes=N)`` where ``os.fork`` exists.

This process forks ``N - 1`` children with ``os.fork`` (no ``multiprocessing`` process machinery: no
pickled process objects, no result queue) and then renders its own share; every process takes chunks
of the items from a counter in a shared anonymous mapping (under a semaphore), as ``_processes``
describes. A child writes its images' pixels straight into its own region of one shared anonymous
mapping that this process reserved before forking (virtual memory: only the pages written are
used), and sends through a pipe only the pickled rest (property dicts, shapes) with where each
array's bytes lie; this process copies each array's bytes once, into memory of the array's own (so
that an image kept does not keep the whole mapping alive), and unmaps the mapping when the batch ends.
Pixels that do not fit in the region travel in the pickle. A child leaves with ``os._exit`` as soon as it has
written (no interpreter teardown) and is reaped later, without waiting.

Before forking, the objects alive are frozen out of the collector's sight (``gc.freeze``), so that a
collection in a child does not touch, and copy, the pages of the whole heap.
"""

import atexit
import gc
import mmap
import os
import pickle
import signal
import struct
import sys
import traceback
from multiprocessing import get_context

from . import _processes
from ._processes import WorkerError, chunk_size, portable_exception, received, render_chunks, sendable

# How many bytes of pixels each child may place in the shared mapping (address space reserved, not
# memory); beyond, its pixels travel in the pickle through its pipe.
REGION_BYTES = (1 << 30) if sys.maxsize > 2**32 else (64 << 20)
# Linux's MAP_NORESERVE: the reserved region is not charged to the commit limit until written.
_MAP_NORESERVE = 0x4000 if sys.platform.startswith("linux") else 0
_ALIGN = 64
_LENGTH = struct.Struct("<q")
_COUNTER = struct.Struct("<qqq")

# Children that sent their results but may not have exited yet: reaped at the next batch or at exit.
_unreaped = []


def _reap(block=False):
    """Reaps the finished children of earlier batches (all of them, waiting, if ``block``)."""
    still = []
    for pid in _unreaped:
        try:
            done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:  # reaped by someone else
            continue
        if not done:
            still.append(pid)
    _unreaped[:] = still


atexit.register(_reap, True)


class Counter:
    """The items left to take, ``[next offset, end, processes]`` in a shared anonymous mapping, under
    a semaphore shared across ``fork``."""

    def __init__(self, count, processes):
        self.lock = get_context("fork").Lock()
        self.map = mmap.mmap(-1, _COUNTER.size)
        _COUNTER.pack_into(self.map, 0, 0, count, processes)

    def take(self):
        """The next chunk ``(offset, length)``, or None when none is left."""
        if not self.lock.acquire(timeout=_processes._LOCK_TIMEOUT):
            raise WorkerError("a batch worker process died while taking items; the batch cannot finish")
        try:
            start, end, processes = _COUNTER.unpack_from(self.map, 0)
            if start >= end:
                return None
            n = chunk_size(end - start, processes)
            _COUNTER.pack_into(self.map, 0, start + n, end, processes)
            return start, n
        finally:
            self.lock.release()

    def stop(self):
        """Leaves no item to take (a chunk failed)."""
        with self.lock:
            start, _, processes = _COUNTER.unpack_from(self.map, 0)
            _COUNTER.pack_into(self.map, 0, start, start, processes)


def _shared_pixels(children):
    """The shared mapping for the children's pixels, ``REGION_BYTES`` each, or None if it cannot be
    reserved (they all travel through the pipes then)."""
    try:
        return mmap.mmap(-1, REGION_BYTES * children, flags=mmap.MAP_SHARED | _MAP_NORESERVE)
    except (OSError, ValueError, OverflowError):
        return None


def _pickled_chunks(rendered, view, start, end):
    """``[(offset, pickle, [(position, length) of its out-of-band buffers])]``: every chunk pickled
    with its contiguous arrays' bytes written into ``view[start:end]`` where they fit."""
    at = start
    chunks = []
    for offset, results in rendered:
        placed = []

        def place(buffer):
            nonlocal at
            raw = buffer.raw()
            n = raw.nbytes
            where = -(-at // _ALIGN) * _ALIGN
            if view is None or where + n > end:
                return True  # in the pickle
            view[where : where + n] = raw
            placed.append((where, n))
            at = where + n
            return False

        data = pickle.dumps(sendable(results), protocol=5, buffer_callback=place)
        chunks.append((offset, data, placed))
    return chunks


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _child(feature, seed, first, threads, image, counter, write, view, region):
    """The body of a child: renders chunks, writes them (see the module's documentation) and leaves."""
    status = 1
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
        try:
            data = pickle.dumps((_pickled_chunks(rendered, view, *region), failure), protocol=5)
        except Exception as e:
            data = pickle.dumps(([], (-1, portable_exception(e))), protocol=5)
        _write_all(write, _LENGTH.pack(len(data)) + data)
        status = 0
    finally:
        # The parent flushed its buffers before forking: what is left is this child's own output.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(status)


def _read_message(fd):
    """One length-prefixed message from ``fd``, or None if the writer left before finishing it."""
    with os.fdopen(fd, "rb", buffering=0, closefd=False) as f:
        head = bytearray(_LENGTH.size)
        if f.readinto(head) != len(head):
            return None
        data = bytearray(_LENGTH.unpack(head)[0])
        view, got = memoryview(data), 0
        while got < len(data):
            n = f.readinto(view[got:])
            if not n:
                return None
            got += n
        return data


def _copied(view, placed):
    """The bytes at ``placed`` [(position, length)] of ``view``, each copied into memory of its own:
    an image kept does not keep the batch's shared mapping (and every other image in it) alive."""
    buffers = []
    for at, n in placed:
        with view[at : at + n] as part:
            buffers.append(bytearray(part))
    return buffers


def _exit_description(pid):
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored, or a handler that waits)
        return "exited"
    if os.WIFSIGNALED(status):
        return f"was killed by signal {os.WTERMSIG(status)}"
    return f"exited (exit code {os.waitstatus_to_exitcode(status)})"


def resolve_batch(feature, count, seed, first, threads, image, processes):
    """Items ``first .. first + count`` of the stream ``seed`` rendered by this process and
    ``processes - 1`` forked children; the lowest failing item's exception is raised."""
    _reap()
    counter = Counter(count, processes)
    shared = _shared_pixels(processes - 1)
    view = None if shared is None else memoryview(shared)
    children = []  # (pid, read end)
    finished = False
    for stream in (sys.stdout, sys.stderr):  # not written twice by the children
        try:
            stream.flush()
        except Exception:
            pass
    try:
        # Not when the program freezes objects itself (unfreezing would undo that).
        freeze = gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            for index in range(1, processes):
                read, write = os.pipe()
                try:
                    pid = os.fork()
                except BaseException:
                    os.close(read)
                    os.close(write)
                    raise
                if pid == 0:
                    os.close(read)
                    for _, other in children:
                        os.close(other)
                    region = (REGION_BYTES * (index - 1), REGION_BYTES * index)
                    _child(feature, seed, first, threads, image, counter, write, view, region)
                os.close(write)  # the child holds it: the pipe reports EOF if the child dies
                children.append((pid, read))
        finally:
            if freeze:
                gc.unfreeze()
        rendered, failure = render_chunks(feature, seed, first, threads, image, counter)
        failures = [] if failure is None else [failure]
        results = list(rendered)
        while children:
            pid, read = children[0]
            data = _read_message(read)
            if data is None:
                children.pop(0)
                os.close(read)
                raise WorkerError(f"a batch worker process {_exit_description(pid)} before sending its images")
            chunks, failure = pickle.loads(data)
            for offset, pickled, placed in chunks:
                results.append((offset, received(pickle.loads(pickled, buffers=_copied(view, placed)))))
            if failure is not None:
                failures.append(failure)
            children.pop(0)
            os.close(read)
            _unreaped.append(pid)
        if failures:
            raise min(failures, key=lambda f: f[0])[1]
        results.sort(key=lambda c: c[0])
        images = [r for _, chunk in results for r in chunk]
        if len(images) != count:  # cannot happen: every chunk taken was rendered or failed
            raise WorkerError(f"the batch worker processes rendered {len(images)} of {count} items")
        finished = True
        return images
    finally:
        for pid, read in children:  # an error or an interrupt: the other chunks are not needed
            os.close(read)
            if not finished:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
        if shared is not None:  # every image was copied out of it: released now, not by the collector
            try:
                view.release()
                shared.close()
            except BufferError:  # a view of it still exists: the collector unmaps it later
                pass
        _reap()
