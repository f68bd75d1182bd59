"""DeepTrack2's ``optics``: the optical systems that image a sample. The classes come from libdeeptrack's registry of kinds (its kinds of
module ``optics``), so every kind the library registers there appears here."""

from .features import Microscope, Optics, classes_of

globals().update(classes_of("optics"))

__all__ = sorted(["Microscope", "Optics", *classes_of("optics")])
