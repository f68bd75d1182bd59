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

__all__ = [
    "ConversionTable",
    "registry",
    "is_quantity",
    "is_pixels",
    "is_length",
    "property_value",
    "get_active_scale",
    "get_active_voxel_size",
    "create_context",
]

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


def get_active_voxel_size():
    """DeepTrack2's ``get_active_voxel_size``: the simulation voxel's size in meters, ``(x, y, z)``, as
    the registry's active definitions give it (``simulation_xpixel`` ..., 1 µm unless a context from
    :func:`create_context` is active on :func:`registry`)."""
    u = registry()
    return tuple((1 * unit).to(u.m).magnitude for unit in (u.sxpx, u.sypx, u.szpx))


def get_active_scale():
    """DeepTrack2's ``get_active_scale``: how many simulation pixels make a pixel along x, y and z,
    ``(pixel / simulation_pixel)`` under the registry's active definitions (1 where it is 0)."""
    u = registry()
    return tuple(
        (1 * a / b).to_base_units().magnitude or 1 for a, b in ((u.xpx, u.sxpx), (u.ypx, u.sypx), (u.zpx, u.szpx))
    )


def create_context(xpixel=None, ypixel=None, zpixel=None, xscale=None, yscale=None, zscale=None):
    """DeepTrack2's ``create_context``: a pint ``Context`` redefining the pixel units, to activate on
    :func:`registry` (``with registry().context(ctx): ...``). A size not given (or 0) is the active
    one, in meters; a scale given multiplies the active scale (an int), and the simulation pixels are
    the pixels divided by it.

    The library converts quantities in pixels with the pixel size of the optics imaging a feature
    (see the module's doc), not with the registry's definitions: a context changes what pint
    computes with these units (``(1 * units.px).to("m")``), not how features are sampled."""
    import pint

    u = registry()
    current = [(1 * unit).to(u.meter).magnitude for unit in (u.xpx, u.ypx, u.zpx)]
    scales = get_active_scale()
    pixels = [given if given else now for given, now in zip((xpixel, ypixel, zpixel), current)]
    factors = [int(given * now) if given else int(now) for given, now in zip((xscale, yscale, zscale), scales)]
    ctx = pint.Context()
    ctx.redefine(f"pixel = {pixels[0]} meter")
    for axis, size, factor in zip("xyz", pixels, factors):
        ctx.redefine(f"{axis}pixel = {size} meter")
        ctx.redefine(f"simulation_{axis}pixel = {size / factor} meter")
    return ctx


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
