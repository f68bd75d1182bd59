"""DeepTrack2's ``units`` (``dt.units.um``, ``0.5 * dt.units.um``), the subset deeptrack_native uses,
without pint: lengths (``m``, ``mm``, ``um``/``micrometer``/``micron``, ``nm``, ...), pixels
(``pixel``/``pixels``/``px``) and ``dimensionless``.

A :class:`Quantity` is a magnitude (a number or an array) with a unit; given as a property value, a
length becomes its value in meters (the unit of the scatterers' ``radius`` and the optics' lengths),
and a dimensionless quantity its magnitude. A quantity in pixels given to a length in meters (a
scatterer's ``radius``) is converted, as DeepTrack2's conversion tables do, with the pixel size of
the optics imaging the feature (``resolution / magnification``; 1 µm outside a microscope), when the
feature is sampled; given to any other property (``position``), it is its number of pixels.
"""

import numbers

import numpy as np

__all__ = ["Unit", "Quantity", "DimensionalityError"]


class DimensionalityError(ValueError):
    """A conversion between units of different kinds (pint's name)."""


class Unit:
    """A unit: its name, its kind (``"length"``, ``"pixel"``, ``"dimensionless"``) and its size in the
    base unit of its kind (meters, pixels, 1)."""

    __slots__ = ("name", "kind", "factor")
    __array_ufunc__ = None  # ``array * unit`` is a Quantity, not an array of objects

    def __init__(self, name, kind, factor):
        self.name, self.kind, self.factor = name, kind, float(factor)

    def __mul__(self, magnitude):
        if isinstance(magnitude, (Unit, Quantity)):
            raise TypeError("products of units are not supported by deeptrack_native.units")
        return Quantity(magnitude, self)

    __rmul__ = __mul__

    def __rtruediv__(self, magnitude):
        raise TypeError("inverse units are not supported by deeptrack_native.units")

    def __eq__(self, other):
        return isinstance(other, Unit) and (self.kind, self.factor) == (other.kind, other.factor)

    def __hash__(self):
        return hash((self.kind, self.factor))

    def __repr__(self):
        return f"<Unit('{self.name}')>"


class Quantity:
    """A magnitude with a :class:`Unit` (pint's ``Quantity``, for one unit)."""

    __array_ufunc__ = None  # numpy arrays defer to Quantity's reflected operators

    def __init__(self, magnitude, unit):
        if isinstance(unit, str):
            unit = _lookup(unit)
        self.magnitude = magnitude
        self.units = unit

    @property
    def m(self):
        """The magnitude (pint's shorthand)."""
        return self.magnitude

    def to(self, unit):
        """The same quantity in ``unit`` (of the same kind)."""
        unit = _lookup(unit) if isinstance(unit, str) else unit
        if unit.kind != self.units.kind:
            raise DimensionalityError(f"cannot convert from '{self.units.name}' to '{unit.name}'")
        return Quantity(np.multiply(self.magnitude, self.units.factor / unit.factor), unit)

    def to_base_units(self):
        """The quantity in the base unit of its kind (meters, pixels, dimensionless)."""
        return self.to(_BASE[self.units.kind])

    def m_as(self, unit):
        """The magnitude in ``unit``."""
        return self.to(unit).magnitude

    def _scaled(self, op, other, reflected=False):
        if isinstance(other, (Quantity, Unit)):
            raise TypeError("products of quantities are not supported by deeptrack_native.units")
        a, b = (other, self.magnitude) if reflected else (self.magnitude, other)
        return Quantity(op(a, b), self.units)

    def __mul__(self, other):
        return self._scaled(np.multiply, other)

    def __rmul__(self, other):
        return self._scaled(np.multiply, other, True)

    def __truediv__(self, other):
        return self._scaled(np.divide, other)

    def __neg__(self):
        return Quantity(-np.asarray(self.magnitude) if isinstance(self.magnitude, np.ndarray) else -self.magnitude, self.units)

    def _same_kind(self, op, other, reflected=False):
        if not isinstance(other, Quantity):
            if self.units.kind == "dimensionless" and isinstance(other, (numbers.Number, np.ndarray)):
                other = Quantity(other, self.units)
            else:
                raise DimensionalityError(f"cannot add or compare '{self.units.name}' and a plain number")
        other = other.to(self.units)
        a, b = (other.magnitude, self.magnitude) if reflected else (self.magnitude, other.magnitude)
        return op(a, b)

    def __add__(self, other):
        return Quantity(self._same_kind(np.add, other), self.units)

    def __radd__(self, other):
        return Quantity(self._same_kind(np.add, other, True), self.units)

    def __sub__(self, other):
        return Quantity(self._same_kind(np.subtract, other), self.units)

    def __rsub__(self, other):
        return Quantity(self._same_kind(np.subtract, other, True), self.units)

    def __lt__(self, other):
        return self._same_kind(np.less, other)

    def __gt__(self, other):
        return self._same_kind(np.greater, other)

    def __eq__(self, other):
        if not isinstance(other, Quantity) or other.units.kind != self.units.kind:
            return False
        return bool(np.all(np.equal(self.to_base_units().magnitude, other.to_base_units().magnitude)))

    __hash__ = None

    def __repr__(self):
        return f"<Quantity({self.magnitude!r}, '{self.units.name}')>"

    def __str__(self):
        return f"{self.magnitude} {self.units.name}"


def property_value(q, what):
    """What a quantity given as the value of a property that is not a length in meters becomes (see
    the module's doc): a length in meters, a number of pixels, a magnitude."""
    if q.units.kind == "length":
        return q.to(meter).magnitude
    if q.units.kind == "pixel":
        return q.to(pixel).magnitude
    return q.magnitude


def is_pixels(value):
    """Whether ``value`` is a quantity in pixels."""
    return isinstance(value, Quantity) and value.units.kind == "pixel"


def is_length(value):
    """Whether ``value`` is a quantity of length (meters, micrometers, ...)."""
    return isinstance(value, Quantity) and value.units.kind == "length"


_UNITS = {}


def _define(names, kind, factor):
    unit = Unit(names[0], kind, factor)
    for name in names:
        _UNITS[name] = unit
        globals()[name] = unit
    return unit


meter = _define(("meter", "m", "meters", "metre"), "length", 1.0)
_define(("kilometer", "km"), "length", 1e3)
_define(("centimeter", "cm"), "length", 1e-2)
_define(("millimeter", "mm"), "length", 1e-3)
_define(("micrometer", "um", "µm", "micron", "microns", "micrometers"), "length", 1e-6)
_define(("nanometer", "nm", "nanometers"), "length", 1e-9)
_define(("picometer", "pm"), "length", 1e-12)
_define(("angstrom", "Å"), "length", 1e-10)
pixel = _define(("pixel", "pixels", "px"), "pixel", 1.0)
dimensionless = _define(("dimensionless",), "dimensionless", 1.0)
_BASE = {"length": meter, "pixel": pixel, "dimensionless": dimensionless}


def _lookup(name):
    try:
        return _UNITS[name]
    except KeyError:
        raise AttributeError(f"deeptrack_native.units has no unit '{name}'") from None


def __getattr__(name):
    return _lookup(name)


Quantity.__module__ = Unit.__module__ = __name__
