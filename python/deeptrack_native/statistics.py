"""DeepTrack2's ``statistics`` module: numpy reductions over axes (``Sum``, ``Mean``, ``Median``,
``Quantile``, ...) and ``Cumsum``, each image on its own (``distributed=True``) or the list of images
stacked (``distributed=False``). The classes come from libdeeptrack's registry of kinds (its kinds of
module ``statistics``)."""

from .features import Reducer, classes_of

globals().update(classes_of("statistics"))

from .features import Feature  # noqa: F401,E402  (DeepTrack2's module imports it: `from deeptrack.statistics import Feature`)
from .image import Image  # noqa: F401,E402  (likewise)

__all__ = sorted([*classes_of("statistics"), "Reducer"])
