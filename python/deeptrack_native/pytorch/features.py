"""``ToTensor``: DeepTrack2 2.0.1's ``deeptrack.pytorch.ToTensor`` (``dtype``, ``device``,
``add_dim_to_number``, ``permute_mode``).

The library computes on numpy-like arrays, so a torch tensor cannot travel through a pipeline: a
``ToTensor`` converts the results where they leave the library. ``pipeline >> ToTensor(...)`` is a
pipeline whose ``resolve``/``resolve_batch`` (and the datasets of :mod:`deeptrack_native.data` and
:mod:`deeptrack_native.pytorch`) give tensors; the chain inside the library is ``pipeline`` alone (no
Python callable is added, so batches still run on library threads). ``ToTensor()`` resolved on its own
converts its input. A feature chained after it computes on arrays again (the results are arrays).
"""

import numpy as np
import torch

from ..features import Chain, Feature, _builtin

_PERMUTE_MODES = ("always", "never", "numpy", "numpy_and_not_int")
_INTS = (torch.int8, torch.int16, torch.int32, torch.int64)


class ToTensor(Feature):
    """Converts results to torch tensors, as DeepTrack2's ``ToTensor``: arrays (and Images) with
    ``torch.from_numpy`` (a copy when read-only or with negative strides), numbers stay numbers unless
    ``add_dim_to_number`` (a 1-element tensor); ``permute_mode`` moves the last axis first ("always",
    "numpy": arrays, "numpy_and_not_int": arrays not of an integer ``dtype``, "never"); then ``dtype``
    and ``device``. A list of results gives a list of tensors."""

    def __init__(self, dtype=None, device=None, add_dim_to_number=False, permute_mode="never", **kwargs):
        if permute_mode not in _PERMUTE_MODES:
            raise ValueError(f"ToTensor: permute_mode must be one of {', '.join(_PERMUTE_MODES)}, got {permute_mode!r}")
        self.__dict__["_options"] = (dtype, device, bool(add_dim_to_number), permute_mode)
        self.__dict__["_after_chain"] = lambda pipeline: TensorChain(pipeline, self)
        super().__init__(**kwargs)

    def get(self, image, **kwargs):
        return image  # in the library: the input, converted where it leaves (resolve)

    def resolve(self, image=None, **kwargs):
        return self.convert(super().resolve(image, **kwargs))

    def convert(self, x):
        """``x`` (a result, or a list of them) as tensors."""
        if isinstance(x, list):
            return [self.convert(v) for v in x]
        dtype, device, add_dim_to_number, permute_mode = self._options
        is_numpy = not isinstance(x, (torch.Tensor, bool, int, float, complex))
        if isinstance(x, torch.Tensor):
            pass
        elif isinstance(x, (bool, int, float, complex)):
            if not add_dim_to_number:
                return x
            x = torch.tensor([x])
        else:
            a = np.asarray(x)
            if not a.flags.writeable or any(s < 0 for s in a.strides):
                a = a.copy()
            x = torch.from_numpy(a)
        target = dtype or x.dtype
        if (
            permute_mode == "always"
            or (permute_mode == "numpy" and is_numpy)
            or (permute_mode == "numpy_and_not_int" and is_numpy and target not in _INTS)
        ):
            x = x.permute(-1, *range(x.dim() - 1))
        if dtype:
            x = x.to(dtype)
        if device:
            x = x.to(device)
        return x


class TensorChain(Chain):
    """``pipeline >> ToTensor(...)``: ``pipeline``'s results as tensors."""

    def __init__(self, pipeline, to_tensor, **kwargs):
        self.__dict__["_to_tensor"] = to_tensor
        super().__init__(pipeline, _builtin("DummyFeature")(), **kwargs)

    def resolve(self, image=None, **kwargs):
        return self._to_tensor.convert(super().resolve(image, **kwargs))

    def resolve_batch(self, *args, **kwargs):
        return [self._to_tensor.convert(r) for r in super().resolve_batch(*args, **kwargs)]
