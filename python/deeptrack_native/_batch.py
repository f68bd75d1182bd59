"""In-process batches: which pipelines hold Python callables, and how their items are rendered.

A Python callable (a property's lambda, a custom feature's ``get``) runs under the interpreter lock.
Library worker threads running such callables would hand that lock back and forth on every call and
render more slowly than one thread, so a pipeline holding any is rendered on the calling thread, item
by item. Before each item, the global generators DeepTrack2 code draws from (``np.random``'s functions
and the ``random`` module) are seeded from ``(seed, item)``, so that an item depends only on
(pipeline, seed, item) for callables written with ``np.random`` too, whatever the split of the
dataset across calls or processes; the caller's generator states are restored afterwards.
"""

import contextlib
import os
import random as _pyrandom
import threading
import time
from ctypes import byref, c_size_t, c_void_p

import numpy as np

from . import _core, _lib, errors
from ._lib import lib
from .errors import InvalidArgumentError, OutOfMemoryError

_U64 = (1 << 64) - 1
_M32 = (1 << 32) - 1
# Tags the seeds of the global generators ("dtrd"), so that they differ from small user seeds.
_TAG = 0x64747264


def holds_python(feature):
    """Whether ``feature`` or anything it uses (contained, linked or feature-valued properties) runs a
    Python callable."""
    seen = set()
    todo = [feature]
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if f.__dict__.get("_calls_python"):
            return True
        todo.extend(f.__dict__.get("_refs", ()))
    return False


def sequences_in(feature):
    """The ``Sequence`` features that ``feature`` is or holds (contained, linked or feature-valued
    properties): when there are any, an item of its batch is the list of images it resolves to (a
    movie's frames)."""
    from .sequences import Sequence

    found, seen, todo = [], set(), [feature]
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if isinstance(f, Sequence):
            found.append(f)
        todo.extend(f.__dict__.get("_refs", ()))
    return found


# How long (seconds) a batch waits for the global generators while another thread's batch holds them
# without finishing an item: the same limit as the library's wait behind a running callback
# (``set_callback_wait``). A callable of that batch may be waiting for this thread (a thread it
# started and joins), which would otherwise wait forever.
_WAIT = [10.0]


