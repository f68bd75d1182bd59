"""DeepTrack2's ``deeptrack.sources``: data sources whose items drive a pipeline's properties.

``Source(a=[...], b=[...])`` holds columns of equal length; ``source.a`` is a callable node giving
column ``a``'s value at the source's current item, usable as a property's rule
(``dt.Value(source.a)``); calling a pipeline with an item (``pipeline(source[1])``) makes it the
current one, and the properties that read the source take its values (the others keep their
samples, as in DeepTrack2). ``Product``, ``Subset``, ``Join`` (``Sources``), ``random_split``,
``ImageFolder``, and the per-item generators ``NumpyRNG`` and ``PythonRNG``, as DeepTrack2 2.0.1.
"""

from .base import Join, Product, Source, SourceItem, SourceNode, Sources, Subset, random_split
from .folder import ImageFolder
from .rng import NumpyRNG, PythonRNG

__all__ = [
    "Source",
    "SourceItem",
    "SourceNode",
    "Product",
    "Subset",
    "Sources",
    "Join",
    "random_split",
    "ImageFolder",
    "NumpyRNG",
    "PythonRNG",
]
