"""DeepTrack2's ``deeptrack.pytorch`` over deeptrack_native: :class:`Dataset` (``torch.utils.data``),
whose item ``i`` is item ``i`` of the pipeline's batch stream, so that data-loader workers see distinct,
reproducible items, and :class:`ToTensor`. Importing it imports torch; :mod:`deeptrack_native.data` is the same without torch.
"""

import torch  # noqa: F401 - as DeepTrack2: this module needs torch

from .data import Dataset
from .features import ToTensor

__all__ = ["Dataset", "ToTensor"]