class _GlobalsTurn:
    """The turn to use the global generators: one thread's batches at a time, re-entrant on that thread
    (a callable may batch another pipeline). Not a lock held while callables run: the turn is a mark,
    and a thread waiting for it gives up with ``BusyError`` after ``_WAIT`` seconds in which the
    holder finished no item."""

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._owner = None
        self._depth = 0
        self._progress = 0  # items finished by the holder (and turns given back)

    def acquire(self):
        """Takes the turn (or takes it again); returns the depth (1 for the outermost batch)."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return self._depth
            seen, since = self._progress, time.monotonic()
            while self._owner is not None:
                if self._progress != seen:
                    seen, since = self._progress, time.monotonic()
                left = _WAIT[0] - (time.monotonic() - since)
                if left <= 0:
                    raise errors.BusyError(
                        _lib.BUSY,
                        "DEEPTRACK_STATUS_BUSY",
                        "np.random and random are held by a batch on another thread whose item has not "
                        f"finished for {_WAIT[0]:g} s (the callback wait limit, set_callback_wait): a "
                        "callable of that batch may be waiting for this thread (a callable must not wait "
                        "for a thread that batches pipelines with Python callables)",
                    )
                self._cond.wait(min(left, 0.5))
            self._owner, self._depth = me, 1
            return 1

    def tick(self):
        """The holder starts another item: waiters wait anew."""
        with self._cond:
            self._progress += 1

    def release(self):
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._progress += 1
                self._cond.notify_all()


_TURN = _GlobalsTurn()


def _new_turn_in_child():
    # A fork child has no thread holding the turn, whatever the parent's threads were doing.
    global _TURN
    _TURN = _GlobalsTurn()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_turn_in_child)


@contextlib.contextmanager
def held_globals():
    """Holds the global generators for this thread's batches: the outermost takes the turn and saves
    their states (saving and restoring numpy's costs about 0.15 ms), and restores them when it ends;
    batches inside it (the chunks of a process batch, or a callable batching another pipeline) reseed
    them without saving again. Raises ``BusyError`` when another thread's batch holds them without
    finishing an item for the callback wait limit."""
    turn = _TURN
    depth = turn.acquire()
    try:
        if depth > 1:
            yield
            return
        np_state = np.random.get_state()
        py_state = _pyrandom.getstate()
        try:
            yield
        finally:
            np.random.set_state(np_state)
            _pyrandom.setstate(py_state)
    finally:
        turn.release()


def seed_globals(seed, item):
    """Seeds ``np.random`` (the legacy global generator behind ``np.random.rand``, ``uniform``, ...)
    and the ``random`` module for item ``item`` of the stream ``seed``."""
    _TURN.tick()
    np.random.seed(np.array([_TAG, seed & _M32, seed >> 32, item & _M32, item >> 32], dtype=np.uint32))
    _pyrandom.seed((_TAG << 128) | (seed << 64) | item)


def check_items(feature, first, count):
    """Refuses a batch whose item indices ``first .. first + count`` go past 2**64 - 1 (an
    ``InvalidArgumentError``, as the library's) and one whose list of ``count`` results cannot be
    allocated (a ``MemoryError`` naming the count), before anything is rendered."""
    if count > 0 and first + count - 1 > _U64:
        raise InvalidArgumentError(
            _lib.INVALID_ARGUMENT,
            "DEEPTRACK_STATUS_INVALID_ARGUMENT",
            f"feature '{feature._name()}': the items first .. first + count (first = {first}, count = {count}) "
            f"go past the last item index {_U64}: first + count - 1 overflows",
        )
    try:
        room = [None] * count
    except (MemoryError, OverflowError):
        raise OutOfMemoryError(
            _lib.OUT_OF_MEMORY,
            "DEEPTRACK_STATUS_OUT_OF_MEMORY",
            f"feature '{feature._name()}': cannot allocate the results of a batch of {count} items",
        ) from None
    del room


def render_serially(feature, count, seed, first, input_ptr, known):
    """Items ``first .. first + count`` of the stream ``seed``, one at a time on this thread, each with
    the global generators seeded for it. Each item is what resolving the pipeline gives: an image, a
    list of several, or, when a custom feature's get returned None, None or ``[]`` as
    ``Feature.resolve`` (``deeptrack_feature_resolve_batch_many``). The lowest failing item's error
    is raised."""
    results = []
    with held_globals(), _core.no_image_scope() as scope:
        for k in range(count):
            item = first + k
            images = _item(feature, input_ptr, known, seed, item, scope)
            results.append(feature._shape_one(images, scope.calls))
    return results


def _item(feature, input_ptr, known, seed, item, scope):
    """The images of one item, rendered with the global generators seeded for it."""
    counts = (c_size_t * 1)()
    total = c_size_t()
    cap = 4
    for _ in range(2):  # a second call when the item gives more images than the guess
        seed_globals(seed, item)
        scope.restart()
        buf = (c_void_p * cap)()
        _core._tls.pending = None
        status = lib.deeptrack_feature_resolve_batch_many(
            feature._h.ptr, input_ptr, seed, item, 1, 1, buf, cap, counts, byref(total)
        )
        if status != _lib.BUFFER_TOO_SMALL:
            break
        cap = total.value
    if status != _lib.OK:
        _core.raise_for(status)
    return [_core.from_library_image(_core.owned_image(buf[i]), known) for i in range(total.value)]


def render_on_threads(feature, count, seed, first, threads, input_ptr, known):
    """Items ``first .. first + count`` of the stream ``seed`` on ``threads`` library worker threads
    (0: one per core), for a pipeline without Python callables."""
    buf = (c_void_p * max(count, 1))()
    _core._tls.pending = None
    status = lib.deeptrack_feature_resolve_batch(feature._h.ptr, input_ptr, seed, first, count, threads, buf)
    if status != _lib.OK:
        _core.raise_for(status)
    return [_core.from_library_image(_core.owned_image(buf[i]), known) for i in range(count)]


def render_lists(feature, count, seed, first, threads, input_ptr, known, sequences):
    """Items ``first .. first + count`` of the stream ``seed`` of a pipeline holding ``sequences``,
    each the list of the images it resolves to (``deeptrack_feature_resolve_batch_many``). A pipeline
    holding Python callables renders item by item on this thread with the global generators seeded
    for each item, as ``render_serially``."""
    lengths = []
    for s in sequences:
        try:
            lengths.append(int(s.sequence_length()))
        except Exception:  # a length the library cannot read now: guessed, then asked for
            pass
    per_item = max([1] + lengths)
    if not feature._holds_python():
        return _lists(feature, input_ptr, known, seed, first, count, threads, per_item)
    items = []
    with held_globals():
        for k in range(count):
            item = first + k
            seed_globals(seed, item)
            items.extend(_lists(feature, input_ptr, known, seed, item, 1, 1, per_item))
    return items


def _lists(feature, input_ptr, known, seed, first, count, threads, per_item):
    counts = (c_size_t * max(count, 1))()
    total = c_size_t()
    cap = count * per_item
    for _ in range(2):  # a second call when the images outnumber the guess (a random length)
        buf = (c_void_p * max(cap, 1))()
        _core._tls.pending = None
        status = lib.deeptrack_feature_resolve_batch_many(
            feature._h.ptr, input_ptr, seed, first, count, threads, buf, cap, counts, byref(total)
        )
        if status != _lib.BUFFER_TOO_SMALL:
            break
        cap = total.value
    if status != _lib.OK:
        _core.raise_for(status)
    images = [_core.from_library_image(_core.owned_image(buf[i]), known) for i in range(total.value)]
    items, at = [], 0
    for k in range(count):
        items.append(images[at : at + counts[k]])
        at += counts[k]
    return items
