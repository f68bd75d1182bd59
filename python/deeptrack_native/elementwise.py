"""DeepTrack2's ``elementwise`` module: one numpy function applied to every sample (``Sin``, ``Log``,
``Abs``, ...), as ``feature >> Sin()`` or ``Sin(feature)``. The classes come from libdeeptrack's
registry of kinds (its kinds of module ``elementwise``)."""

from .features import ElementwiseFeature, classes_of

globals().update(classes_of("elementwise"))

from .features import Feature  # noqa: F401,E402  (DeepTrack2's module imports it: `from deeptrack.elementwise import Feature`)
from .image import Image  # noqa: F401,E402  (likewise)

__all__ = ["ElementwiseFeature", *sorted(classes_of("elementwise"))]
