"""DeepTrack2's ``deeptrack.types``: the type aliases its signatures use.

- ``PropertyLike[T]``: a ``T`` or a callable returning one (a property's value or rule);
- ``ArrayLike[T]``: a tuple or list of ``T``, or a numpy array;
- ``NumberLike``: a number or a numpy array (and a ``torch.Tensor`` when torch is already imported;
  this module never imports it, nor CuPy).
"""

import sys
from typing import Callable, List, Tuple, TypeVar, Union

import numpy as np

__all__ = ["PropertyLike", "ArrayLike", "NumberLike"]

_T = TypeVar("_T")

PropertyLike = Union[_T, Callable[..., _T]]
ArrayLike = Union[Tuple[_T, ...], List[_T], np.ndarray]
NumberLike = Union[np.ndarray, int, float, bool, complex]

if "torch" in sys.modules:
    NumberLike = Union[NumberLike, sys.modules["torch"].Tensor]
