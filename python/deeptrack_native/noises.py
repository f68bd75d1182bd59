"""DeepTrack2's ``noises``: noise added to images: Gaussian (real or complex), Poisson, a background or
offset, and ``Noise``, the base class of noises of your own (a custom feature). The classes come from libdeeptrack's registry of kinds (its kinds of
module ``noises``), so every kind the library registers there appears here."""

from .features import Noise, classes_of

globals().update(classes_of("noises"))

from .features import Feature  # noqa: F401,E402  (DeepTrack2's module imports it: `from deeptrack.noises import Feature`)
from .image import Image  # noqa: F401,E402  (likewise)

from .types import PropertyLike  # noqa: F401,E402  (DeepTrack2's noises imports it)

__all__ = sorted([*classes_of("noises"), "Noise"])
