"""DeepTrack2's ``units`` (``dt.units.um``, ``0.5 * dt.units.um``, ``dt.units.pixel``): a pint
``UnitRegistry`` with DeepTrack2's pixel units, and :class:`ConversionTable`.

As in DeepTrack2 2.0.1 the registry is pint's default one with its printers' pixel taken out and
DeepTrack2's pixel units in: ``pixel`` (``px``), ``xpixel``/``ypixel``/``zpixel`` (``xpx`` ...) and
``simulation_xpixel``/``_ypixel``/``_zpixel`` (``sxpx`` ...), each 1 micrometer. It is built from
pint's own definition files the first time a unit is asked for (pint is imported then, not with the
package).

A quantity given as a property value (or returned by a property's callable) becomes a number in SI
base units: a length in meters, an angle in radians (``30 * units.degree``), a time in seconds. A
quantity in pixels given to a length in meters (a scatterer's ``radius``) is converted, as
DeepTrack2's conversion tables do, with the pixel size of the optics imaging the feature
(``resolution / magnification``; 1 µm outside a microscope) when the feature is sampled; given to any
other property (``position``), it is its number of pixels.
"""

import sys

__all__ = ["ConversionTable", "registry", "is_quantity", "is_pixels", "is_length", "property_value"]

# DeepTrack2's pixel units (their names and sizes are DeepTrack2's API).
_PIXEL_UNITS = [
    "pixel = 1 micrometer = px",
    "xpixel = 1 micrometer = xpx",
    "ypixel = 1 micrometer = ypx",
    "zpixel = 1 micrometer = zpx",
    "simulation_xpixel = 1 micrometer = sxpx",
    "simulation_ypixel = 1 micrometer = sypx",
    "simulation_zpixel = 1 micrometer = szpx",
]
# pint's printers' units that clash with them (pint's pixel is a printing dot; its css_pixel is `px`).
_CLASHING = ("css_pixel ", "pixel ", "pixels_per_centimeter ", "pixels_per_inch ", "bits_per_pixel ")

_REGISTRY = []


def _definitions():
    """pint's default definitions (its constants inlined), without the clashing printers' units, and
    DeepTrack2's pixel units."""
    from importlib import resources

    root = resources.files("pint")
    lines = []
    for line in (root / "default_en.txt").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("@import "):
            lines.extend((root / stripped.split()[1]).read_text(encoding="utf-8").splitlines())
        elif not stripped.startswith(_CLASHING):
            lines.append(line)
    return lines + _PIXEL_UNITS


def registry():
    """The unit registry (``deeptrack_native.units`` forwards every other name to it)."""
    if not _REGISTRY:
        import pint

        _REGISTRY.append(pint.UnitRegistry(_definitions()))
    return _REGISTRY[0]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    if name == "DimensionalityError":
        import pint

        return pint.DimensionalityError
    return getattr(registry(), name)


def is_quantity(value):
    """Whether ``value`` is a pint quantity (of this registry or another)."""
    pint = sys.modules.get("pint")
    return pint is not None and isinstance(value, pint.Quantity)


def is_pixels(value):
    """Whether ``value`` is a quantity in pixels (DeepTrack2's ``pixel``/``px``)."""
    return is_quantity(value) and str(value.units) == "pixel"


def is_length(value):
    """Whether ``value`` is a quantity of length other than pixels (meters, micrometers, ...)."""
    return is_quantity(value) and not is_pixels(value) and value.dimensionality == {"[length]": 1}


def property_value(q, what=None):
    """What a quantity given as the value of a property becomes (see the module's doc): a number of
    pixels for a quantity in pixels, else its magnitude in SI base units."""
    if is_pixels(q):
        return q.magnitude
    return q.to_base_units().magnitude


class ConversionTable:
    """DeepTrack2's ``ConversionTable``: ``ConversionTable(key=(default_unit, desired_unit), ...)``;
    ``convert(**values)`` gives the values with each listed key as a quantity in its desired unit (a
    number, list, tuple or array taken in the default unit); other keys and values are unchanged."""

    def __init__(self, **conversions):
        import pint

        for key, value in conversions.items():
            if not (
                isinstance(value, tuple)
                and len(value) == 2
                and all(isinstance(unit, pint.Unit) for unit in value)
            ):
                raise TypeError(
                    f"ConversionTable: '{key}' must be a tuple of two units (default, desired), got {value!r}"
                )
        self.conversions = conversions

    def convert(self, **kwargs):
        """``kwargs`` with the listed keys converted (see the class)."""
        import numpy as np

        for key, (default_unit, desired_unit) in self.conversions.items():
            if key not in kwargs:
                continue
            quantity = kwargs[key]
            if not (is_quantity(quantity) or isinstance(quantity, (int, float, list, tuple, np.ndarray))):
                continue
            if not is_quantity(quantity):
                quantity = quantity * default_unit
            kwargs[key] = quantity.to(desired_unit).to_reduced_units()
        return kwargs
