"""DeepTrack2's ``properties`` module: :class:`Property` (a property of a feature, or a property of its
own) and :class:`PropertyDict` (``feature.properties``).

Every property lives in libdeeptrack: a feature's property is its ``(feature, name)``; a property of its
own, ``Property(rule)``, is the property ``value`` of a hidden ``DummyFeature``, so that it samples,
links and updates like any other. A property used as another feature's value links to it
(``B(position=A.position)``), and arithmetic on properties (``A.value + 1``) gives a dependent property
whose value is computed from the current values of its operands.
"""

import operator

import numpy as np

from . import _objects
from .image import PropertyDict as _ImageDict

__all__ = ["Property", "PropertyDict", "PropertyValues"]


def _features():
    from . import features  # the features module imports this one

    return features


class Property:
    """A property (DeepTrack2's ``Property``).

    ``Property(sampling_rule, **dependencies)`` makes a property of its own: ``sampling_rule`` is any
    property value (a constant, a callable taking the ``dependencies`` by name, an iterator, a list,
    another property ...). ``feature.key`` gives the property ``key`` of a feature. Either kind:

    - ``prop()`` is its current value (sampled by the last resolve, or a new sample until the next
      update); ``prop.current_value()`` the same;
    - ``prop.set_value(v)`` pins it to ``v`` until the next update (DeepTrack2's ``set_value``);
    - ``prop.update()`` re-samples it (the feature it belongs to is updated);
    - ``prop + 1``, ``1 - prop``, ``prop * other_prop`` ... are dependent properties.
    """

    def __init__(self, sampling_rule=None, **dependencies):
        hidden = _features()._builtin("DummyFeature")(**dependencies, value=sampling_rule)
        self.feature = hidden
        self.key = "value"

    @classmethod
    def _of(cls, feature, key):
        """The property ``key`` of ``feature``."""
        prop = cls.__new__(cls)
        prop.feature = feature
        prop.key = key
        return prop

    def __call__(self, _ID=()):
        """The current value at top level (sampled by the last resolve, or a new sample). Inside the
        ``get`` of the feature it belongs to, the value of the computation running."""
        if _ID:
            raise NotImplementedError("reading a property at a replicate index (_ID) is not supported")
        running = self.feature.__dict__.get("_running")
        if running is not None and self.key in running:
            return running[self.key]
        pins = _objects.pinned(self.feature)
        if pins and self.key in pins:
            return pins[self.key]  # a function or object set as the value (deeptrack_native._objects)
        value = self.feature._get_property(self.key)
        if value is None:
            # Sampling may have given an object only Python holds (a rule returning a dict).
            held = _objects.lookup(self.feature, self.key)
            if held is not _objects.NOTHING:
                return held
        return value

    def current_value(self, _ID=()):
        """The current value (as calling the property)."""
        return self(_ID)

    def set_value(self, value, _ID=()):
        """Pins the property to ``value`` until the next update; the properties that depend on it are
        sampled again. Setting the value it already has changes nothing (the feature's result stays
        cached). Returns the property."""
        if _ID:
            raise NotImplementedError("setting a property at a replicate index (_ID) is not supported")
        self.feature._set_value(self.key, value)
        return self

    def update(self):
        """Re-samples the property: updates the feature it belongs to. Returns the property."""
        self.feature.update()
        return self

    def is_valid(self):
        """Whether the feature it belongs to holds a current result."""
        return self.feature.is_valid()

    def __repr__(self):
        return f"<Property {self.key!r} of {self.feature!r}>"

    # Dependent properties (DeepTrack2's DeepTrackNode operators).
    def _combine(self, op, other, reflected=False):
        a, b = (other, self) if reflected else (self, other)
        return Property(lambda _a, _b: op(_a, _b), _a=a, _b=b)


def _operator(op, reflected=False):
    def method(self, other):
        return self._combine(op, other, reflected)

    return method


for _name, _op in [
    ("add", operator.add),
    ("sub", operator.sub),
    ("mul", operator.mul),
    ("truediv", operator.truediv),
    ("floordiv", operator.floordiv),
    ("pow", operator.pow),
    ("mod", operator.mod),
]:
    setattr(Property, f"__{_name}__", _operator(_op))
    setattr(Property, f"__r{_name}__", _operator(_op, reflected=True))
for _name, _op in [("lt", operator.lt), ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)]:
    setattr(Property, f"__{_name}__", _operator(_op))
Property.__neg__ = lambda self: Property(lambda _a: -_a, _a=self)


class PropertyDict(dict):
    """The properties of a feature (``feature.properties``), by name, in the feature's order: a dict of
    :class:`Property`. Calling it gives the current values: ``feature.properties()`` is
    ``{name: value}``."""

    def __call__(self, _ID=()):
        return PropertyValues((key, prop(_ID)) for key, prop in self.items())


class PropertyValues(_ImageDict):
    """The current values of a feature's properties (``feature.properties()``): a dict that equals
    another holding the same values, arrays compared by their elements and NaN equal to NaN (in
    DeepTrack2 these are the very objects an image's property dict holds, which Python's dict
    comparison takes as equal by identity)."""

    def __eq__(self, other):
        if not isinstance(other, dict):
            return NotImplemented
        return self.keys() == other.keys() and all(_same(self[k], other[k]) for k in self)

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None


def _same(a, b):
    if a is b:
        return True
    if isinstance(a, (np.ndarray, float, np.floating)) or isinstance(b, (np.ndarray, float, np.floating)):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
        except TypeError:
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)
