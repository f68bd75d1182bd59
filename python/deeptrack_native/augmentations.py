"""DeepTrack2's ``augmentations``: geometric augmentations: flips, padding, cropping. The classes come from libdeeptrack's registry of kinds (its kinds of
module ``augmentations``), so every kind the library registers there appears here."""

from .features import Augmentation, classes_of

globals().update(classes_of("augmentations"))

__all__ = sorted([*classes_of("augmentations"), "Augmentation"])
