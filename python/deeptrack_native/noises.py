"""DeepTrack2's ``noises``: noise added to images: Gaussian (real or complex), Poisson, a background or
offset, and ``Noise``, the base class of noises of your own (a custom feature). The classes come from libdeeptrack's registry of kinds (its kinds of
module ``noises``), so every kind the library registers there appears here."""

from .features import Noise, classes_of

globals().update(classes_of("noises"))

__all__ = sorted([*classes_of("noises"), "Noise"])
