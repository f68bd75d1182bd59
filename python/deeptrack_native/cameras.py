"""Cameras (not in DeepTrack2): ``Camera`` turns the optics' output, read as a photon flux, into what a
CCD, EMCCD or sCMOS camera records, in ADU (shot noise, dark current, EM gain, read noise, offset, ADC
gain, bit depth, saturation, binning, per-pixel sCMOS maps). The classes come from libdeeptrack's
registry of kinds (its kinds of module ``cameras``). :func:`photons_per_unit` gives a camera the scale
of a fluorophore's photon budget (``deeptrack_camera_photons_per_unit``)."""

from ctypes import byref, c_double

from ._core import call
from ._lib import lib
from .features import Feature, classes_of

globals().update(classes_of("cameras"))


def photons_per_unit(optics, photons, exposure_time=1.0):
    """The ``photons_per_unit`` of a :class:`Camera` behind ``optics`` such that a point particle of
    ``intensity`` 1 at the centre of the optics' output region delivers ``photons`` photons in total
    onto the sensor in an exposure of ``exposure_time`` seconds (give the camera the same
    ``exposure_time``); a particle of intensity ``I`` then delivers ``I · photons``, up to the part of
    its PSF that falls outside the field when it is off-centre. The optics' PSF normalisation depends
    on its NA, wavelength, magnification, resolution and field, so it is measured: a copy of
    ``optics`` (not touched; its random properties sampled once) images one point particle. Raises a
    ``DeepTrackError`` for negative ``photons``, an ``exposure_time`` not above 0, or optics whose
    image is not proportional to a particle's intensity (brightfield: not a fluorophore's light)."""
    if not isinstance(optics, Feature):
        kind = type(optics).__name__
        raise TypeError(f"photons_per_unit: optics must be a feature (e.g. dt.Fluorescence(...)), got {kind}")
    out = c_double()
    call(lib.deeptrack_camera_photons_per_unit, optics._h.ptr, float(photons), float(exposure_time), byref(out))
    return out.value


__all__ = sorted(classes_of("cameras")) + ["photons_per_unit"]
