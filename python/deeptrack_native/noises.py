"""DeepTrack2's ``noises``: noise added to images: Gaussian, Poisson, a background or offset. The classes come from libdeeptrack's registry of kinds (its kinds of
module ``noises``), so every kind the library registers there appears here."""

from .features import classes_of

globals().update(classes_of("noises"))

__all__ = sorted(classes_of("noises"))
