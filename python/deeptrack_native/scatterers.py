"""DeepTrack2's ``scatterers``: the objects images are made of: point particles, spheres, ellipses, ellipsoids. The classes come from libdeeptrack's registry of kinds (its kinds of
module ``scatterers``), so every kind the library registers there appears here."""

from .features import MieScatterer, Scatterer, classes_of

globals().update(classes_of("scatterers"))

__all__ = sorted({*classes_of("scatterers"), "MieScatterer", "Scatterer"})
