"""Batches over forked worker processes: ``resolve_batch(processes=N)`` where ``os.fork`` exists.

This process forks ``N - 1`` children with ``os.fork`` (no ``multiprocessing`` process machinery: no
pickled process objects, no result queue) and then renders its own share; every process takes chunks
of the items from a counter in a shared anonymous mapping (under a semaphore), as ``_processes``
describes. Every call forks anew, so the children render the pipeline (and whatever its callables
read) exactly as it is at the call.

A child sends each chunk as soon as it has rendered it: it writes the images' pixels (and the pickled
rest, property dicts and shapes, or for plain arrays only their dtypes and shapes) into its own
region of one shared anonymous mapping that this process reserved before forking (virtual memory:
only the pages written are used), and sends through a pipe a short notice of where they lie. This
process looks at the pipes between its own chunks and copies each image's bytes out of the mapping
once, into memory of the image's own (so that an image kept does not keep the mapping alive): the
copying is shared out with the rendering, as the counter gives the children more items meanwhile, and
does not wait for the last item. Pixels that do not fit in the region travel in the pipe. A child
leaves with ``os._exit`` as soon as it has sent its last chunk (no interpreter teardown) and is
reaped later, without waiting.

The mapping is kept for the next batch (its pages, already in memory, cost the next children far
less to write than new ones), holding at most ``KEEP_BYTES`` per region between batches; a process
forked by the program forgets it (it must not write pages this process reads).

Before forking, the objects alive are frozen out of the collector's sight (``gc.freeze``), so that a
collection in a child does not touch, and copy, the pages of the whole heap. An interrupt
(KeyboardInterrupt) in this process kills the children at once; an exception of a callable lets the
chunks already taken finish, so that the lowest failing item's exception is the one raised.
"""

import atexit
import gc
import mmap
import os
import pickle
import select
import signal
import struct
import sys
import threading
import traceback
from multiprocessing import get_context

import numpy as np

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


# The shared mapping of the last batch, kept for the next one: its pages are already in memory, so
# that a child's writes into them cost a fraction of first touches. After a batch, at most
# KEEP_BYTES of each region stay in memory; the rest is returned to the system (MADV_REMOVE).
KEEP_BYTES = 16 << 20
_MADV_REMOVE = getattr(mmap, "MADV_REMOVE", None)
_spare = []  # at most one mapping, not in use
_spare_lock = threading.Lock()


def _forget_spare_in_child():
    # A process forked by the program shares the spare's pages with this one: it must not write them.
    global _spare_lock
    _spare.clear()
    _spare_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_spare_in_child)


def _shared_pixels(children):
    """The shared mapping for the children's pixels, ``REGION_BYTES`` each (the last batch's if it
    has that size), or None if it cannot be reserved (they all travel through the pipes then)."""
    with _spare_lock:
        spare = _spare.pop() if _spare else None
    if spare is not None:
        if len(spare) == REGION_BYTES * children:
            return spare
        spare.close()
    try:
        return mmap.mmap(-1, REGION_BYTES * children, flags=mmap.MAP_SHARED | _MAP_NORESERVE)
    except (OSError, ValueError, OverflowError):
        return None


