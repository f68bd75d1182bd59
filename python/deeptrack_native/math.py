"""DeepTrack2's ``math``: numeric transformations of images: normalisations, blurs, poolings, clipping. The classes come from libdeeptrack's registry of kinds (its kinds of
module ``math``), so every kind the library registers there appears here."""

from .features import classes_of

globals().update(classes_of("math"))

from .features import Feature  # noqa: F401,E402  (DeepTrack2's module imports it: `from deeptrack.math import Feature`)
from .image import Image  # noqa: F401,E402  (likewise)

from .image import strip  # noqa: F401,E402  (DeepTrack2's math imports it)
from .types import PropertyLike  # noqa: F401,E402  (likewise)

from . import utils  # noqa: F401,E402  (DeepTrack2's math imports it)

__all__ = sorted(classes_of("math"))
