"""Python objects as property values: DeepTrack2's ``set_value`` of a function (``prop.set_value(f)``,
``feature.resolve(x, key=f)``) stores the function object itself as the property's value, which a
library value cannot hold. The package keeps such a value on the feature (a Python-side pin, dropped
by the next ``update`` of a pipeline holding the feature, or by a plain value set over it) and gives
it where DeepTrack2 would: to the property's readers (``feature.key()``), to the ``get`` of a custom
feature, and as the result of a ``Value`` feature resolved on its own (``Value.get`` returns its
value). A built-in kind cannot compute with a function (DeepTrack2 fails there too, in numpy): its
resolve raises a ``TypeError`` naming the feature and the property.

Written in Python because the object is Python's own: the library never sees it.
"""

import weakref

#: The features holding pinned objects (weakly: a feature dropped takes its pins with it).
_PINNED = weakref.WeakSet()


def is_object(value, excluded):
    """Whether ``value`` is a value that only Python can hold: a callable that is not one of the
    ``excluded`` types (features, properties, classes, images), which are rules or arrays."""
    return callable(value) and not isinstance(value, excluded)


def pin(feature, key, value):
    """Pins property ``key`` of ``feature`` to the Python object ``value``."""
    feature.__dict__.setdefault("_object_pins", {})[key] = value
    _PINNED.add(feature)


def unpin(feature, key):
    """Drops the object pinned to ``key`` of ``feature``, if any (a plain value was set over it)."""
    pins = feature.__dict__.get("_object_pins")
    if pins and pins.pop(key, None) is not None and not pins:
        _PINNED.discard(feature)


def pinned(feature):
    """The objects pinned to ``feature``'s properties (a dict, empty when none)."""
    return feature.__dict__.get("_object_pins") or {}


def any_pinned():
    """Whether any feature holds a pinned object (the fast path skips the rest when not)."""
    return len(_PINNED) > 0


def features_of(root, feature_type):
    """``root`` and the Python feature objects it holds (its children, and the features its
    properties link to), each once."""
    seen, stack, out = set(), [root], []
    while stack:
        f = stack.pop()
        if id(f) in seen or not isinstance(f, feature_type):
            continue
        seen.add(id(f))
        out.append(f)
        stack.extend(f.__dict__.get("_refs", ()))
    return out


def clear(root, feature_type):
    """Drops the pins of every feature of ``root``'s pipeline (its ``update``)."""
    for f in features_of(root, feature_type):
        if f.__dict__.pop("_object_pins", None) is not None:
            _PINNED.discard(f)