def _keep_or_close(shared, used):
    """Keeps ``shared`` for the next batch once every region holds at most ``KEEP_BYTES`` in memory
    (``used``: how far each child wrote into its region, None if unknown), else unmaps it."""
    keep = _MADV_REMOVE is not None and None not in used
    if keep:
        try:
            for index, end in enumerate(used):
                start = -(-(REGION_BYTES * index + KEEP_BYTES) // mmap.PAGESIZE) * mmap.PAGESIZE
                stop = REGION_BYTES * index + end
                if stop > start:
                    shared.madvise(_MADV_REMOVE, start, stop - start)
        except (OSError, ValueError):
            keep = False
    if keep:
        with _spare_lock:
            if not _spare:
                _spare.append(shared)
                return
    shared.close()


class _Outbox:
    """A child's sending side: every chunk, as soon as it is rendered, pickled with its contiguous
    arrays' bytes and then the pickle itself written into the child's region ``view[start:end]``
    where they fit, and a short notice through the pipe saying where they lie."""

    def __init__(self, write, view, region):
        self.write, self.view = write, view
        self.at, self.end = region

    def _place(self, n):
        """Where ``n`` bytes go in the region (then reserved), or None if they do not fit."""
        where = -(-self.at // _ALIGN) * _ALIGN
        if self.view is None or where + n > self.end:
            return None
        self.at = where + n
        return where

    def _raw(self, results):
        """``[(dtype, shape, position, length)]`` of a chunk of plain arrays, their bytes written into
        the region; None (nothing written) if the chunk holds anything else or does not fit."""
        if not all(type(r) is np.ndarray and r.flags.c_contiguous and not r.dtype.hasobject for r in results):
            return None
        at = self.at
        described = []
        for r in results:
            where = self._place(r.nbytes)
            if where is None:
                self.at = at
                return None
            self.view[where : where + r.nbytes] = r.reshape(-1).view(np.uint8)
            described.append((r.dtype.str, r.shape, where, r.nbytes))
        return described

    def chunk(self, offset, results):
        # Plain arrays (no stored properties) need no pickle: their dtype, shape and bytes are enough.
        described = self._raw(results)
        if described is not None:
            self.send((offset, described, None))
            return
        placed = []

        def place(buffer):
            raw = buffer.raw()
            where = self._place(raw.nbytes)
            if where is None:
                return True  # in the pickle
            self.view[where : where + raw.nbytes] = raw
            placed.append((where, raw.nbytes))
            return False

        data = pickle.dumps(sendable(results), protocol=5, buffer_callback=place)
        where = self._place(len(data))
        if where is not None:
            self.view[where : where + len(data)] = data
            data = (where, len(data))
        self.send((offset, data, placed))

    def send(self, message):
        data = pickle.dumps(message, protocol=5)
        _write_all(self.write, _LENGTH.pack(len(data)) + data)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _child(feature, seed, first, threads, image, counter, write, view, region):
    """The body of a child: renders chunks, sends each as it is done (see ``_Outbox``), then
    ``(None, failure)``, and leaves."""
    status = 1
    try:
        outbox = _Outbox(write, view, region)
        try:
            _, failure = render_chunks(feature, seed, first, threads, image, counter, outbox.chunk)
        except BaseException as e:  # noqa: B036 - e.g. the counter's lock timed out, or a chunk did not pickle
            failure = (-1, e)
        if failure is not None:
            offset, e = failure
            if hasattr(e, "add_note"):
                where = traceback.format_exception(type(e), e, e.__traceback__)
                e.add_note(f"(raised in the batch worker process {os.getpid()}:\n{''.join(where).rstrip()})")
            failure = (offset, portable_exception(e))
        try:
            outbox.send((None, failure, outbox.at - region[0]))
        except Exception as e:
            outbox.send((None, (-1, portable_exception(e)), outbox.at - region[0]))
        status = 0
    finally:
        # The parent flushed its buffers before forking: what is left is this child's own output.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(status)


class _Inbox:
    """This process's side of one child's pipe: the child's chunks as they arrive."""

    def __init__(self, pid, read, view):
        self.pid, self.read, self.view = pid, read, view
        self.file = os.fdopen(read, "rb", buffering=0, closefd=False)
        self.done = False
        self.used = None  # how far the child wrote into its region, once it said so

    def close(self):
        self.file.close()
        os.close(self.read)

    def _exact(self, n):
        data = bytearray(n)
        view, got = memoryview(data), 0
        while got < n:
            k = self.file.readinto(view[got:])
            if not k:
                raise WorkerError(f"a batch worker process {_exit_description(self.pid)} before sending its images")
            got += k
        return data

    def receive(self, results, failures):
        """Reads one message (waiting for it): a chunk goes to ``results``, the child's last message
        (its failure, if any) to ``failures``."""
        offset, data, placed = pickle.loads(self._exact(_LENGTH.unpack(self._exact(_LENGTH.size))[0]))
        if offset is None:
            self.done = True
            self.used = placed
            if data is not None:
                failures.append(data)
            return
        if placed is None:  # plain arrays (see _Outbox._raw)
            results.append((offset, [_array_copied(self.view, *d) for d in data]))
            return
        if isinstance(data, tuple):
            at, n = data
            data = self.view[at : at + n]
        try:
            results.append((offset, received(pickle.loads(data, buffers=_copied(self.view, placed)))))
        finally:
            if isinstance(data, memoryview):
                data.release()


def _copied(view, placed):
    """The bytes at ``placed`` [(position, length)] of ``view``, each copied into memory of its own:
    an image kept does not keep the batch's shared mapping (and every other image in it) alive."""
    buffers = []
    for at, n in placed:
        with view[at : at + n] as part:
            buffers.append(bytearray(part))
    return buffers


def _array_copied(view, dtype, shape, at, n):
    """A read-only array of ``dtype`` and ``shape`` from the bytes at ``view[at : at + n]``, copied
    into memory of its own (as ``_copied``)."""
    with view[at : at + n] as part:
        array = np.frombuffer(bytearray(part), dtype=dtype).reshape(shape)
    array.flags.writeable = False
    return array


def _ready(inboxes):
    """The inboxes whose pipes have something to read now, or reached their end (without waiting)."""
    waiting = {box.read: box for box in inboxes if not box.done}
    if not waiting:
        return []
    poller = select.poll()
    for fd in waiting:
        poller.register(fd, select.POLLIN)
    return [waiting[fd] for fd, _ in poller.poll(0)]


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
    inboxes = []
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
                    for box in inboxes:
                        os.close(box.read)
                    region = (REGION_BYTES * (index - 1), REGION_BYTES * index)
                    _child(feature, seed, first, threads, image, counter, write, view, region)
                os.close(write)  # the child holds it: the pipe reports EOF if the child dies
                inboxes.append(_Inbox(pid, read, view))
        finally:
            if freeze:
                gc.unfreeze()
        results, failures = [], []

        def deliver(offset, chunk):
            # This process's chunk, then whatever the children finished meanwhile: copying their
            # images out between its own chunks shares that work out too, as the counter gives the
            # children more items while this process copies.
            results.append((offset, chunk))
            for box in _ready(inboxes):
                box.receive(results, failures)

        _, failure = render_chunks(feature, seed, first, threads, image, counter, deliver)
        if failure is not None:
            failures.append(failure)
        for box in inboxes:
            while not box.done:
                box.receive(results, failures)
        if failures:
            raise min(failures, key=lambda f: f[0])[1]
        results.sort(key=lambda c: c[0])
        images = [r for _, chunk in results for r in chunk]
        # Every chunk taken was rendered or failed: this cannot happen.
        if len(images) != count * _processes.images_per_item(feature):
            raise WorkerError(f"the batch worker processes rendered {len(images)} of {count} items")
        return images
    finally:
        for box in inboxes:
            box.close()
            if box.done:  # it leaves on its own: reaped later, without waiting for it
                _unreaped.append(box.pid)
            else:  # an error or an interrupt: its other chunks are not needed
                try:
                    os.kill(box.pid, signal.SIGKILL)
                    os.waitpid(box.pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
        if shared is not None:  # every image was copied out of it
            try:
                view.release()
                _keep_or_close(shared, [box.used for box in inboxes])
            except BufferError:  # a view of it still exists: the collector unmaps it later
                pass
        _reap()
