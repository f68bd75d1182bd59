"""Cameras (not in DeepTrack2): ``Camera`` turns the optics' output, read as a photon flux, into what a
CCD, EMCCD or sCMOS camera records, in ADU (shot noise, dark current, EM gain, read noise, offset, ADC
gain, bit depth, saturation, binning, per-pixel sCMOS maps). The classes come from libdeeptrack's
registry of kinds (its kinds of module ``cameras``)."""

from .features import classes_of

globals().update(classes_of("cameras"))

__all__ = sorted(classes_of("cameras"))
