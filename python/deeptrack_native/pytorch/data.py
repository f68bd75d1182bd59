"""``Dataset``: DeepTrack2 2.0.1's ``deeptrack.pytorch.Dataset`` (``pipeline, inputs, length, replace,
float_dtype``), its items drawn from the pipeline's batch stream.

DeepTrack2 resolves ``pipeline.update()`` then ``pipeline(inputs[index])`` for an item, drawing from
the global generators: each data-loader worker, forked with the same generator state, draws the same
samples, and two workers give duplicate batches. Here item ``index`` is item ``index`` of the stream
``seed`` (:class:`deeptrack_native.data.Dataset`), whichever worker or process renders it.
"""

import numpy as np
import torch

from .. import data as _data

_UNSIGNED = (np.uint8, np.uint16, np.uint32, np.uint64)


class Dataset(torch.utils.data.Dataset, _data.Dataset):
    """A ``torch.utils.data.Dataset`` of the pipeline's items: tuples of tensors (the pipeline's images,
    then the target's).

    As DeepTrack2's: ``inputs`` (one input per item) or ``length``; ``replace``: whether an item is
    re-drawn when it is read again (False: computed once and kept, True: every read, a float in [0,
    1]: with that probability, a callable: when it returns true, called without arguments or with the
    index); ``float_dtype``: the dtype of floating-point tensors (``"default"``: torch's default; None
    keeps float64). Images of more than 2 dimensions become channel-first (the last axis moved first),
    integers become ``torch.long``.

    Beyond DeepTrack2's: ``seed`` (the stream; None draws one from ``np.random`` now), ``target`` (a
    feature, or a function of the image with its properties, see :class:`deeptrack_native.data.Dataset`),
    ``epoch`` and :meth:`set_epoch` (re-draw every item from a seed derived from the epoch), ``threads``
    (library threads for one item: None means one inside a data-loader worker, one per core else).

    A re-drawn item (``replace``) is item ``index`` of the stream derived from the epoch's seed and the
    number of times this object re-drew it, so it is reproducible in one process; workers re-created
    every epoch start from their copy of the dataset again: use ``set_epoch`` for fresh items per epoch."""

    def __init__(
        self,
        pipeline,
        inputs=None,
        length=None,
        replace=False,
        float_dtype="default",
        *,
        seed=None,
        target=None,
        epoch=None,
        threads=None,
    ):
        _data.Dataset.__init__(self, pipeline, length, seed, inputs=inputs, target=target, epoch=epoch, threads=0)
        if inputs is None:
            self.inputs = [[]] * self.length
        self.replace = replace
        self.item_threads = threads
        self.data = [None] * self.length
        self._draws = [0] * self.length
        self._data_epoch = self.epoch
        if float_dtype == "default":
            float_dtype = torch.get_default_dtype()
        self.float_dtype = float_dtype

    def set_epoch(self, epoch):
        _data.Dataset.set_epoch(self, epoch)

    def __len__(self):
        return self.length

    def __iter__(self):
        for i in range(self.length):
            yield self[i]

    def __getitem__(self, index):
        index = self._index(index)
        if self._data_epoch != self.epoch:
            # A new epoch: every item is drawn again.
            self.data = [None] * self.length
            self._draws = [0] * self.length
            self._data_epoch = self.epoch
        if self.data[index] is None or self._should_replace(index):
            if self.data[index] is not None:
                self._draws[index] += 1
            stream = self.stream_seed
            if self._draws[index]:
                stream = _data._items.derived_seed(stream, self._draws[index])
            threads = self.item_threads
            if threads is None:
                threads = 1 if torch.utils.data.get_worker_info() is not None else 0
            item = self._render(index, 1, stream, threads)[0]
            self.data[index] = tuple(self._as_tensor(x) for x in item)
        return self.data[index]

    def _as_tensor(self, x):
        """DeepTrack2's conversion: numbers as 1-element tensors, arrays as tensors (channel-first past
        2 dimensions, unsigned integers excepted), floats as ``float_dtype``, integers as long."""
        if isinstance(x, torch.Tensor):
            pass
        elif isinstance(x, (bool, int, float)):
            x = torch.from_numpy(np.array([x]))
        else:
            a = np.asarray(x)
            if not a.flags.writeable or any(s < 0 for s in a.strides):
                a = a.copy()
            x = torch.from_numpy(a)
            if x.ndim > 2 and a.dtype.type not in _UNSIGNED:
                x = x.permute(-1, *range(x.ndim - 1))
        if self.float_dtype and x.dtype in (torch.float16, torch.float32, torch.float64):
            x = x.to(self.float_dtype)
        if x.dtype in (torch.int8, torch.int16, torch.int32, torch.int64):
            x = x.to(torch.long)
        return x

    def _should_replace(self, index):
        if isinstance(self.replace, bool):
            return self.replace
        if callable(self.replace):
            try:
                return self.replace()
            except TypeError:
                return self.replace(index)
        if isinstance(self.replace, float) and 0 <= self.replace <= 1:
            return np.random.rand() < self.replace
        raise TypeError("replace must be a boolean, a float between 0 and 1, or a callable.")
