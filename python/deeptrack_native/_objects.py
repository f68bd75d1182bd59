"""Python objects as property values: DeepTrack2's ``set_value`` of a function (``prop.set_value(f)``,
``feature.resolve(x, key=f)``) stores the function object itself as the property's value, which a
library value cannot hold. The package keeps such a value on the feature (a Python-side pin, dropped
by the next ``update`` of a pipeline holding the feature, or by a plain value set over it) and gives
it where DeepTrack2 would: to the property's readers (``feature.key()``), to the ``get`` of a custom
feature, and as the result of a ``Value`` feature resolved on its own (``Value.get`` returns its
value). A built-in kind cannot compute with a function (DeepTrack2 fails there too, in numpy): its
resolve raises a ``TypeError`` naming the feature and the property.

Any other object the library cannot hold (a dict, a set, an instance of a user's class, an array of
complex numbers or of Python objects) given as a property's value, at construction or by assignment,
is *held* the same way, but for good: DeepTrack2 accepts any object as a value (``dt.Value(source.
label_name)``, ``DummyFeature(meta={...})``), so the feature keeps it until a new value is set over
it, and ``update`` does not drop it.

The library holds such an object as a value of its own kind (``DEEPTRACK_VALUE_KIND_OBJECT``): a
token it never reads, whose entry in :data:`_HELD` keeps the object alive until the library releases
the last copy of the value. So the property dicts of every image, ``get_property`` and the
properties' readers give the object itself, as DeepTrack2 gives it.

Written in Python because the object is Python's own: the library never reads it.
"""

import ctypes
import itertools
import os
import threading
import weakref

from . import _lib

#: The objects the library holds values of, by token (the pointer the library holds).
_HELD = {}
#: Tokens the library has released, dropped from :data:`_HELD` by :func:`drain`.
_RELEASED = []
_TOKENS = itertools.count(1)  # 0 would be NULL
_DRAIN = threading.Lock()


def _after_fork():
    # A child forked while another thread drained would find the lock held for good.
    global _DRAIN
    _DRAIN = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


@_lib.FREE_FN
def _release(token):
    # Runs on whichever thread drops the last copy, at the end of the library call that let it go
    # (a ctypes callback, inside that call): it only records the token (an append runs no Python code
    # of the object's), and drain() lets the object go later, on the Python side, outside any call.
    _RELEASED.append(token)


#: The release function's address: the library's objects with another release are not Python's.
RELEASE_ADDRESS = ctypes.cast(_release, ctypes.c_void_p).value


def drain():
    """Drops the objects the library has released. Their finalisers run after the lock is let go, so
    that one that makes a property object (which drains again) does not wait for itself."""
    if not _RELEASED:
        return
    gone = []
    with _DRAIN:
        while _RELEASED:
            gone.append(_HELD.pop(_RELEASED.pop(), None))
    del gone


def holds_any():
    """Whether the library may hold any of Python's objects (an image standing for one included)."""
    return bool(_HELD)


def token_for(obj):
    """A new token holding ``obj`` for a library value (:func:`forget` it if the value is not made)."""
    drain()
    token = next(_TOKENS)
    _HELD[token] = obj
    return token


def forget(token):
    """Drops ``token``'s object: its library value was never made."""
    _HELD.pop(token, None)


class ForeignObject:
    """An object value that another host of the library made (its release function is not this
    package's): only its address is known."""

    __slots__ = ("address",)

    def __init__(self, address):
        self.address = address

    def __repr__(self):
        return f"ForeignObject(0x{self.address or 0:x})"


def held(token, release):
    """The object behind a library object value's ``token`` and ``release`` address."""
    if release != RELEASE_ADDRESS:
        return ForeignObject(token)
    return _HELD[token]

#: No object (None is one).
NOTHING = object()

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
    if pins and pins.pop(key, None) is not None and not pins and not feature.__dict__.get("_object_held"):
        _PINNED.discard(feature)


def hold(feature, key, value):
    """Holds the Python object ``value`` as the value of property ``key`` of ``feature`` for good
    (until a new value is set over it)."""
    feature.__dict__.setdefault("_object_held", {})[key] = value
    feature.__dict__.get("_object_suspended", {}).pop(key, None)
    _PINNED.add(feature)


def release(feature, key):
    """Drops the object held as ``key`` of ``feature``, if any (a new value was set over it)."""
    suspended = feature.__dict__.get("_object_suspended")
    if suspended:
        suspended.pop(key, None)
    held = feature.__dict__.get("_object_held")
    if held and key in held:
        del held[key]
    if not held and not feature.__dict__.get("_object_pins") and not suspended:
        _PINNED.discard(feature)


def pinned(feature):
    """The objects pinned to or held by ``feature``'s properties (a dict, empty when none; a pin
    over a held object wins)."""
    held = feature.__dict__.get("_object_held")
    pins = feature.__dict__.get("_object_pins")
    if held and pins:
        return {**held, **pins}
    return held or pins or {}


def any_pinned():
    """Whether any feature holds a pinned or held object (the fast path skips the rest when not)."""
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


def suspend(feature, key):
    """A plain value was set over the object held as ``key`` of ``feature`` (``set_value``, or a
    resolve-time override): the library's value is read until the next update, which gives the
    object back (DeepTrack2's ``set_value`` lasts until ``update``, when the property's rule, the
    object, is evaluated again). The feature stays among the pinned ones meanwhile, so that its
    update restores it."""
    held = feature.__dict__.get("_object_held")
    if held and key in held:
        feature.__dict__.setdefault("_object_suspended", {})[key] = held.pop(key)


def clear(root, feature_type):
    """Drops the pins of every feature of ``root``'s pipeline and gives the held objects set over
    back (its ``update``)."""
    for f in features_of(root, feature_type):
        suspended = f.__dict__.pop("_object_suspended", None)
        if suspended:
            f.__dict__.setdefault("_object_held", {}).update(suspended)
        if f.__dict__.pop("_object_pins", None) is not None and not f.__dict__.get("_object_held"):
            _PINNED.discard(f)


def link(feature, key, source, source_key):
    """Records that property ``key`` of ``feature`` is property ``source_key`` of ``source`` (a rule
    linking them), so that an object ``source`` holds there reaches ``feature``'s rules."""
    feature.__dict__.setdefault("_object_links", {})[key] = (weakref.ref(source), source_key)


def lookup(feature, key):
    """The object only Python holds as ``feature``'s property ``key`` (pinned, held, or held by the
    property it links to), or :data:`NOTHING`."""
    for _ in range(64):  # links form no cycles the library accepts; bounded all the same
        held = pinned(feature)
        if key in held:
            return held[key]
        links = feature.__dict__.get("_object_links")
        if not links or key not in links:
            return NOTHING
        ref, key = links[key]
        feature = ref()
        if feature is None:
            return NOTHING
    return NOTHING
