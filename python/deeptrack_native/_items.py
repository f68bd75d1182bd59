"""Items of a batch stream with every image each produces: what datasets and ``generate`` render.

``Feature.resolve_batch`` takes pipelines of one image per item. A training pipeline usually produces
more (``pipeline & target``: the image, then the target), so these render items of ``per_item``
images each through ``deeptrack_feature_resolve_batch_with``, with the same items (item ``i`` depends
only on (pipeline, seed, i)) and the same handling of Python callables (rendered on the calling thread,
the global generators seeded per item), and report progress through its callback. Pipelines with
Python callables render on worker processes with :func:`render_on_processes`: the path of
``resolve_batch(processes=N)`` (``_processes``, ``_forked``), through :class:`ItemBatch`.
"""

import re
from ctypes import c_void_p

from . import _batch, _core, _lib, _processes
from .errors import DeepTrackError
from .image import Image
from ._lib import lib

_U64 = (1 << 64) - 1
_COUNT = re.compile(r"produced (\d+) images where \d+ were expected")


def _stream_mix(a, b):
    """A 64-bit hash of two 64-bit integers (SplitMix64's finaliser over their combination)."""
    z = (a ^ ((b + 0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9)) & _U64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _U64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _U64
    return z ^ (z >> 31)


def derived_seed(seed, n):
    """The seed of stream ``n`` derived from ``seed`` (epoch ``n``'s, or the ``n``-th re-draw's): a
    pure function of the two, different for every ``n``."""
    return _stream_mix(int(seed) & _U64, int(n) & _U64)


class _Progress:
    """A ctypes progress callback that calls ``report(done, total)``; an exception in it (Ctrl-C)
    stops the batch and is raised when the batch returns."""

    def __init__(self, report):
        self.report = report
        self.error = None

        def call(_userdata, done, total):
            try:
                self.report(done, total)
                return True
            except BaseException as e:  # noqa: BLE001 - re-raised after the batch
                self.error = e
                return False

        self.fn = _lib.PROGRESS_FN(call)


def _call_batch(feature, input_ptr, seed, first, count, threads, per_item, progress):
    """One ``deeptrack_feature_resolve_batch_with`` call: the owned images, ``count * per_item``."""
    buf = (c_void_p * max(count * per_item, 1))()
    _core._tls.pending = None
    fn = progress.fn if progress is not None else _lib.PROGRESS_FN()
    status = lib.deeptrack_feature_resolve_batch_with(
        feature._h.ptr, input_ptr, seed, first, count, threads, per_item, fn, None, buf
    )
    if progress is not None and progress.error is not None:
        raise progress.error
    if status != _lib.OK:
        _core.raise_for(status)
    return [_core.owned_image(buf[i]) for i in range(count * per_item)]


def probe_item(feature, seed, item, input_ptr=None):
    """Item ``item`` of the stream with every image it produces (1 for most pipelines, 2 for
    ``pipeline & target``): a list of results, found by rendering it."""
    with _batch.held_globals():
        try:
            _batch.seed_globals(seed, item)
            owned = _call_batch(feature, input_ptr, seed, item, 1, 1, 1, None)
        except DeepTrackError as e:
            found = _COUNT.search(str(e))
            if found is None:
                raise
            _batch.seed_globals(seed, item)
            owned = _call_batch(feature, input_ptr, seed, item, 1, 1, int(found.group(1)), None)
    return [_core.from_library_image(o) for o in owned]


def images_per_item(feature, seed, first, input_ptr=None):
    """How many images item ``first`` of the stream produces, found by rendering it."""
    return len(probe_item(feature, seed, first, input_ptr))


def _result(owned, known):
    """A rendered image as a result; an Image also keeps its library image (``_library_owner``), so
    that ground truth can read only the dicts it needs (``_store.table_of``)."""
    result = _core.from_library_image(owned, known)
    if isinstance(result, Image):
        result.__dict__["_library_owner"] = owned
    return result


def render(feature, count, seed, first, per_item, threads=0, input_image=None, report=None):
    """Items ``first .. first + count`` of the stream ``seed``, each a list of ``per_item`` results
    (Images when properties are stored, else read-only arrays). ``report(done, count)`` is called on
    this thread as items finish. Pipelines holding Python callables are rendered on this thread, item by
    item, with ``np.random`` and ``random`` seeded per item (as ``resolve_batch`` does)."""
    _batch.check_items(feature, first, count)
    owner, known = (None, None) if input_image is None else _core.input_image(input_image, "the input image")[:2]
    input_ptr = None if owner is None else owner.ptr
    progress = _Progress(report) if report is not None else None
    items = []
    try:
        if _batch.holds_python(feature):
            with _batch.held_globals():
                for k in range(count):
                    item = first + k
                    _batch.seed_globals(seed, item)
                    owned = _call_batch(feature, input_ptr, seed, item, 1, 1, per_item, None)
                    items.append([_result(o, known) for o in owned])
                    if progress is not None:
                        progress.fn(None, k + 1, count)
                        if progress.error is not None:
                            raise progress.error
        else:
            owned = _call_batch(feature, input_ptr, seed, first, count, threads, per_item, progress)
            for k in range(count):
                items.append([_result(o, known) for o in owned[k * per_item : (k + 1) * per_item]])
    finally:
        _emit_warnings()
    return items


def _emit_warnings():
    from .features import _emit_warnings as emit

    emit()


class ItemBatch:
    """A pipeline of ``per_item`` images per item as the batch worker processes of
    ``resolve_batch(processes=N)`` see a feature (``_processes.render_chunks``): a chunk of ``n``
    items is rendered by :func:`render` and handed over flat, ``n * per_item`` results
    (``_images_per_item`` tells the batch how many to expect). Without input."""

    def __init__(self, pipeline, per_item):
        self.pipeline = pipeline
        self._images_per_item = int(per_item)

    def _holds_python(self):
        return _batch.holds_python(self.pipeline)

    def _batch_input(self, image):
        return None, None

    def _render_batch(self, count, seed, first, threads, batch_input):
        items = render(self.pipeline, count, seed, first, self._images_per_item, threads)
        return [r for item in items for r in item]


def render_on_processes(pipeline, count, seed, first, per_item, processes, threads=0):
    """Items ``first .. first + count`` of the stream ``seed`` (no input), each a list of ``per_item``
    results, rendered by ``processes`` processes (this one included) as ``resolve_batch(processes=N)``
    renders: the same items, images and property dicts as :func:`render` gives in this process."""
    processes = min(int(processes), count)
    if processes < 2:
        return render(pipeline, count, seed, first, per_item, threads)
    flat = _processes.resolve_batch(ItemBatch(pipeline, per_item), count, seed, first, threads, None, processes)
    return [flat[k * per_item : (k + 1) * per_item] for k in range(count)]
