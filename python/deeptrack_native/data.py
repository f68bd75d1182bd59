"""Datasets for training, without any framework: numpy arrays for JAX, TensorFlow, numpy or anything.

:class:`Dataset` makes a simulation pipeline an indexable dataset whose item ``i`` is item ``i`` of
the pipeline's batch stream (``pipeline.resolve_batch(1, seed=seed, first=i)``): a pure function of
(pipeline, seed, i). Any number of data-loader workers, processes or machines that index it see
distinct, reproducible items, with nothing shared between them. Ground truth comes with each item as
DeepTrack2 users write it: a pipeline ``image_pipeline & target`` (a mask pipeline, e.g.
``image_pipeline >> dt.SampleToMasks(...)``, or any feature), or ``target=``, a function of the
image's properties (:func:`positions`, or your own). :meth:`Dataset.set_epoch` re-samples the whole
dataset for a new epoch from a seed derived from the epoch.

``deeptrack_native.pytorch.Dataset`` is the same, as DeepTrack2's ``deeptrack.pytorch.Dataset``
(tensors). :func:`generate` and :func:`load` write datasets to disk and read them back
(``deeptrack_native._store``).
"""

import operator

import numpy as np

from . import _batch, _items, _npseed, _processes
from ._store import generate, load, table_of  # noqa: F401 - the disk half of this module
from .features import Feature
from .image import Image

__all__ = ["Dataset", "generate", "load", "positions", "table_of", "epoch_seed"]


def epoch_seed(seed, epoch):
    """The seed of the stream epoch ``epoch`` of a dataset seeded ``seed`` draws its items from (epoch
    ``None``: ``seed`` itself)."""
    return int(seed) if epoch is None else _items.derived_seed(seed, epoch)


def positions(image, key="position"):
    """The ``key`` property (``position`` by default) of every feature of the image that has one, as
    an ``(n, d)`` float array (``(0, 2)`` when there is none): a particle's pixel position per row, in
    the order the pipeline draws them. A ground truth for ``Dataset(..., target=positions)``; the
    pipeline must store its properties (the dataset then does it for you)."""
    found = image.get_property(key, get_one=False) if isinstance(image, Image) else None
    rows = [np.ravel(np.asarray(p, dtype=float)) for p in (found or [])]
    if not rows:
        return np.zeros((0, 2))
    width = max(r.size for r in rows)
    out = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        out[i, : r.size] = r
    return out


def _as_array(result):
    """A result as a numpy array (an Image's data; arrays and other values as they are)."""
    if isinstance(result, Image):
        return np.asarray(result._value)
    return result


