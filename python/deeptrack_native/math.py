"""DeepTrack2's ``math``: numeric transformations of images: normalisations, blurs, poolings, clipping. The classes come from libdeeptrack's registry of kinds (its kinds of
module ``math``), so every kind the library registers there appears here."""

from .features import classes_of

globals().update(classes_of("math"))

__all__ = sorted(classes_of("math"))
