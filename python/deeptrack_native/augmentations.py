"""DeepTrack2's ``augmentations``: geometric augmentations: flips, padding, cropping. The classes come from libdeeptrack's registry of kinds (its kinds of
module ``augmentations``), so every kind the library registers there appears here."""

from .features import Augmentation, classes_of

globals().update(classes_of("augmentations"))

from .features import Feature  # noqa: F401,E402  (DeepTrack2's module imports it: `from deeptrack.augmentations import Feature`)
from .image import Image  # noqa: F401,E402  (likewise)

from .types import ArrayLike, PropertyLike  # noqa: F401,E402  (DeepTrack2's augmentations imports them)

from . import utils  # noqa: F401,E402  (DeepTrack2's augmentations imports it)

__all__ = sorted([*classes_of("augmentations"), "Augmentation"])