class Dataset:
    """Item ``i`` of a pipeline's batch stream as a dataset item: a tuple of numpy arrays (the
    pipeline's images, then the target's), the same whatever process, worker or machine asks.

    ``pipeline``: the feature to sample; a pipeline ``image & target`` gives ``(image, target)``
    items. ``length``: the number of items (or ``inputs``, one input image per item, as DeepTrack2's
    ``inputs``; ``None`` entries or ``[]`` are no input). ``seed``: the stream (``None``: one drawn
    now from ``np.random``, so ``np.random.seed`` makes it reproducible; it is fixed for the life of
    the dataset, so that workers forked from it agree). ``target``: a feature (the same as ``pipeline &
    target``) or a function of the first image with its properties, returning an array or a tuple of
    arrays appended to the item (:func:`positions`); properties are stored on the pipeline then.
    ``epoch``: the epoch, ``None`` for one fixed dataset (:meth:`set_epoch`). ``threads``: library
    threads for the batches of :meth:`items` and :meth:`batches` (0: one per core). ``processes``:
    for a pipeline holding Python callables (which run one at a time under the interpreter lock, so
    library threads cannot share them), the processes that render those batches, this one included,
    as ``resolve_batch(processes=N)`` does (None or 0: one per core; 1: this process alone); the items
    are the same whichever renders them. Single items (``dataset[i]``, a data loader's) and datasets
    of ``inputs`` render in this process."""

    def __init__(
        self, pipeline, length=None, seed=None, *, inputs=None, target=None, epoch=None, threads=0, processes=None
    ):
        if not isinstance(pipeline, Feature):
            raise TypeError(f"Dataset takes a feature as its pipeline, got a {type(pipeline).__name__}")
        if inputs is None:
            if length is None:
                raise ValueError("Either inputs or length must be specified.")
            length = operator.index(length)
            if length < 0:
                raise ValueError(f"length must not be negative, got {length}")
        else:
            inputs = list(inputs)
            if length is not None and operator.index(length) != len(inputs):
                raise ValueError(f"length is {length} but {len(inputs)} inputs were given")
            length = len(inputs)
        if isinstance(target, Feature):
            pipeline = pipeline & target
            target = None
        elif target is not None and not callable(target):
            raise TypeError(f"target must be a feature or a callable, got a {type(target).__name__}")
        if target is not None:
            pipeline.store_properties()
        if seed is None:
            seed = _npseed.draw()
        seed = int(seed)
        if not 0 <= seed < 2**64:
            raise ValueError(f"seed must be an integer in [0, 2**64), got {seed}")
        self.pipeline = pipeline
        self.inputs = inputs
        self._given_inputs = inputs is not None
        self.length = length
        self.seed = seed
        self.target = target
        self.epoch = epoch
        self.threads = int(threads)
        if processes is not None and operator.index(processes) < 0:
            raise ValueError(f"processes must not be negative, got {processes}")
        self.processes = None if processes is None else operator.index(processes)
        self._per_item = None

    # -- the stream ------------------------------------------------------------------------------

    def set_epoch(self, epoch):
        """Makes the items those of epoch ``epoch`` (an integer; ``None``: the fixed dataset): every
        item is re-drawn from :func:`epoch_seed` ``(seed, epoch)``. Call it before each epoch (in the
        process that starts the workers: with ``persistent_workers`` they keep the epoch they had)."""
        self.epoch = None if epoch is None else operator.index(epoch)

    @property
    def stream_seed(self):
        """The seed of the stream the current epoch's items are drawn from."""
        return epoch_seed(self.seed, self.epoch)

    def __len__(self):
        return self.length

    def _index(self, index):
        i = operator.index(index)
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError(f"dataset index {index} out of range for {self.length} items")
        return i

    def _input(self, i):
        if self.inputs is None:
            return None
        x = self.inputs[i]
        if x is None or (isinstance(x, (list, tuple)) and len(x) == 0):
            return None
        return x

    def _images_per_item(self, stream):
        if self._per_item is None:
            first = self._input(0) if self.length else None
            owner = None
            if first is not None:
                from . import _core

                owner = _core.input_image(first, "the input image")[0]
            self._per_item = _items.images_per_item(self.pipeline, stream, 0, None if owner is None else owner.ptr)
        return self._per_item

    def _render(self, start, count, stream, threads, report=None, processes=1):
        """Items ``start .. start + count`` of the stream ``stream``, as tuples of arrays; on
        ``processes`` processes when the pipeline holds Python callables (0: one per core)."""
        per_item = self._images_per_item(stream)
        if not self._given_inputs and count > 1 and processes != 1 and _batch.holds_python(self.pipeline):
            processes = processes or _processes.cpu_count()
            raw = _items.render_on_processes(self.pipeline, count, stream, start, per_item, processes, threads)
            if report is not None:
                report(count, count)
        elif not self._given_inputs:
            raw = _items.render(self.pipeline, count, stream, start, per_item, threads, None, report)
        else:
            raw = []
            for k in range(count):
                raw += _items.render(self.pipeline, 1, stream, start + k, per_item, threads, self._input(start + k))
                if report is not None:
                    report(k + 1, count)
        return [self._item(results) for results in raw]

    def _item(self, results):
        to_tensor = self.pipeline.__dict__.get("_to_tensor")  # pipeline >> pytorch.ToTensor(...)
        out = [_as_array(r) for r in results] if to_tensor is None else [to_tensor.convert(r) for r in results]
        if self.target is not None:
            truth = self.target(results[0])
            out.extend(truth if isinstance(truth, tuple) else (truth,))
        return tuple(out)

    # -- access ----------------------------------------------------------------------------------

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.length))]
        return self._render(self._index(index), 1, self.stream_seed, 1)[0]

    def items(self, start=0, stop=None):
        """Items ``start .. stop`` (default: to the end) in one batch, on ``threads`` library threads
        (or ``processes`` processes for a pipeline holding Python callables): a list of tuples."""
        stop = self.length if stop is None else min(int(stop), self.length)
        start = max(0, int(start))
        if stop <= start:
            return []
        return self._render(start, stop - start, self.stream_seed, self.threads, processes=self.processes or 0)

    def __iter__(self):
        for batch in self.batches(64, stack=False):
            yield from batch

    def batches(self, batch_size, stack=True, drop_last=False):
        """The dataset in order, ``batch_size`` items at a time (each batch rendered at once on
        ``threads`` library threads, or on ``processes`` processes for a pipeline holding Python
        callables). With ``stack``, a batch is a tuple of arrays, one per item
        component, stacked on a new first axis (a component whose arrays differ in shape, as
        :func:`positions` of images with different particle counts, is a list instead); otherwise a
        list of item tuples."""
        batch_size = operator.index(batch_size)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        for start in range(0, self.length, batch_size):
            if drop_last and start + batch_size > self.length:
                return
            items = self.items(start, start + batch_size)
            yield stack_items(items) if stack else items


def stack_items(items):
    """A list of item tuples as a tuple of stacked components (lists where shapes differ)."""
    if not items:
        return ()
    out = []
    for parts in zip(*items):
        arrays = [np.asarray(p) for p in parts]
        if all(a.shape == arrays[0].shape for a in arrays):
            out.append(np.stack(arrays))
        else:
            out.append(list(arrays))
    return tuple(out)
