"""DeepTrack2's ``elementwise`` module: one numpy function applied to every sample (``Sin``, ``Log``,
``Abs``, ...), as ``feature >> Sin()`` or ``Sin(feature)``. The classes come from libdeeptrack's
registry of kinds (its kinds of module ``elementwise``)."""

from .features import ElementwiseFeature, classes_of

globals().update(classes_of("elementwise"))

__all__ = ["ElementwiseFeature", *sorted(classes_of("elementwise"))]
