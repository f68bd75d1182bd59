"""Features: DeepTrack2's ``Feature`` API over libdeeptrack.

Subclass :class:`Feature` and define ``get(self, image, **properties)`` for a custom step, exactly as in
DeepTrack2; or use the built-in features (``PointParticle``, ``Fluorescence``, ``Gaussian``, ...), which
run natively. Keyword arguments become properties: constants, numpy arrays, callables whose parameter
names pick the sibling properties they depend on, another feature's property (``B(pos=A.pos)``) or a
feature (resolved without input, as DeepTrack2 does for ``X + Y``).
"""

import functools
import operator
import random as _pyrandom
import sys
import warnings
import inspect

import numpy as np
from ctypes import byref, c_bool, c_char_p, c_size_t, c_uint32, c_void_p

from . import (
    _batch, _core, _lib, _motion, _node_api, _node_links, _npseed, _objects, _processes, _property_order, _unknown, units,
)
from .sources import base as _sources
from ._lib import lib
from . import image as _image
from .image import Image
from .properties import Property, PropertyDict
from . import properties as _props

#: DeepTrack2's list merge strategies (``__list_merge_strategy__``): a feature's output replaces its
#: input list (``MERGE_STRATEGY_OVERRIDE``), or is appended to it (``MERGE_STRATEGY_APPEND``).
MERGE_STRATEGY_OVERRIDE = 0
MERGE_STRATEGY_APPEND = 1

__all__ = ["Feature", "Property", "PropertyDict", "MERGE_STRATEGY_OVERRIDE", "MERGE_STRATEGY_APPEND", "Chain", "Branch", "Repeat", "Microscope", "Lambda", "Merge", "Optics", "SampleToMasks", "ArithmeticOperationFeature", "StructuralFeature", "propagate_data_to_dependencies"]


def _rule(value, owner, key):
    """A library rule for ``value``; records in ``owner._refs`` the Python objects the rule uses."""
    if isinstance(value, _motion.MotionRule):  # sequences.brownian(...), drift(...), increment(...)
        return value._new_rule(owner, key)
    if isinstance(value, type) and key in getattr(owner, "_dtype_params", ()):
        value = _core.type_name(value) or value  # AsType(dtype=float): numpy's name of the type
    if isinstance(value, Property):
        owner._refs.append(value.feature)
        _objects.link(owner, key, value.feature, value.key)
        return _core.new_handle(
            lib.deeptrack_rule_property_of, value.feature._h.ptr, value.key.encode(), free=lib.deeptrack_rule_free
        )
    if isinstance(value, Feature):
        owner._refs.append(value)
        return _core.new_handle(lib.deeptrack_rule_feature, value._h.ptr, free=lib.deeptrack_rule_free)
    if isinstance(value, list) and _holds_nodes(value):
        # DeepTrack2 samples the features and properties inside a list (``f[mask_feature]`` is
        # ``Slice(slices=[mask_feature])``): a library list rule of the items' rules, so that they
        # are sampled once per update with the links they make (tuples stay constants, as in 2.0.1).
        items = [_rule(v, owner, key) for v in value]
        handles = (c_void_p * len(items))(*(r.ptr for r in items))
        return _core.new_handle(lib.deeptrack_rule_list, handles, len(items), False, free=lib.deeptrack_rule_free)
    what = f"property '{key}' of feature '{owner._name()}'"
    if hasattr(value, "__next__") and not isinstance(value, (Image, Feature)):
        # DeepTrack2: each sample takes the next item; an exhausted iterator keeps its last one.
        owner.__dict__["_calls_python"] = True
        return _core.callback_rule(_iterator_rule(value), what, owner=owner, prop=key)
    if isinstance(value, (list, slice, dict)) and _holds_callables(value):
        if _sources.reads_source(value):  # sources: see below
            owner.__dict__.setdefault("_source_props", {})[key] = value
        # DeepTrack2 samples the callables inside a list, a dict or a slice at every evaluation (a
        # new dict each time); a sample the library cannot hold (a dict, a list holding one) is an
        # object value, pinned on the owner until its next update.
        owner.__dict__["_calls_python"] = True
        return _core.callback_rule(lambda: _sample_inside(value), what, owner=owner, prop=key)
    meters = key in getattr(owner, "_meters", ())
    # -- sources (deeptrack_native.sources): remember the properties a source's item sets --
    if _sources.reads_source(value):
        owner.__dict__.setdefault("_source_props", {})[key] = value
    # -- end sources --
    pixels = key in getattr(owner, "_pixels", ())
    if callable(value) and not isinstance(value, (type, Image)):
        owner.__dict__["_calls_python"] = True
        if _props._is_node(value):
            # DeepTrack2's Property(node) is the node's child: the feature is re-sampled with it.
            _node_links.link(value, owner)
        return _core.callback_rule(value, what, meters, pixels, owner, key)
    if pixels and units.is_length(value):
        # DeepTrack2's conversion table: a length given to a property in pixels (a scatterer's
        # position or z) in pixels of the optics imaging the feature, known when it is sampled.
        v = _core.to_value(value.to(units.meter).magnitude, what)
        return _core.new_handle(lib.deeptrack_rule_meters, v.ptr, free=lib.deeptrack_rule_free)
    if meters and units.is_pixels(value):
        # DeepTrack2's conversion table: pixels in meters at the pixel size of the optics imaging
        # the feature, known when it is sampled.
        v = _core.to_value(value.magnitude, what)
        return _core.new_handle(lib.deeptrack_rule_pixels, v.ptr, free=lib.deeptrack_rule_free)
    v = _core.to_value(value, what)
    return _core.new_handle(lib.deeptrack_rule_constant, v.ptr, free=lib.deeptrack_rule_free)


def _is_rule_node(value):
    """Whether DeepTrack2 2.0.1 takes ``value``, a property's rule, as a node (a feature, a property or
    a ``DeepTrackNode``): its functions' parameters name no sibling property."""
    return isinstance(value, (Feature, Property)) or _props._is_node(value)


def _iterator_rule(iterator):
    """A rule callable giving the next item of ``iterator`` at every sample, and its last item once
    it is exhausted (an error if it never gave one)."""
    last = []

    def next_item():
        try:
            item = next(iterator)
        except StopIteration:
            if not last:
                raise ValueError("the iterator given as the property's value is empty") from None
            return last[0]
        last[:] = [item]
        return item

    return next_item


def _holds_callables(value):
    """Whether a list (or a slice, or a dict's values) holds callables to sample, at any depth."""
    if isinstance(value, slice):
        value = (value.start, value.stop, value.step)
    elif isinstance(value, dict):
        value = tuple(value.values())
    elif not isinstance(value, (list, tuple)):
        return callable(value) and not isinstance(value, (type, Image, Feature, Property))
    return any(type(v) not in _SCALARS and _holds_callables(v) for v in value)


# Plain values that are never callables: skipped without further tests (long lists of numbers).
_SCALARS = frozenset((int, float, bool, complex, str, type(None)))


def _holds_nodes(value):
    """Whether a list holds features or properties (DeepTrack2's nodes, sampled inside a list), in it
    or in a list inside."""
    return any(isinstance(v, (Feature, Property)) or (isinstance(v, list) and _holds_nodes(v)) for v in value)


def _sample_inside(value):
    """``value`` with the callables inside called (without arguments), as DeepTrack2's list and dict
    rules (a dict's values each sampled, into a new dict)."""
    if isinstance(value, slice):
        return slice(*(_sample_inside(v) for v in (value.start, value.stop, value.step)))
    if isinstance(value, dict):
        return {k: _sample_inside(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_sample_inside(v) for v in value)
    if callable(value) and not isinstance(value, (type, Image)):
        return value()
    return value



def _bind_positional(feature, args, kwargs):
    """Puts a constructor's positional ``args`` into ``kwargs`` under the kind's positional names
    (``feature._positional``, from the registry), as Python binds a signature: a TypeError for too
    many, or for a name also given by keyword."""
    positional = feature._positional
    name = type(feature).__name__
    if len(args) > len(positional):
        raise TypeError(
            f"{name}() takes at most {len(positional)} positional arguments ({', '.join(positional)}), got {len(args)}"
        )
    for key, arg in zip(positional, args):
        if key in kwargs:
            raise TypeError(f"{name}() got multiple values for argument '{key}'")
        kwargs[key] = arg

class Feature(_node_api.FeatureNode):
    """A step of a pipeline. Subclass it and define ``get(self, image, **properties)``; every keyword
    argument of the constructor becomes a property, passed to ``get`` on every call (with ``name``, and
    ``_ID`` inside a repeat).

    ``get`` receives a writable copy of the input image (an :class:`Image` when it carries properties,
    else an ndarray; ``None`` when resolved without input) and returns the new image (an array, an
    Image or a number). Returning the input unchanged passes it through.
    """

    #: The library kind of a built-in feature (None for Python subclasses with their own ``get``).
    _kind = None
    #: Names of the positional parameters of the constructor, in order.
    _positional = ("_input",)
    #: Constructor keywords a built-in does not support (raise rather than silently ignore them).
    _unsupported = ()
    #: Constructor keywords a built-in supports only at these values.
    _only_default = {}
    #: The optional feature arguments of a built-in (``Sin(feature)``), in the library's order.
    _feature_params = ()
    #: DeepTrack2's switch for a feature of your own: True, ``get`` runs once per input image; False,
    #: once with the whole list of them (``[]`` when resolved without input).
    __distributed__ = True

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        # The call that builds the feature, which pickling repeats (see __reduce__).
        self.__dict__["_init_args"] = (args, dict(kwargs))
        return self

    def __reduce__(self):
        """Pickles the feature as the call that built it: its class and constructor arguments (features,
        values, callables), and whether it stores properties. Unpickling builds an equivalent, fresh
        pipeline (a new generator, nothing resolved). The callables must pickle: functions defined at
        module level do, lambdas do not. This is how ``resolve_batch(processes=N)`` reaches workers
        where processes cannot be forked."""
        args, kwargs = self.__dict__.get("_init_args", ((), {}))
        stored = self.__dict__.get("_stored")
        if stored is not None and not self.__dict__.get("_stored_recursive", True):
            stored = ("own", stored)  # store_properties(stored, recursive=False)
        return (_rebuild, (type(self), args, kwargs, stored, self.__dict__.get("arguments")))

    def __init__(self, *args, **kwargs):
        self.__dict__["_refs"] = []
        self.__dict__["_default_input"] = None
        self.__dict__["_had_input"] = False
        self.__dict__["_input_cache"] = None
        _bind_positional(self, args, kwargs)
        for name in self._unsupported:
            if name in kwargs and kwargs[name] is not None:
                raise NotImplementedError(
                    f"{type(self).__name__}: '{name}' is not implemented by libdeeptrack (see the README)"
                )
            kwargs[name] = None  # a property at its only value, as DeepTrack2 has it (load_options)
        for name, default in self._only_default.items():
            if name in kwargs:
                if not (isinstance(kwargs[name], type(default)) and kwargs[name] == default):
                    raise NotImplementedError(
                        f"{type(self).__name__}: only {name}={default!r} is implemented by libdeeptrack, "
                        f"got {kwargs[name]!r}"
                    )
                del kwargs[name]
        self.__dict__["_default_input"] = kwargs.pop("_input", None)
        if self._kind == "ConditionalSetProperty" and isinstance(kwargs.get("condition"), str):
            # DeepTrack2 makes the named condition a property of its own, True unless given, so that
            # resolve(x, name=False) can set it: the registry cannot express a parameter named by a value.
            kwargs.setdefault(kwargs["condition"], True)
        self._create(kwargs)
        if self._kind is not None and "_params" in type(self).__dict__:
            # A keyword the kind does not know is kept, with a warning (deeptrack_native._unknown).
            named = kwargs.get("condition")
            exempt = (named,) if self._kind.startswith("ConditionalSet") and isinstance(named, str) else ()
            _unknown.check(self._kind, self._params, kwargs, exempt)
        for key, value in kwargs.items():
            self._set(key, value)
        # DeepTrack2 2.0.1's order: a property whose function reads siblings after them.
        _property_order.reorder(self, kwargs, _is_rule_node)

    # -- construction -----------------------------------------------------------------------------

    def _create(self, kwargs):
        if self._kind is not None:
            if _overrides_get(type(self)) and _computes_images(type(self)):
                # DeepTrack2's subclass of an image kind with a get of its own (class
                # MyBlur(GaussianBlur)): a custom feature with the kind's parameters at their defaults,
                # whose get is the subclass's; super().get(image, **properties) computes the kind.
                kind = self._kind
                self.__dict__["_kind"] = None  # computed by Python: no kind's rules for its values
                self.__dict__["_super_kind"] = kind
                # A feature of the kind holds the kind's parameters (the values given, its defaults
                # otherwise: random ones, as FlipLR's augment, drawn anew at each update); this one's
                # properties read them, in the kind's dict order, before its own.
                kind_cls = _builtin(kind)
                inner = kind_cls(**{k: kwargs.pop(k) for k in list(kwargs) if k in kind_cls._params})
                self.__dict__["_kind_feature"] = inner
                ordered = {name: getattr(inner, name) for name in inner.properties() if name != "name"}
                ordered.update(kwargs)
                kwargs.clear()
                kwargs.update(ordered)
                kwargs.setdefault("name", type(self).__name__)
                # DeepTrack2's kinds that take the whole list of images (the arithmetic, LoadImage,
                # a reduction with distributed=False) hand their subclass's get the list.
                self.__dict__["_list_get"] = _takes_the_list(kind_cls, ordered)
                self._create(kwargs)
                return
            if _overrides_get(type(self)):
                if not _volume_scatterer(self._kind):
                    raise TypeError(
                        f"{type(self).__name__} overrides get() of the built-in {self._kind}; "
                        "subclass Feature for a feature of your own (a subclass of an image kind, of a "
                        "volume scatterer or of Aberration may override get)"
                    )
                # DeepTrack2's subclass of a scatterer with a get of its own (class Annulus(Ellipse)):
                # the kind's scatterer whose volume get computes (super().get gives the kind's own).
                self.__dict__["_calls_python"] = True
                self._h = _core.new_scatterer_feature(self, self._kind)
                kwargs.setdefault("name", type(self).__name__)
                return
            # The optional features in the library's order; one not given before a given one is
            # passed as NULL (ConditionalSetFeature(on_true=f)), trailing ones are left out.
            given = [kwargs.pop(name, None) for name in self._feature_params]
            while given and given[-1] is None:
                given.pop()
            given = [None if f is None else _as_feature(f, name) for f, name in zip(given, self._feature_params)]
            if given:
                self.__dict__["_refs"] = [f for f in given if f is not None]
                handles = (c_void_p * len(given))(*(None if f is None else f._h.ptr for f in given))
                self._h = _core.new_handle(
                    lib.deeptrack_feature_new_with,
                    self._kind.encode(),
                    handles,
                    len(given),
                    free=lib.deeptrack_feature_free,
                )
            else:
                self._h = _core.new_handle(
                    lib.deeptrack_feature_new, self._kind.encode(), free=lib.deeptrack_feature_free
                )
            if type(self).__name__ != self._kind and not _is_builtin_class(type(self)):
                kwargs.setdefault("name", type(self).__name__)
            return
        # A subclass without get() is a holder of properties (DeepTrack2 raises only when it resolves).
        name = kwargs.get("name", type(self).__name__)
        if not isinstance(name, str):
            raise TypeError("name must be a string")
        self.__dict__["_calls_python"] = True
        append = getattr(type(self), "__list_merge_strategy__", MERGE_STRATEGY_OVERRIDE) == MERGE_STRATEGY_APPEND
        if (not type(self).__distributed__ or self.__dict__.get("_list_get")) and not append:
            # DeepTrack2's non-distributed feature: get receives the whole list of images at once
            # (``[x]`` for one image, ``[]`` without input), as a Merge's function does.
            self._h = _core.new_merge_feature(self, name)
        else:
            self._h = _core.new_custom_feature(self, name, append)
        kwargs.pop("name", None)  # already the feature's name property

    def _compose(self, constructor, args, refs, kwargs):
        """Makes this object own the feature ``constructor(*args, &out)`` builds from other features
        (kept alive in ``refs``), then sets ``kwargs`` as its properties."""
        self.__dict__["_refs"] = list(refs)
        self.__dict__["_default_input"] = None
        self.__dict__["_had_input"] = False
        self.__dict__["_input_cache"] = None
        self._h = _core.new_handle(constructor, *args, free=lib.deeptrack_feature_free)
        for key, value in kwargs.items():
            self._set(key, value)

    def _name(self):
        return type(self).__name__

    def get(self, image, **properties):
        """The computation of a custom feature: returns the new image. On a built-in kind, DeepTrack2's
        direct call: ``image`` computed by a new feature of the same kind with ``properties`` (the
        others at their defaults); this feature is not touched."""
        kind = self.__dict__.get("_super_kind") or self._kind
        if kind is None:
            raise NotImplementedError(f"{type(self).__name__} does not define get(self, image, **properties)")
        if kind != self._kind:
            # super().get(...) in a subclass of an image kind (see _create): the kind's computation,
            # with the kind's parameters among ``properties`` (the subclass's own are not the kind's).
            given = {k: v for k, v in properties.items() if k in _builtin(kind)._params}
            computed = _builtin(kind)(**given)
            if isinstance(image, list) and issubclass(_builtin(kind), ArithmeticOperationFeature):
                return [computed.resolve(one) for one in image]  # DeepTrack2's get maps over the list
            return computed.resolve(image)
        if _volume_scatterer(self._kind):
            # DeepTrack2's scatterer get: the volume at properties["voxel_size"], uncropped (what a
            # subclass's super().get(...) gives; the kind's parameters not given are its defaults).
            own = self._params | {"voxel_size", "pixel_size"}
            return _core.builtin_volume(self._kind, {k: v for k, v in properties.items() if k in own})
        given = {k: v for k, v in properties.items() if k not in ("name", "_ID")}
        return _builtin(self._kind)(**given).resolve(image)

    #: Marks the placeholder: a subclass that keeps it defines no computation of its own.
    get._not_defined = True

    def _merge(self, images, properties):
        """The computation of a custom feature with ``__distributed__ = False``: ``get`` called once
        with the list of input images, as DeepTrack2 calls it; what it returns is the output list (a
        value that is not a list is one image)."""
        state = self.__dict__
        outer = state.get("_running")
        state["_running"] = properties
        try:
            result = self.get(images, **properties)
        finally:
            state["_running"] = outer
        return result if isinstance(result, list) else [result]

    # -- properties -------------------------------------------------------------------------------

    def _set(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"property names must be strings, got {key!r}")
        if _holds_object(value):
            # Any object is a value in DeepTrack2: one the library cannot compute with is kept here
            # too (_objects), and the library holds it as an object value, which its dicts carry; a
            # parameter of a built-in kind keeps its value there (the kind does not resolve while the
            # object is held: _resolve raises).
            if self._kind is None or not _computes_with(self, key):
                v = _core.object_value(value)
                rule = _core.new_handle(lib.deeptrack_rule_constant, v.ptr, free=lib.deeptrack_rule_free)
                _core.call(lib.deeptrack_feature_set_property, self._h.ptr, key.encode("utf-8"), rule.release())
            _objects.hold(self, key, value)
            self.__dict__.pop("_value_given", None)
            return
        rule = _rule(value, self, key)
        # set_property takes the rule in every case.
        _core.call(lib.deeptrack_feature_set_property, self._h.ptr, key.encode("utf-8"), rule.release())
        _objects.release(self, key)
        if key == "value" and self._kind == "Value" and not isinstance(value, (Feature, Property)) and not callable(value):
            # DeepTrack2's Value.get returns the object given: kept to give it back (_value_result).
            self.__dict__["_value_given"] = value
        elif key == "value":
            self.__dict__.pop("_value_given", None)

    def _has_property(self, key):
        out = c_bool()
        _core.call(lib.deeptrack_feature_has_property, self._h.ptr, key.encode("utf-8"), byref(out))
        return out.value

    def _get_property(self, key):
        self.__dict__["_np_first"] = True
        out = c_void_p()
        _core.call(lib.deeptrack_feature_get_property, self._h.ptr, key.encode("utf-8"), byref(out))
        return _core.take_value(_core.Owned(out.value, lib.deeptrack_value_free))

    def _property_names(self):
        out = c_void_p()
        _core.call(lib.deeptrack_feature_property_names, self._h.ptr, byref(out))
        return _core.take_value(_core.Owned(out.value, lib.deeptrack_value_free))

    @property
    def properties(self):
        """The feature's properties by name (DeepTrack2's ``feature.properties``): a
        :class:`~deeptrack_native.properties.PropertyDict` of
        :class:`~deeptrack_native.properties.Property`; ``feature.properties()`` gives their current
        values."""
        return PropertyDict((key, Property._of(self, key)) for key in self._property_names())

    def _set_value(self, key, value):
        """Pins property ``key`` to ``value`` until the next update (``feature.key.set_value``)."""
        what = f"property '{key}' of feature '{self._name()}'"
        # Before the first resolve, which would otherwise seed the pipeline and drop the value.
        _seed_first(self)
        if isinstance(value, type) and key in getattr(self, "_dtype_params", ()):
            value = _core.type_name(value) or value  # AsType's dtype.set_value(float): numpy's name
        if key in getattr(self, "_meters", ()) and units.is_pixels(value):
            raise TypeError(
                f"{what}: set_value takes a length in meters (a quantity in pixels is converted when the "
                "feature is sampled: give it as the property's value instead)"
            )
        if _objects.is_object(value, _NOT_OBJECTS) or _holds_object(value):
            # DeepTrack2 stores the function (any object) itself as the value (see _objects).
            if not self._has_property(key):
                status = _lib.NOT_FOUND
                raise _core.error_class(status)(
                    status, _lib.status_name(status), f"feature '{self._name()}' has no property '{key}'"
                )
            self._pin_object(key, value)
            return
        v = _set_value_arg(value, what)
        _core.call(lib.deeptrack_feature_set_value, self._h.ptr, key.encode("utf-8"), v.ptr, None)
        _objects.unpin(self, key)
        _objects.suspend(self, key)  # until the next update, as DeepTrack2's set_value

    def _pin_object(self, key, value):
        """Pins ``key`` to the Python object ``value`` (see _objects). The library's property holds
        the object meanwhile, so that its rule is not sampled (DeepTrack2 replaces it) and the dicts
        carry the object; a built-in kind's parameter is not resolved while the pin holds."""
        if self._kind is None or not _computes_with(self, key):
            v = _core.object_value(value)
            _core.call(lib.deeptrack_feature_set_value, self._h.ptr, key.encode("utf-8"), v.ptr, None)
        _objects.pin(self, key, value)

    def is_valid(self):
        """Whether the feature holds a current result (DeepTrack2's ``is_valid``): true after a
        resolve, false after an update or after a property changed value."""
        out = c_bool()
        _core.call(lib.deeptrack_feature_is_valid, self._h.ptr, byref(out))
        return out.value

    def __getattr__(self, key):
        if key.startswith("_") or "_h" not in self.__dict__:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{key}'")
        if self._has_property(key):
            return Property._of(self, key)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{key}'")

    # -- running ----------------------------------------------------------------------------------

    def store_properties(self, toggle=True, recursive=True):
        """Makes results carry their property dicts (as Images): set it on the outermost feature.
        It applies to this feature and every feature it contains; with ``recursive=False`` to this
        feature only (as DeepTrack2: a result then carries the dicts of the features that store from
        the outermost inwards, up to the first that does not, and is a bare array when the outermost
        does not store). Returns self."""
        if recursive:
            _core.call(lib.deeptrack_feature_store_properties, self._h.ptr, bool(toggle))
            for f in _objects.features_of(self, Feature):
                f.__dict__["_stored"] = bool(toggle)
                f.__dict__["_stored_recursive"] = True
        else:
            _core.call(lib.deeptrack_feature_store_own_properties, self._h.ptr, bool(toggle))
            self.__dict__["_stored"] = bool(toggle)
            self.__dict__["_stored_recursive"] = False
        return self

    def update(self, **kwargs):
        """Re-samples the properties of this feature and everything it contains. Returns self."""
        if kwargs:
            warnings.warn(
                "Passing information through .update is no longer supported; the arguments are ignored",
                DeprecationWarning,
                stacklevel=2,
            )
        if _npseed.explicit(self, _objects.features_of, Feature):
            _core.call(lib.deeptrack_feature_update, self._h.ptr)
        else:
            # Following np.random's global generator, as DeepTrack2 does (_npseed).
            _core.call(lib.deeptrack_feature_seed, self._h.ptr, _npseed.draw())
        self.__dict__["_np_first"] = True
        if _objects.any_pinned():
            _objects.clear(self, Feature)
        self.__dict__["_had_input"] = False
        # Nothing of this pipeline's is cached any more, so its next input is copied afresh rather
        # than compared with the last one (a copy costs less than a comparison).
        self.__dict__["_input_cache"] = None
        _INPUTS_EPOCH[0] = object()
        # What DeepTrack2 links by hand (Property.add_dependency) is re-sampled with it.
        _node_links.after_update(self)
        return self

    def seed(self, seed=None):
        """Seeds the pipeline: every later sample, callbacks drawing through
        :mod:`deeptrack_native.random` included, is reproducible. Without ``seed``, draws one.
        Returns the seed. An explicit seed takes precedence over ``np.random``'s: the pipeline's
        updates no longer draw from numpy's global generator."""
        if seed is None:
            seed = _pyrandom.getrandbits(63)
        if not 0 <= int(seed) < 2**64:
            raise ValueError(f"seed: expected an integer in [0, 2**64), got {seed}")
        _core.call(lib.deeptrack_feature_seed, self._h.ptr, int(seed))
        _npseed.mark_explicit(self, _objects.features_of, Feature)
        self.__dict__["_input_cache"] = None
        _INPUTS_EPOCH[0] = object()
        return seed

    def _input_handle(self, image):
        """The library image for a resolve input. DeepTrack2 compares inputs by identity: the same
        object resolved again gives the cached result (even if changed in place), and after an update
        its current contents are computed on. So for the same object the same handle is returned
        again, without looking at the data, while no ``update`` or ``seed`` has run anywhere since it
        was made. A float64 C-contiguous array (or an Image of one) is read in place
        (:func:`_core.input_image`): after an ``update`` or ``seed`` anywhere it gets a new handle on
        the same memory, O(1), so the pipeline computes on its current contents. Other inputs are
        copied: after an update elsewhere the copy is returned again only if the object still holds
        the same data (bit for bit) and dicts, and the object is copied again otherwise; after an
        ``update`` or ``seed`` of this feature, which leaves nothing of its pipeline cached, it is
        copied again."""
        cache = self._input_cache
        epoch = _INPUTS_EPOCH[0]
        if cache is not None and cache[0] is image:
            if cache[1] is epoch:
                return cache[3], cache[4]
            props = _dict_ids(image)
            if not cache[5] and props == cache[2] and _core.holds_data(cache[3], image):
                self.__dict__["_input_cache"] = (image, epoch, props, cache[3], cache[4], False)
                return cache[3], cache[4]
        owner, known, borrowed = _core.input_image(image, "the input image")
        self.__dict__["_input_cache"] = (image, epoch, _dict_ids(image), owner, known, borrowed)
        return owner, known

    def bind_arguments(self, arguments):
        """Binds ``arguments`` (an ``Arguments`` feature, or any feature) to this one, as DeepTrack2's
        ``bind_arguments``: from then on, ``resolve(x, key=value)`` sets only the properties of
        ``arguments`` named by the keys (others are ignored), for that resolve alone: their former
        values are set back afterwards. The features of the pipeline see them through the rules that
        link to ``arguments``' properties (``Gaussian(sigma=(1 - arguments.is_label) * 5)``). With
        properties stored, every result this feature computes records ``arguments``' values (a dict
        of theirs right before this feature's own), wherever it computes: resolved itself or inside a
        larger pipeline (``g >> self``), as 2.0.1's do. Binding again replaces the former arguments;
        ``arguments`` that depend on this feature are refused (``CycleError``). Returns self."""
        if not isinstance(arguments, Feature):
            raise TypeError(f"bind_arguments takes a feature, got a {type(arguments).__name__}")
        _core.call(lib.deeptrack_feature_bind_arguments, self._h.ptr, arguments._h.ptr)
        self.__dict__["arguments"] = arguments
        return self

    def resolve(self, image=None, **kwargs):
        """Runs the pipeline on ``image`` (an array or Image; ``None`` or ``[]`` for the input of the
        last resolve since the last update, or none). Returns the result: an Image when properties are
        stored, else a read-only ndarray; a list when the pipeline produces several images, ``[]`` when
        it produces none.

        ``key=value`` sets property ``key`` of every feature of the pipeline that has it until the next
        update; with arguments bound (:meth:`bind_arguments`), of those arguments for this resolve
        only.

        A feature as ``image`` (DeepTrack2's ``Add(value=5)(feature)``) gives the pipeline ``feature
        >> self`` to resolve later, as DeepTrack2 2.0.1 does for the features whose computation is an
        operator of the image (its ``image + value`` on a feature builds that chain)."""
        if isinstance(image, Feature):
            if kwargs:
                raise TypeError(
                    f"{type(self).__name__}(feature) builds the pipeline feature >> {type(self).__name__}; "
                    f"give property values when you resolve it, not here (got {sorted(kwargs)})"
                )
            return Chain(image, self)
        # -- sources: an item (or a list of items) as the input activates them, and the properties
        # that read a source take its values; the pipeline then runs without an input image.
        if _sources.activate(image):
            image = None
            self.__dict__["_had_input"] = False
            _seed_first(self)
            for f in _objects.features_of(self, Feature):
                for key, rule in f.__dict__.get("_source_props", {}).items():
                    f._set_value(key, _sample_inside(rule))
        # -- end sources --
        arguments = self.__dict__.get("arguments")
        if kwargs and arguments is not None:
            originals = {}
            try:
                for key, value in kwargs.items():
                    if arguments._has_property(key):
                        # DeepTrack2 reads the current value first (sampling it if needed).
                        originals[key] = arguments._get_property(key)
                        arguments._set_value(key, value)
                return self._resolve(image)
            finally:
                for key, value in originals.items():
                    arguments._set_value(key, value)
        return self._resolve(image, **kwargs)

    def _resolve(self, image=None, **kwargs):
        """``resolve`` once the bound arguments are set."""
        _objects.drain()  # objects the library let go since (their finalisers run here, outside it)
        if "_np_first" not in self.__dict__:
            # The first resolve of a pipeline holding no samples follows np.random (_npseed).
            first = _npseed.first_resolve_seed(self, _objects.features_of, Feature)
            if first is not None:
                _core.call(lib.deeptrack_feature_seed, self._h.ptr, first)
        objects = {k: v for k, v in kwargs.items() if _objects.is_object(v, _NOT_OBJECTS) or _holds_object(v)}
        if objects or (kwargs and _objects.any_pinned()):
            # Values only Python holds, on every feature that has the key (and plain values given
            # over such a pin drop it).
            for f in _objects.features_of(self, Feature):
                for key in kwargs:
                    if f._has_property(key):
                        if key in objects:
                            f._pin_object(key, objects[key])
                        else:
                            _objects.unpin(f, key)
                            _objects.suspend(f, key)
            kwargs = {k: v for k, v in kwargs.items() if k not in objects}
        if _objects.any_pinned():
            own = _objects.pinned(self)
            if self._kind == "Value" and "value" in own and not self.__dict__.get("_stored"):
                return own["value"]  # DeepTrack2's Value.get returns its value, the object
            for f in _objects.features_of(self, Feature):
                held = [k for k in _objects.pinned(f) if _computes_with(f, k)]
                if held and f._kind is not None:
                    key = held[0]
                    held = _objects.pinned(f)
                    obj = held[key]
                    kind = f"{obj.dtype} array" if isinstance(obj, np.ndarray) else type(obj).__name__
                    hint = (
                        " (set a callable as the property's rule instead)"
                        if callable(obj)
                        else " (give numbers, or a list of complex numbers)"
                    )
                    raise TypeError(
                        f"property '{key}' of feature '{f._name()}' holds a {kind} set as "
                        f"its value, which a built-in kind cannot compute with{hint}"
                    )
        for key, value in kwargs.items():
            # DeepTrack2: every feature of the pipeline that has the property takes the value (until
            # the next update); a key no feature has is ignored.
            if isinstance(value, type) and any(key in getattr(f, "_dtype_params", ()) for f in _objects.features_of(self, Feature)):
                value = _core.type_name(value) or value  # resolve(x, dtype=float): numpy's name
            v = _set_value_arg(value, f"the value of '{key}' given to resolve")
            _core.call(lib.deeptrack_feature_set_value_everywhere, self._h.ptr, key.encode("utf-8"), v.ptr, None)
        if self._kind == "Value":
            if not self.__dict__.get("_stored"):
                return self._value_result()  # the value itself, of any type, as DeepTrack2's Value.get
            value = self._value_result()
            if _not_an_image(value):
                # DeepTrack2 wraps what Value.get returned in an Image with the feature's dict, of
                # any type (Image(None), Image('label')); the library's images hold numbers.
                out = Image(value)
                out.properties = [_image.PropertyDict(self.properties())]
                return out
        if isinstance(image, (list, tuple)):
            if len(image) > 1:
                return self._resolve_list(image)
            image = image[0] if image else None
        if image is None and not self._had_input and self._default_input is not None:
            image = self._default_input
        known = None
        input_ptr = None
        if image is not None:
            owner, known = self._input_handle(image)
            input_ptr = owner.ptr
            self.__dict__["_had_input"] = True
        count = c_size_t()
        buf = (c_void_p * 4)()
        _core._tls.pending = None
        with _core.no_image_scope() as scope:
            status = lib.deeptrack_feature_resolve_many(self._h.ptr, input_ptr, buf, 4, byref(count))
            if status == _lib.BUFFER_TOO_SMALL:
                buf = (c_void_p * count.value)()
                status = lib.deeptrack_feature_resolve_many(self._h.ptr, input_ptr, buf, count.value, byref(count))
        _emit_warnings()
        if status != _lib.OK:
            _core.raise_for(status)
        results = [_core.from_library_image(_core.owned_image(buf[i]), known) for i in range(count.value)]
        return self._shape_one(_zero_d_results(self, results), scope.calls)

    def _shape_one(self, results, calls):
        """The result of resolving one image (or none), as DeepTrack2 2.0.1 gives it: the image when
        there is one; None when the pipeline's last feature is a custom one whose get returned None
        for it (2.0.1's list ``[None]`` unwrapped); else the list (``[]`` when a get gave no image and
        other features followed: 2.0.1 gives them an empty list, on which they compute nothing)."""
        outcomes = _get_outcomes(self, calls)
        if len(results) == 1:
            return results[0]
        if not results and outcomes and outcomes[-1] == "dropped":
            return None
        return results

    def _value_result(self):
        """What a ``Value`` resolved on its own gives, as DeepTrack2's ``Value.get`` returns its
        value: the object given (an int stays an int, a string a string, an int32 array an int32
        array), or for a rule the value it returned as the library holds it (ints, floats, strings,
        lists, float arrays)."""
        value = self._get_property("value")
        if value is None:
            held = _objects.lookup(self, "value")  # a rule's object (see _objects)
            if held is not _objects.NOTHING:
                return held
        given = self.__dict__.get("_value_given", _NOTHING)
        if given is not _NOTHING and _same_value(value, given):
            return given
        return value

    def _resolve_list(self, images):
        """``resolve`` of several input images, as DeepTrack2 resolves a list: each image on its own
        through distributed features, the list at once through others (``Sum(distributed=False)``)."""
        owners = [_core.input_image(image, f"input image {i}")[:2] for i, image in enumerate(images)]
        known = {}
        for _, k in owners:
            if k:
                known.update(k)
        inputs = (c_void_p * len(owners))(*(owner.ptr for owner, _ in owners))
        self.__dict__["_had_input"] = True
        self.__dict__["_input_cache"] = None
        count = c_size_t()
        buf = (c_void_p * 4)()
        _core._tls.pending = None
        with _core.no_image_scope() as scope:
            status = lib.deeptrack_feature_resolve_list(self._h.ptr, inputs, len(owners), buf, 4, byref(count))
            if status == _lib.BUFFER_TOO_SMALL:
                buf = (c_void_p * count.value)()
                status = lib.deeptrack_feature_resolve_list(
                    self._h.ptr, inputs, len(owners), buf, count.value, byref(count)
                )
        _emit_warnings()
        if status != _lib.OK:
            _core.raise_for(status)
        results = [_core.from_library_image(_core.owned_image(buf[i]), known or None) for i in range(count.value)]
        results = _zero_d_results(self, results)
        outcomes = _get_outcomes(self, scope.calls)
        if outcomes and "dropped" in outcomes and "list" not in outcomes:
            # The pipeline ends in a custom feature whose get returned None for some images: in their
            # places DeepTrack2 2.0.1's list holds None (one call per input image, in order).
            given = [o for o in outcomes if o != "skipped"]
            if len(given) == len(images) and given.count("image") == len(results):
                produced = iter(results)
                results = [None if o == "dropped" else next(produced) for o in given]
        if len(results) == 1:
            return results[0]
        return results

    def plot(self, input_image=None, resolve_kwargs=None, interval=None, **kwargs):
        """DeepTrack2's ``Feature.plot``: resolves the feature and shows the result (matplotlib; a list
        as an animation). See :func:`deeptrack_native.pictures.plot_feature`."""
        from .pictures import plot_feature

        return plot_feature(self, input_image, resolve_kwargs=resolve_kwargs, interval=interval, **kwargs)

    def resolve_batch(self, count, seed=None, first=0, threads=0, image=None, processes=None):
        """Resolves ``count`` independent samples of this pipeline: items ``first .. first + count``
        of the stream ``seed`` (``None``: one drawn from ``np.random``'s global generator, so
        ``np.random.seed(s)`` makes the batch reproducible). Item ``i`` depends only on (pipeline,
        seed, i): the same whatever the thread or process count or the way a dataset is split into
        batches, e.g. across processes or machines. The pipeline itself is not touched. Returns a
        list of results (Images when properties are stored, else read-only arrays); raises the
        exception of the lowest failing item.

        ``threads``: library worker threads for a pipeline without Python callables (0: one per core),
        each resolving its own copy. A pipeline holding Python callables (property callables, custom
        features, ``Lambda``) is rendered on the calling thread whatever ``threads`` says: the
        interpreter lock lets one callable run at a time, and more threads would only be slower. Use
        ``processes`` for those.

        ``processes``: None or 1 renders in this process; ``N >= 2`` renders in this process and N - 1
        worker processes, which take contiguous chunks of the items in turn (workers are forked, so
        lambdas are inherited; spawned where the platform has no fork, which needs a pipeline that
        pickles); 0 means one process per core. The results are the same as in one process, image by
        image, property dicts included.

        Random draws: ``dt.random`` inside callables draws from the item's seeded generator. For
        pipelines with Python callables, ``np.random``'s global functions and the ``random`` module are
        also seeded from ``(seed, item)`` before each item (and restored to the caller's state
        afterwards), so callables written with ``np.random`` are reproducible too. Generators of your
        own (``np.random.default_rng()``, ``random.Random()``) are not reseeded."""
        if seed is None:
            seed = _npseed.draw()
        count, seed, first, threads = int(count), int(seed), int(first), int(threads)
        if count < 0 or threads < 0:
            raise ValueError("count and threads must not be negative")
        if not (0 <= seed < 2**64 and 0 <= first < 2**64):
            raise ValueError("seed and first must be integers in [0, 2**64)")
        _batch.check_items(self, first, count)
        if processes is not None:
            processes = int(processes)
            if processes < 0:
                raise ValueError(f"processes must not be negative, got {processes}")
            if processes == 0:
                processes = _processes.cpu_count()
            processes = min(processes, count)
            if processes >= 2:
                return _processes.resolve_batch(self, count, seed, first, threads, image, processes)
        return _zero_d_results(self, self._resolve_batch_here(count, seed, first, threads, image))

    def _holds_python(self):
        return _batch.holds_python(self)

    def _resolve_batch_here(self, count, seed, first, threads, image):
        """``resolve_batch`` in this process."""
        return self._render_batch(count, seed, first, threads, self._batch_input(image))

    def _batch_input(self, image):
        """``(owned library image, known dicts)`` for a batch input, or ``(None, None)``. A new
        handle for every batch (reading a float64 C-contiguous array in place, copying other
        inputs): a batch always computes on the current data."""
        if image is None:
            return None, None
        return _core.input_image(image, "the input image")[:2]

    def _render_batch(self, count, seed, first, threads, batch_input):
        """Renders items ``first .. first + count`` in this process on ``batch_input``."""
        owner, known = batch_input
        input_ptr = None if owner is None else owner.ptr
        try:
            sequences = _batch.sequences_in(self)
            if sequences:  # an item is a movie's frames: a list
                return _batch.render_lists(self, count, seed, first, threads, input_ptr, known, sequences)
            if self._holds_python():
                return _batch.render_serially(self, count, seed, first, input_ptr, known)
            return _batch.render_on_threads(self, count, seed, first, threads, input_ptr, known)
        finally:
            # The warnings of the items rendered on this thread (library worker threads keep theirs).
            _emit_warnings()

    def __call__(self, image=None, **kwargs):
        return self.resolve(image, **kwargs)

    def plot(self, input_image=None, resolve_kwargs=None, interval=None, **kwargs):
        """DeepTrack2's ``plot``: resolves the feature and shows the image with matplotlib
        (``plt.imshow(image, **kwargs)``, returning the axes), or a list of images as an animation
        (returned). matplotlib is optional: imported only here (:mod:`._plotting`)."""
        from . import _plotting

        return _plotting.plot(self, input_image, resolve_kwargs, interval, **kwargs)

    def batch(self, batch_size=32):
        """DeepTrack2's ``batch``: ``batch_size`` results, each of a new ``update()`` then a resolve
        without input, grouped by position (``zip(*results)``) and stacked where they are arrays: for
        ``image & label`` pipelines a tuple ``(images, labels)`` of arrays with the batch first. As in
        DeepTrack2, a result that is one array is zipped along its first axis. Groups that are not
        arrays (Images, numbers) stay tuples; torch tensors are stacked with ``torch.stack`` when
        torch is imported (this never imports it)."""
        results = list(zip(*[self.update()() for _ in range(int(batch_size))]))
        torch = sys.modules.get("torch")
        for i, group in enumerate(results):
            if isinstance(group[0], np.ndarray):
                results[i] = np.stack(group)
            elif torch is not None and isinstance(group[0], torch.Tensor):
                results[i] = torch.stack(group)
        return tuple(results)

    # -- operators --------------------------------------------------------------------------------

    def __rshift__(self, other):
        if isinstance(other, Feature):
            # A feature that acts on the results once they leave the library (deeptrack_native.pytorch's
            # ToTensor) builds its own chain.
            after_chain = other.__dict__.get("_after_chain")
            if after_chain is not None:
                return after_chain(self)
            return Chain(self, other)
        if callable(other):
            return Chain(self, Lambda(lambda: other))
        return NotImplemented

    def __rrshift__(self, other):
        if isinstance(other, Feature):
            return Chain(other, self)
        return Chain(_builtin("Value")(value=other), self)

    def __xor__(self, n):
        return Repeat(self, n)

    def __getitem__(self, index):
        """``feature[index]``: the output indexed as numpy does (DeepTrack2's ``Slice``); the elements
        may be callables (sampled at every update), as in DeepTrack2."""
        index = list(index) if isinstance(index, tuple) else [index]
        return Chain(self, _builtin("Slice")(slices=index))

    def __and__(self, other):
        """``feature & value``: a list of this feature's output followed by ``value``, DeepTrack2's
        ``Chain(feature, Stack(value=value))``: a feature as ``value`` is resolved without input (its
        properties sampled once per update) and its images appended with their property dicts, as
        DeepTrack2's Images keep theirs: ``(particle ^ 5) & (other ^ 3)`` is one sample of eight
        scatterers."""
        return Chain(self, _builtin("Stack")(value=other))

    def __rand__(self, other):
        return Chain(_builtin("Value")(value=other), _builtin("Stack")(value=self))

    def __repr__(self):
        return f"<{type(self).__name__} feature>"


#: What a callable value may be without being a Python object to pin (see _objects): a rule or an array.
_NOT_OBJECTS = (Feature, Property, type, Image)

#: No value given (``None`` is a value).
_NOTHING = object()


def _not_an_image(value):
    """Whether a ``Value``'s value is none of what the library makes an image of (numbers, arrays and
    lists of numbers): None, a string, a dict or any object only Python holds."""
    return value is None or isinstance(value, (str, bytes)) or not _core.library_holds(value)


def _holds_object(value):
    """Whether ``value`` is a plain value (not a rule) that only Python can hold: a dict, an instance
    of a user's class, an array of complex numbers (see _objects)."""
    if callable(value) or hasattr(value, "__next__") or _core.library_holds(value):
        return False
    if isinstance(value, list) and _holds_nodes(value):  # a list rule of its items (_rule)
        return False
    # A list, dict or slice holding callables (or source nodes) is a rule sampling them.
    return not (isinstance(value, (list, slice, dict)) and _holds_callables(value)) and not _sources.reads_source(value)




def _last_feature(feature):
    """The feature that computes ``feature``'s output: the last of a chain."""
    while isinstance(feature, Chain):
        feature = feature.feature_2
    return feature


def _last_kind(feature):
    """The kind that computes ``feature``'s output: the last of a chain."""
    return _last_feature(feature)._kind


def _zero_d_array_by_parameters(feature):
    """Whether ``feature`` (a built-in of a kind that gives numpy scalars) gives its 0-d results as 0-d
    arrays in 2.0.1 for the parameters it computed with: numpy's ``median``, ``quantile`` and
    ``percentile`` with ``keepdims=True``, and an index holding an Ellipsis (``x[..., 0]``, numpy's
    indexing returns an array then)."""
    kind = feature._kind
    if kind not in ("Median", "Quantile", "Percentile", "Slice"):
        return False
    try:
        if kind != "Slice":
            return feature._get_property("keepdims") is True
        index = feature._get_property("slices")
    except Exception:  # noqa: BLE001 - a property Python holds (not the library): numpy's default types
        return False
    items = index if isinstance(index, (list, tuple)) else [index]
    return any(item is Ellipsis or (isinstance(item, str) and item == "...") for item in items)


def _chained(feature):
    """The features of ``feature``'s chain, in the order they compute (``feature`` alone when it is
    not a chain)."""
    if isinstance(feature, Chain):
        return _chained(feature.feature_1) + _chained(feature.feature_2)
    return [feature]


def _known_0d(features, i):
    """Whether the result of ``features[i]`` (of a chain, :func:`_chained`) is known to be 0-d
    whatever the input: a statistics reduction over every axis (``axis=None`` without
    ``keepdims``), or one passed through ``AsType``, ``Transpose`` or ``Squeeze``."""
    if i < 0:
        return False
    kind = getattr(features[i], "_kind", None)
    if kind in _SCALAR_PASSING_KINDS:
        return _known_0d(features, i - 1)
    if kind not in _STATISTICS_KINDS:
        return False
    try:
        return features[i]._get_property("axis") is None and features[i]._get_property("keepdims") is not True
    except Exception:  # noqa: BLE001 - a property Python holds: not known
        return False


def _scalar_in_2_0_1(features, i):
    """Whether DeepTrack2 2.0.1 gives a 0-d result of ``features[i]`` (of a chain, :func:`_chained`)
    as a numpy scalar: the kinds that give numpy scalars, and ``AsType``, ``Transpose`` (which keep
    the number of axes) and ``Squeeze`` (of a result known to be 0-d) of such a scalar, which numpy's
    ``astype``, ``transpose`` and ``squeeze`` of a numpy scalar keep a scalar. The pipeline's input
    (an array) and unknown features (a user's, ``Value``): no."""
    if i < 0:
        return False
    last = features[i]
    kind = getattr(last, "_kind", None)
    if kind in _SCALAR_PASSING_KINDS:
        if kind == "Squeeze" and not _known_0d(features, i - 1):
            return False
        return _scalar_in_2_0_1(features, i - 1)
    if kind is None or kind == "Value" or kind not in _KIND_NAMES:
        return False
    return kind not in _ZERO_D_ARRAY_KINDS and not _zero_d_array_by_parameters(last)


def _zero_d_results(feature, results):
    """``results`` with their 0-d numbers typed as DeepTrack2 2.0.1 gives them for ``feature``'s last
    kind: a 0-d ndarray for the kinds of ``_ZERO_D_ARRAY_KINDS`` (the registry's ``zero_d_array``:
    2.0.1 returns its input array or scipy's 0-d array; the library gives a float64 or
    complex128 scalar) and for those whose numpy function gives one for their parameters
    (``_zero_d_array_by_parameters``), numpy's bool scalar for a comparison (the library gives a 0-d
    bool array)."""
    scalar = (np.float64, np.complex128)
    last = _last_feature(feature)
    kind = last._kind
    chained = _chained(feature) if kind in _SCALAR_PASSING_KINDS else []
    if chained and _scalar_in_2_0_1(chained, len(chained) - 1):
        # numpy's astype, transpose and squeeze of a numpy scalar (a reduction's) give a numpy scalar.
        return [r[()] if type(r) is np.ndarray and r.ndim == 0 else r for r in results]
    if kind in _ZERO_D_ARRAY_KINDS or (
        any(isinstance(r, scalar) for r in results) and _zero_d_array_by_parameters(last)
    ):
        return [np.array(r) if isinstance(r, scalar) else r for r in results]
    if kind in _COMPARISON_KINDS:
        return [
            r[()] if type(r) is np.ndarray and r.ndim == 0 and r.dtype == np.bool_ else r for r in results
        ]
    return results


def _computes_with(feature, key):
    """Whether built-in ``feature`` computes with its property ``key`` (one of its kind's
    parameters); other properties are metadata, which may hold any object."""
    if feature._kind == "Value":
        return False
    sig = getattr(type(feature), "__signature__", None)
    return sig is None or (key in sig.parameters and key not in ("kwargs", "_input"))


def _same_value(value, given):
    """Whether ``value``, a property value read from the library, is what the object ``given``
    became there (so that the object itself can be given back)."""
    if isinstance(given, (list, tuple)):
        return (
            isinstance(value, list)
            and len(value) == len(given)
            and all(_same_value(v, g) for v, g in zip(value, given))
        )
    if isinstance(given, np.ndarray) or isinstance(value, np.ndarray):
        a, b = np.asarray(value), np.asarray(given)
        return a.shape == b.shape and b.dtype.kind in "biufc" and bool(np.array_equal(a, b))
    if isinstance(given, Image):
        return _same_value(value, given._value)
    try:
        return bool(value == given)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - an object whose == does not give a bool
        return False


def _set_value_arg(value, what):
    """The library value for ``set_value`` and resolve-time overrides: a value, not a rule."""
    if isinstance(value, (Feature, Property)) or (callable(value) and not isinstance(value, (type, Image))):
        raise TypeError(
            f"{what}: set_value takes a value, not a {type(value).__name__} (set a rule as the feature's "
            "property instead)"
        )
    return _core.to_value(value, what)


def _emit_warnings():
    """Raises the library's warnings of the resolve that just ran (``NonOverlapping`` that could not
    place its volumes apart, ...) as Python ``UserWarning``s, as DeepTrack2's ``warnings.warn``."""
    for message in _core.take_warnings():
        warnings.warn(message, UserWarning, stacklevel=3)


def _dict_ids(image):
    """The identities of an input Image's dicts (empty for an array)."""
    return tuple(map(id, image.properties)) if isinstance(image, Image) else ()


def _rebuild(cls, args, kwargs, stored, arguments=None):
    """Unpickles a feature (see Feature.__reduce__), with its bound arguments."""
    feature = cls(*args, **kwargs)
    if isinstance(stored, tuple):
        feature.store_properties(stored[1], recursive=False)
    elif stored is not None:
        # The features it contains were rebuilt first, with their own settings: one set for a single
        # feature (recursive=False) after this one's is kept, as it was.
        own = [
            (f, f.__dict__["_stored"])
            for f in _objects.features_of(feature, Feature)
            if f is not feature and f.__dict__.get("_stored_recursive") is False
        ]
        feature.store_properties(stored)
        for f, flag in own:
            f.store_properties(flag, recursive=False)
    if arguments is not None:
        feature.bind_arguments(arguments)
    return feature


def _overrides_get(cls):
    return cls.get is not Feature.get


#: DeepTrack2's modules whose kinds compute an image from an image (or from nothing): a Python
#: subclass of one may override get (Feature._create); the other kinds image samples (optics), make
#: volumes (scatterers: their own path), or are built from features.
_IMAGE_MODULES = frozenset({"features", "math", "noises", "augmentations", "holography", "elementwise", "statistics"})

#: Kinds of those modules whose Python class does more than hold the kind (Value gives back the object
#: it was given; Stack and Arguments are built with features).
_NOT_SUBCLASSABLE = frozenset({"Value", "Stack", "Arguments"})


def _takes_the_list(kind_cls, properties):
    """Whether DeepTrack2 2.0.1's class of a kind calls ``get`` once with the whole list of images
    (``__distributed__`` False): the arithmetic, ``LoadImage``, and a reduction given
    ``distributed=False``."""
    if issubclass(kind_cls, ArithmeticOperationFeature) or kind_cls._kind == "LoadImage":
        return True
    if kind_cls._module == "statistics" and "distributed" in properties:
        distributed = properties["distributed"]
        return distributed() is False if callable(distributed) else distributed is False
    return False


def _user_get(cls):
    """Whether a class of the user's (not this package's) defines ``get`` for ``cls``."""
    get = cls.get
    return get is not Feature.get and not getattr(get, "__module__", "").startswith("deeptrack_native")


def _computes_images(cls):
    """Whether ``cls``, a subclass of a built-in kind, is one whose get a subclass may override."""
    kind = cls._kind
    return (
        getattr(cls, "_module", None) in _IMAGE_MODULES
        and kind not in _NOT_SUBCLASSABLE
        and getattr(_BUILTINS.get(kind), "_image_kind", False)
    )


_VOLUME_SCATTERERS = {}


def _volume_scatterer(kind):
    """Whether built-in ``kind`` is a volume scatterer (one whose volume a subclass's get may
    compute), as the library answers: it computes a volume for it."""
    if kind not in _VOLUME_SCATTERERS:
        try:
            _core.builtin_volume(kind, {})
            _VOLUME_SCATTERERS[kind] = True
        except _core.error_class(_lib.INVALID_ARGUMENT):
            _VOLUME_SCATTERERS[kind] = False
    return _VOLUME_SCATTERERS[kind]


_BUILTIN_CLASSES = set()

# Replaced by every update() and seed(): a resolve after one copies its input again (see
# Feature._input_handle).
_INPUTS_EPOCH = [object()]


def _is_builtin_class(cls):
    return cls in _BUILTIN_CLASSES


def _binary(kind):
    def forward(self, other):
        return Chain(self, _builtin(kind)(value=other))

    def reflected(self, other):
        return Chain(_builtin("Value")(value=other), _builtin(kind)(value=self))

    return forward, reflected


for _op, _kind in [
    ("add", "Add"),
    ("sub", "Subtract"),
    ("mul", "Multiply"),
    ("truediv", "Divide"),
    ("floordiv", "FloorDivide"),
    ("pow", "Power"),
]:
    _fwd, _ref = _binary(_kind)
    setattr(Feature, f"__{_op}__", _fwd)
    setattr(Feature, f"__r{_op}__", _ref)

for _op, _kind in [
    ("gt", "GreaterThan"),
    ("lt", "LessThan"),
    ("ge", "GreaterThanOrEquals"),
    ("le", "LessThanOrEquals"),
]:
    setattr(Feature, f"__{_op}__", _binary(_kind)[0])


_OPERATOR_KINDS = {
    operator.add: "Add",
    operator.sub: "Subtract",
    operator.mul: "Multiply",
    operator.truediv: "Divide",
    operator.floordiv: "FloorDivide",
    operator.pow: "Power",
    operator.gt: "GreaterThan",
    operator.lt: "LessThan",
    operator.ge: "GreaterThanOrEquals",
    operator.le: "LessThanOrEquals",
    operator.eq: "Equals",
}


class StructuralFeature(Feature):
    """DeepTrack2's ``features.StructuralFeature``: the base class of features that combine others."""

    __module__ = "deeptrack_native.features"


class ArithmeticOperationFeature(Feature):
    """DeepTrack2's ``ArithmeticOperationFeature(op, value=0)``: ``op(image, value)`` element-wise.
    The operators of Python's ``operator`` module that a built-in kind computes (``operator.add`` is
    ``Add``, ``operator.sub`` ``Subtract``, ... ``operator.eq`` ``Equals``) build that kind, natively;
    any other function runs in Python on each image."""

    def __new__(cls, op=None, value=0, **kwargs):
        kind = _OPERATOR_KINDS.get(op)
        if cls is ArithmeticOperationFeature and kind is not None:
            return _builtin(kind)(value=value, **kwargs)
        return super().__new__(cls)

    def __init__(self, op, value=0, **kwargs):
        if not callable(op):
            raise TypeError("ArithmeticOperationFeature: op must be callable")
        self.__dict__["_op"] = op
        self.__dict__["op"] = op  # DeepTrack2's attribute
        super().__init__(value=value, **kwargs)

    def get(self, image, value, **kwargs):
        return self._op(image, value)


def _arithmetic_init(self, *args, **kwargs):
    """The constructor of the arithmetic kinds (``Add``, ...): Feature's, except on the feature
    ``ArithmeticOperationFeature(operator.add, value)`` built already (Python calls ``__init__`` on
    what ``__new__`` returns when it is an instance of the class called)."""
    if "_h" not in self.__dict__:
        Feature.__init__(self, *args, **kwargs)


def _get_outcomes(feature, calls):
    """What the get of the pipeline's last feature (``feature``, or the last of its chain) gave at its
    calls of the last resolve that computed it (``calls``: ``_core.no_image_scope``; a resolve that
    finds the result cached calls nothing, and the outcomes of the one that computed it hold), or
    None when that feature is not a custom one."""
    while isinstance(feature, Chain):
        feature = feature.feature_2
    mine = [outcome for f, outcome in calls if f is feature]
    if mine:
        feature.__dict__["_get_outcomes"] = mine
        return mine
    return feature.__dict__.get("_get_outcomes")


class Chain(StructuralFeature):
    """``feature_1 >> feature_2``: resolves ``feature_2`` on ``feature_1``'s output."""

    def __init__(self, feature_1, feature_2, **kwargs):
        feature_1, feature_2 = _as_feature(feature_1), _as_feature(feature_2)
        args = (feature_1._h.ptr, feature_2._h.ptr)
        self._compose(lib.deeptrack_feature_chain, args, [feature_1, feature_2], kwargs)
        # DeepTrack2's attributes: the two features chained.
        self.__dict__["feature_1"] = feature_1
        self.__dict__["feature_2"] = feature_2


Branch = Chain


class Repeat(Feature):
    """``feature ^ N``: applies ``feature`` N times in sequence, each repetition with its own samples
    (its dicts record ``_ID``). ``N`` may be any property value (a constant, a callable, ...)."""

    def __init__(self, feature, N, **kwargs):
        feature = _as_feature(feature)
        fixed = isinstance(N, int) and not isinstance(N, bool) and N >= 0
        if not fixed:
            kwargs = {"N": N, **kwargs}  # any other rule (or a bad N, which the library reports)
        self._compose(lib.deeptrack_feature_repeat, (feature._h.ptr, N if fixed else 1), [feature], kwargs)


class Microscope(StructuralFeature):
    """``optics(sample)``: images ``sample`` (resolved without input) with ``objective``."""

    def __init__(self, sample, objective, **kwargs):
        sample, objective = _as_feature(sample), _as_feature(objective)
        args = (objective._h.ptr, sample._h.ptr)
        self._compose(lib.deeptrack_feature_microscope, args, [sample, objective], kwargs)

    def get(self, image, **properties):
        """DeepTrack2's direct call: the sample imaged by the objective. ``image`` is ignored, as
        DeepTrack2's ``Microscope.get`` ignores it (the sample is resolved without input); properties
        given override the pipeline's for this call."""
        given = {k: v for k, v in properties.items() if k not in ("name", "_ID")}
        return self.resolve(**given)


class Lambda(Feature):
    """``Lambda(function, **properties)``: ``function`` takes properties by name and returns the
    callable applied to the image (``Lambda(lambda factor: lambda im: im * factor, factor=3)``)."""

    _positional = ("function",)

    def __init__(self, function, **kwargs):
        if not callable(function):
            raise TypeError("Lambda: function must be callable")
        # As in DeepTrack2, ``function`` is the property ``function``: a rule taking the properties
        # it names, whose value (the callable applied to the image) is sampled with the others.
        super().__init__(function=function, **kwargs)

    def get(self, image, function, **properties):
        return function(image)


class Merge(Feature):
    """``Merge(function, **properties)``: DeepTrack2's ``Merge``. ``function`` takes properties by name
    and returns the callable applied to the whole list of input images at once (``Merge(lambda: lambda
    images: np.mean(np.stack(images), axis=0))``); it returns one image or a list of them.

    Written here, as :class:`Lambda`, because its function is Python code the library calls
    (``deeptrack_feature_new_merge``), not a property value the registry can hold."""

    _positional = ("function",)

    def __init__(self, function, **kwargs):
        if not callable(function):
            raise TypeError("Merge: function must be callable")
        # As in DeepTrack2 (and Lambda), ``function`` is the property ``function`` whose value is the
        # callable applied to the list of images.
        super().__init__(function=function, **kwargs)

    def _create(self, kwargs):
        name = kwargs.pop("name", type(self).__name__)
        if not isinstance(name, str):
            raise TypeError("name must be a string")
        self.__dict__["_calls_python"] = True
        self._h = _core.new_merge_feature(self, name)

    def _merge(self, images, properties):
        return properties["function"](images)


class SampleToMasks(Feature):
    """``SampleToMasks(transformation_function, number_of_masks=1, output_region=None,
    merge_method="add")``: each scatterer of the sample transformed (``transformation_function`` as
    DeepTrack2's: ``lambda: lambda volume: volume > 0``, run as a :class:`Lambda`; or any feature) and
    placed at its position in an ``(H, W, number_of_masks)`` image of ``output_region``, merged by
    ``merge_method`` (``"add"``, ``"overwrite"``, ``"or"``, ``"mul"``, or a list with one per mask).

    Written here rather than generated from the registry because its transformation is a feature the
    library builds it from (``deeptrack_feature_new_with``), and a Python function must become one."""

    _kind = "SampleToMasks"
    _module = "features"
    _positional = ("transformation_function", "number_of_masks", "output_region", "merge_method")

    def __init__(self, transformation_function=None, number_of_masks=1, output_region=None, merge_method="add", **kwargs):
        if transformation_function is None:
            transforms = []
        elif isinstance(transformation_function, Feature):
            transforms = [transformation_function]
        elif callable(transformation_function):
            transforms = [Lambda(transformation_function)]
        else:
            raise TypeError("SampleToMasks: transformation_function must be a function or a feature")
        methods = merge_method if isinstance(merge_method, (list, tuple)) else [merge_method]
        if any(callable(m) and not isinstance(m, Property) for m in methods):
            raise NotImplementedError(
                "SampleToMasks: a function as merge_method is not supported by libdeeptrack "
                "(use 'add', 'overwrite', 'or' or 'mul')"
            )
        kwargs = {"number_of_masks": number_of_masks, "merge_method": merge_method, **kwargs}
        if output_region is not None:
            kwargs["output_region"] = output_region
        array = (c_void_p * max(1, len(transforms)))(*[f._h.ptr for f in transforms])
        args = (b"SampleToMasks", array, len(transforms))
        self._compose(lib.deeptrack_feature_new_with, args, transforms, kwargs)


def _keyword_names(fn):
    """The keywords DeepTrack2's ``safe_call`` passes ``fn``: its named parameters, or only its
    keyword-only ones when it takes ``*args``."""
    try:
        spec = inspect.getfullargspec(fn)
    except TypeError:
        return []
    return list(spec.kwonlyargs or []) if spec.varargs else list(spec.args or [])


def _as_feature(obj, name=None):
    if isinstance(obj, Feature):
        return obj
    if name == "pupil" and isinstance(obj, np.ndarray):
        # DeepTrack2's array pupil (``pupil_function *= pupil``): a Value holding it, which the optics
        # multiply their pupil by (the library's way to give an array as a pupil).
        if _holds_object(obj):
            raise TypeError(
                f"an array pupil of {obj.dtype} is not numbers the library holds; give real or complex numbers, or "
                "a subclass of Aberration"
            )
        return _builtin("Value")(value=obj)
    raise TypeError(f"expected a feature, got a {type(obj).__name__}")


_BUILTINS = {}


def _builtin(kind):
    return _BUILTINS[kind]


class Optics(Feature):
    """Built-in optics: calling one on a feature, ``optics(sample)``, builds a :class:`Microscope`."""

    _positional = ()

    def __call__(self, sample=None, **kwargs):
        if isinstance(sample, Feature):
            return Microscope(sample, self, **kwargs)
        return self.resolve(sample, **kwargs)


class Noise(Feature):
    """DeepTrack2's ``noises.Noise``: the base class of noises (``Gaussian``, ``Poisson``, ...). It adds
    nothing to :class:`Feature`, as in DeepTrack2: a noise of your own subclasses it and defines
    ``get(self, image, **properties)``, which runs as any custom feature."""

    __module__ = "deeptrack_native.noises"


class ElementwiseFeature(Feature):
    """DeepTrack2's base class of the element-wise features (``Sin``, ``Log``, ...): each applies its
    numpy function to its input, or, given a feature (``Sin(feature)``), to that feature's output."""

    __module__ = "deeptrack_native.elementwise"


# -- DeepTrack2's other base classes (i22-pymod) -------------------------------------------------------
# As Noise: each adds nothing to Feature; a class of your own subclasses it and defines
# ``get(self, image, **properties)``, which runs as any custom feature. The built-in kinds of the
# modules whose every class derives from one in DeepTrack2 derive from it here too (see _define).


class Aberration(Feature):
    """DeepTrack2's ``aberrations.Aberration``: the base class of the pupil aberrations."""

    __module__ = "deeptrack_native.aberrations"


class Augmentation(Feature):
    """DeepTrack2's ``augmentations.Augmentation``: the base class of augmentations of your own. As in
    DeepTrack2, ``time_consistent`` (default False; the one positional argument) is its first
    property."""

    __module__ = "deeptrack_native.augmentations"

    def __init__(self, *args, **kwargs):
        if self._kind is None:
            # DeepTrack2's Augmentation.__init__(time_consistent=False, **kwargs): the first property.
            if len(args) > 1:
                raise TypeError(f"{type(self).__name__}() takes at most 1 positional argument (time_consistent), got {len(args)}")
            if args and "time_consistent" in kwargs:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument 'time_consistent'")
            consistent = args[0] if args else kwargs.pop("time_consistent", False)
            kwargs = {"time_consistent": consistent, **kwargs}
            args = ()
        super().__init__(*args, **kwargs)


class Scatterer(Feature):
    """DeepTrack2's ``scatterers.Scatterer``: the base class of the scatterers (``PointParticle``,
    ``Sphere``, ...). A subclass of your own is a custom feature: the optics do not image its output
    as a scatterer's volume."""

    __module__ = "deeptrack_native.scatterers"


class Reducer(Feature):
    """DeepTrack2's ``statistics.Reducer``: the base class of the reductions (``Sum``, ``Mean``, ...)."""

    __module__ = "deeptrack_native.statistics"


_MODULE_BASES = {"aberrations": Aberration, "augmentations": Augmentation, "scatterers": Scatterer, "statistics": Reducer}


def propagate_data_to_dependencies(feature, **kwargs):
    """Sets property ``key`` to ``value``, for every ``key=value``, on every feature of ``feature``'s
    pipeline that has it (until the next update), as DeepTrack2's function of that name; keys no
    feature has are ignored."""
    _seed_first(feature)
    for key, value in kwargs.items():
        v = _set_value_arg(value, f"the value of '{key}' given to propagate_data_to_dependencies")
        _core.call(lib.deeptrack_feature_set_value_everywhere, feature._h.ptr, key.encode("utf-8"), v.ptr, None)


def _seed_first(feature):
    """Gives a pipeline that holds no samples yet its first samples (as its first resolve would, from
    ``np.random``), so that values set on it now are not replaced by that resolve."""
    if "_np_first" not in feature.__dict__:
        first = _npseed.first_resolve_seed(feature, _objects.features_of, Feature)
        if first is not None:
            _core.call(lib.deeptrack_feature_seed, feature._h.ptr, first)


# -- end of the base classes ------------------------------------------------------------------------


def classes_of(module):
    """The built-in classes of DeepTrack2's module ``module`` (``"elementwise"``, ``"statistics"``,
    ...), by class name and alias: what the submodule of that name exports."""
    return {name: cls for name, cls in _BUILTINS.items() if cls._module == module}


# -- the built-in kinds, from the library's registry -------------------------------------------------

# Parameter types and flags (include/deeptrack.h: DEEPTRACK_PARAM_*, DEEPTRACK_PARAM_FLAG_*).
_PARAM_FEATURE, _PARAM_FEATURES, _PARAM_CALLBACK, _PARAM_DTYPE = 9, 10, 11, 12
_FEATURE_TYPES = (_PARAM_FEATURE, _PARAM_FEATURES, _PARAM_CALLBACK)
_FLAG_ONLY_DEFAULT, _FLAG_REQUIRED, _FLAG_METERS, _FLAG_PIXELS = 8, 16, 256, 512


def _kind_str(fn, *args):
    out = c_char_p()
    _core.call(fn, *args, byref(out))
    return out.value.decode("utf-8")


def _kind_bool(fn, *args):
    out = c_bool()
    _core.call(fn, *args, byref(out))
    return out.value


def _kind_count(fn, *args):
    out = c_size_t()
    _core.call(fn, *args, byref(out))
    return out.value


class _Param:
    """A parameter of a built-in kind, as the library's registry describes it."""

    __slots__ = ("name", "type", "flags", "default", "doc")

    def __init__(self, kind, index):
        self.name = _kind_str(lib.deeptrack_kind_param_name, kind, index)
        self.doc = _kind_str(lib.deeptrack_kind_param_doc, kind, index)
        out = c_uint32()
        _core.call(lib.deeptrack_kind_param_type, kind, index, byref(out))
        self.type = out.value
        _core.call(lib.deeptrack_kind_param_flags, kind, index, byref(out))
        self.flags = out.value
        value = c_void_p()
        _core.call(lib.deeptrack_kind_param_default, kind, index, byref(value))
        if value.value:
            self.default = _core.take_value(_core.Owned(value.value, lib.deeptrack_value_free))
        else:
            self.default = inspect.Parameter.empty if self.flags & _FLAG_REQUIRED else None


def registry():
    """The library's built-in kinds, read from its registry (``deeptrack_kind_*``): a list of dicts
    with ``name``, ``module`` (DeepTrack2's), ``base`` (DeepTrack2 2.0.1's base class where it is not
    the module's usual one; ``""`` else), ``doc``, ``aliases``, ``positional`` (DeepTrack2's
    constructor order), ``zero_d_array`` (whether DeepTrack2 2.0.1's result on a 0-d input is a 0-d
    ndarray where the library's is a number), ``bool_output`` (whether the result is numpy's bools: the
    comparisons) and ``params`` (each with ``name``, ``type``, ``flags``, ``default``, ``doc``)."""
    kinds = []
    for k in range(lib.deeptrack_kind_count()):
        kinds.append(
            {
                "name": _kind_str(lib.deeptrack_kind_name, k),
                "module": _kind_str(lib.deeptrack_kind_module, k),
                "base": _kind_str(lib.deeptrack_kind_base, k),
                "zero_d_array": _kind_bool(lib.deeptrack_kind_zero_d_array, k),
                "bool_output": _kind_bool(lib.deeptrack_kind_bool_output, k),
                "doc": _kind_str(lib.deeptrack_kind_doc, k),
                "aliases": [
                    _kind_str(lib.deeptrack_kind_alias, k, i)
                    for i in range(_kind_count(lib.deeptrack_kind_alias_count, k))
                ],
                "positional": [
                    _kind_str(lib.deeptrack_kind_positional, k, i)
                    for i in range(_kind_count(lib.deeptrack_kind_positional_count, k))
                ],
                "params": [_Param(k, i) for i in range(_kind_count(lib.deeptrack_kind_param_count, k))],
            }
        )
    return kinds


def _signature(kind):
    """DeepTrack2's constructor signature: the positional parameters in its order, then the others
    as keywords, then ``**kwargs`` (any other keyword is a property)."""
    params = {p.name: p for p in kind["params"]}
    parameters = []
    for name in kind["positional"]:
        default = None if name == "_input" else params[name].default
        parameters.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default))
    for p in kind["params"]:
        if p.name not in kind["positional"]:
            parameters.append(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default))
    parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    try:
        return inspect.Signature(parameters)
    except ValueError:  # a required parameter after one with a default: no signature shown
        return None


def _doc(kind):
    lines = [kind["doc"], "", f"DeepTrack2's ``{kind['module']}.{kind['name']}``, computed by libdeeptrack.", ""]
    for p in kind["params"]:
        default = "required" if p.default is inspect.Parameter.empty else f"default {p.default!r}"
        only = " (only the default is implemented)" if p.flags & _FLAG_ONLY_DEFAULT else ""
        lines.append(f"``{p.name}`` ({default}){only}: {p.doc}")
    return "\n".join(lines)


class _Composite(Feature):
    """A built-in kind built from other features (``Combine(features)``, ``Probability(feature, p)``,
    ``OneOf(collection)``, ...): its feature parameters, named by the registry, are given as features
    (or, for a list parameter, any iterable of features); its other parameters are properties."""

    #: The feature parameters in order: ``(name, takes_several)``.
    _feature_params = ()

    def _create(self, kwargs):
        if _user_get(type(self)):
            raise TypeError(
                f"{type(self).__name__} overrides get() of the built-in {self._kind}, which is built from "
                "features; subclass Feature for a feature of your own"
            )
        features = []
        for name, several in self._feature_params:
            if name not in kwargs:
                raise TypeError(f"{type(self).__name__}() missing the argument '{name}'")
            given = kwargs.pop(name)
            if several:
                if isinstance(given, Feature) or not hasattr(given, "__iter__"):
                    raise TypeError(f"{type(self).__name__}: '{name}' must be a list of features")
                items = [_as_feature(f) for f in given]
            else:
                items = [_as_feature(given)]
            features.extend(items)
        self.__dict__["_refs"] = list(features)
        pointers = (c_void_p * max(len(features), 1))(*[f._h.ptr for f in features])
        self._h = _core.new_handle(
            lib.deeptrack_feature_new_with, self._kind.encode(), pointers, len(features), free=lib.deeptrack_feature_free
        )
        if type(self).__name__ != self._kind and not _is_builtin_class(type(self)):
            kwargs.setdefault("name", type(self).__name__)


class _Function(Feature):
    """A Python function as the function parameter (``DEEPTRACK_PARAM_CALLBACK``) of a built-in kind:
    a custom feature whose ``get`` the kind calls with its own properties, as ``call(image, properties)``,
    ``image`` a read-only view of the kind's input (DeepTrack2 passes the image itself; the view saves a
    copy, and a function writing into its input gets numpy's read-only error)."""

    def __init__(self, call, name):
        self.__dict__.update(_refs=[], _default_input=None, _had_input=False, _input_cache=None)
        self._h = _core.new_function_feature(call, name)


class Blur(_Composite):
    """``filter_function`` is called on the whole image as DeepTrack2 calls it,
    ``filter_function(input=image, **properties)`` with the properties its signature names
    (``Blur(scipy.ndimage.uniform_filter, size=2)``), ``mode`` among them.

    Written here, not generated, because the registry's function parameter is a C callback: this class
    makes the Python callable one, with DeepTrack2's keyword selection (``safe_call``)."""

    _kind = "Blur"
    _module = "math"
    _positional = ("filter_function", "mode")
    _feature_params = (("filter_function", False),)

    def __init__(self, filter_function, mode="reflect", **kwargs):
        if not callable(filter_function):
            raise TypeError("Blur: filter_function must be callable")
        names = [name for name in _keyword_names(filter_function) if name != "input"]

        def call(image, properties):
            return filter_function(input=image, **{name: properties[name] for name in names if name in properties})

        super().__init__(filter_function=_Function(call, "filter_function"), mode=mode, **kwargs)


class BlurCV2(_Composite):
    """An OpenCV filter on the whole image: ``filter_function(src=image, dst=out, borderType=…, **properties)``,
    ``borderType`` OpenCV's integer for ``mode`` (``cv2.BORDER_REFLECT`` for "reflect"), ``out`` a writable
    copy of the image the filter may write into; its image is what the filter returns, or ``out`` when it
    returns None. A function whose signature can be read is given the keywords it names (as ``Blur``); one
    whose signature cannot (OpenCV's functions are built-ins) is given ``src``, ``dst``, ``borderType`` and
    the properties given at construction: ``BlurCV2(cv2.GaussianBlur, ksize=(5, 5), sigmaX=1)``.

    DeepTrack2 2.0.1's ``BlurCV2`` cannot be constructed (its ``__new__`` fails, and its default mode is
    misspelt): this is what it evidently means. Written here, not generated, because the registry's
    function parameter is a C callback."""

    _kind = "BlurCV2"
    _module = "math"
    _positional = ("filter_function", "mode")
    _feature_params = (("filter_function", False),)

    def __init__(self, filter_function, mode="reflect", **kwargs):
        if not callable(filter_function):
            raise TypeError("BlurCV2: filter_function must be callable")
        try:
            spec = inspect.getfullargspec(filter_function)
        except TypeError:
            spec = None
        given = [name for name in kwargs if name != "name"]
        if spec is None:
            names, extra = None, ["borderType", *given]
        else:
            names = _keyword_names(filter_function)
            extra = ["borderType", *given] if spec.varkw else []

        def call(image, properties):
            out = np.array(image, copy=True)
            images = {"src": image, "dst": out}
            if names is None:
                keywords = dict(images)
            else:
                keywords = {name: images[name] for name in ("src", "dst") if name in names or spec.varkw}
                keywords.update((name, properties[name]) for name in names if name in properties)
            keywords.update((name, properties[name]) for name in extra if name in properties)
            result = filter_function(**keywords)
            return out if result is None else result

        super().__init__(filter_function=_Function(call, "filter_function"), mode=mode, **kwargs)


#: numpy's reductions that ``Pool`` computes natively, by the statistics kind that computes each.
_NATIVE_POOLINGS = {np.sum: "Sum", np.mean: "Mean", np.max: "Max", np.amax: "Max", np.min: "Min", np.amin: "Min", np.median: "Median"}


class Pool(_Composite):
    """``pooling_function`` over each ``ksize`` block (skimage's ``block_reduce``: the padding at the
    ends, ``cval`` or 0, counts). ``np.sum``, ``np.mean``, ``np.max``, ``np.min`` and ``np.median`` (or the statistics
    features ``Sum()`` … ``Median()``) run natively; another callable taking ``axis`` is called once, as
    skimage calls it, with the view of every block and ``axis`` the block axes; one without ``axis`` is
    called once per block with that block and returns one value.

    Written here, not generated, because the registry's function parameter is a C callback: this class
    recognises numpy's reductions and makes any other callable a per-block callback."""

    _kind = "Pool"
    _module = "math"
    _positional = ("pooling_function", "ksize")
    _feature_params = (("pooling_function", False),)

    def __init__(self, pooling_function, ksize=3, **kwargs):
        if isinstance(pooling_function, Feature):
            function = pooling_function
        else:
            try:
                native = _NATIVE_POOLINGS.get(pooling_function)
            except TypeError:  # an unhashable callable
                native = None
            if native is not None:
                function = _builtin(native)()
            elif callable(pooling_function):
                call, name = _block_reducer(pooling_function)
                function = _Function(call, name)
            else:
                raise TypeError("Pool: pooling_function must be callable")
        super().__init__(pooling_function=function, ksize=ksize, **kwargs)


def _block_reducer(fn):
    """``(call, name)`` of a pooling function for the library. A function taking ``axis`` is called as
    skimage's ``block_reduce`` (DeepTrack2's) calls it: once, ``fn(blocks, axis=(d, …, 2d-1))`` on the
    ``(n…, k…)`` view of the zero-padded image's blocks, returning one value per block (the library
    calls a function named ``block_reduce`` so). One without ``axis`` is called once per block,
    ``fn(block)``."""
    try:
        params = inspect.signature(fn).parameters
        takes_axis = "axis" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    except (TypeError, ValueError):
        takes_axis = True  # a builtin without a signature: as skimage calls it
    if takes_axis:

        def call(blocks, _):
            nd = blocks.ndim // 2
            return _pooled(fn(blocks, axis=tuple(range(nd, 2 * nd))))

        return call, "block_reduce"
    return (lambda block, _: _pooled(fn(np.asarray(block)))), "pooling_function"


def _pooled(values):
    """The values a pooling function returned, as an array: complex numbers stay complex (a complex
    image's blocks), anything else becomes float64."""
    values = np.asarray(values)
    return values if np.iscomplexobj(values) else np.asarray(values, dtype=float)


def _define(kind):
    """The class of a built-in kind: its registry entry gives the name, the positional parameters,
    the parameters implemented at their default only, and the docs."""
    only_default, unsupported = {}, []
    for p in kind["params"]:
        if p.flags & _FLAG_ONLY_DEFAULT:
            if p.default is None:
                unsupported.append(p.name)
            else:
                only_default[p.name] = p.default
    # Optics image a sample when called on it (a Microscope); the element-wise kinds share
    # DeepTrack2's base class. Kinds that need features (Combine, Probability, OneOf, ...) are
    # composites; those whose features are optional (Sin(feature)) take them as keywords of their own.
    base = {"optics": Optics, "elementwise": ElementwiseFeature, "noises": Noise, **_MODULE_BASES}.get(
        kind["module"], Feature
    )
    needs_features = any(p.type in _FEATURE_TYPES and p.flags & _FLAG_REQUIRED for p in kind["params"])
    feature_params = tuple((p.name, p.type == _PARAM_FEATURES) for p in kind["params"] if p.type in _FEATURE_TYPES)
    if needs_features:
        base = _Composite
    parent = _dt2_parent(kind)
    if parent is not None:
        base = (_Composite, parent) if needs_features and not issubclass(parent, _Composite) else parent
    elif kind["base"] == "Feature" and not needs_features:
        base = Feature  # a kind of a module with a base class that DeepTrack2 derives from Feature only
    attrs = {
        "_kind": kind["name"],
        "_positional": tuple(kind["positional"]),
        "_unsupported": tuple(unsupported),
        "_only_default": only_default,
        "_feature_params": tuple(p.name for p in kind["params"] if p.type == _PARAM_FEATURE),
        # numpy types (AsType's dtype): a Python or numpy type given to them is held by its name.
        "_dtype_params": frozenset(p.name for p in kind["params"] if p.type == _PARAM_DTYPE),
        # Lengths in meters: a quantity in pixels given to them is converted with the optics' pixel size.
        "_meters": frozenset(p.name for p in kind["params"] if p.flags & _FLAG_METERS),
        # The kind's parameters (a keyword outside them warns: deeptrack_native._unknown).
        "_params": frozenset(p.name for p in kind["params"]),
        # Whether a subclass may compute with a get of its own (none of its parameters is a
        # required feature; see _computes_images).
        "_image_kind": not any(p.type in _FEATURE_TYPES and p.flags & _FLAG_REQUIRED for p in kind["params"]),
        "_pixels": frozenset(p.name for p in kind["params"] if p.flags & _FLAG_PIXELS),
        "_module": kind["module"],
        "_base": kind["base"],  # DeepTrack2 2.0.1's base class, where not the module's ("" else)
        "__doc__": _doc(kind),
        "__module__": "deeptrack_native",
    }
    if needs_features:
        attrs["_feature_params"] = feature_params
    if parent is not None:
        # The parent gives the class DeepTrack2's ancestry only: the kind is built as any other
        # (a Python-written parent's constructor, get and creation are its own kind's).
        attrs.update(
            __new__=Feature.__new__,
            __init__=Feature.__init__,
            get=Feature.get,
            _create=_Composite._create if needs_features else Feature._create,
        )
        if parent is ArithmeticOperationFeature:
            # DeepTrack2's ``op`` attribute: the operator the kind computes (``Add().op`` is operator.add).
            attrs["op"] = next(op for op, name in _OPERATOR_KINDS.items() if name == kind["name"])
            attrs["__init__"] = _arithmetic_init
    signature = _signature(kind)
    attrs["__signature__"] = signature
    cls = type(kind["name"], base if isinstance(base, tuple) else (base,), attrs)
    _BUILTINS[kind["name"]] = cls
    _BUILTIN_CLASSES.add(cls)
    for alias in kind["aliases"]:
        _BUILTINS[alias] = cls
    return cls


#: The base class (in the registry) that this module writes after the kinds, around the kind of that
#: name: its subclasses there are recognised by its metaclass (:class:`_MieScattererType`), not
#: derived from it.
_LATER_PARENT = "MieScatterer"


def _dt2_parent(kind):
    """The class DeepTrack2 derives ``kind`` from (the registry's ``base``), when it is neither its
    module's base nor ``Feature`` nor written later; None else: a class of this module (``Blur``,
    ``Pool``, ``StructuralFeature``, ...), or the class of another kind (defined first)."""
    parent = kind["base"]
    if parent in ("", "Feature", _LATER_PARENT):
        return None
    own = globals().get(parent)
    if isinstance(own, type) and issubclass(own, Feature):
        return own
    return _BUILTINS[parent]


def _define_all():
    """Defines a class for every kind of the library's registry, except the ones this module writes
    itself (compositions with Python-side behaviour: ``Chain``, ``Repeat``, ``Microscope``). Kinds
    built from features derive from :class:`_Composite`; a kind DeepTrack2 derives from another kind
    (``Darkfield`` from ``Brightfield``) is defined after it."""
    kinds = registry()
    parents = {kind["base"] for kind in kinds}
    kinds.sort(key=lambda kind: kind["name"] not in parents)
    for kind in kinds:
        own = globals().get(kind["name"])
        if isinstance(own, type) and issubclass(own, Feature):
            if own._kind == kind["name"]:  # a kind's class written here: the registry's doc first
                own.__doc__ = f"{kind['doc']}\n\n{own.__doc__ or ''}"
            continue  # exported by the package itself
        _define(kind)
    return kinds


_KINDS = _define_all()
#: The kinds whose result on a 0-d input is a 0-d ndarray in DeepTrack2 2.0.1, where numpy's
#: arithmetic, math functions and reductions give a numpy scalar (the registry's ``zero_d_array``).
_ZERO_D_ARRAY_KINDS = frozenset(kind["name"] for kind in _KINDS if kind["zero_d_array"])
#: The comparisons, whose result on a 0-d input is numpy's bool scalar (``np.bool_``), as numpy's
#: comparison of a 0-d array gives it (the registry's ``bool_output``).
_COMPARISON_KINDS = frozenset(kind["name"] for kind in _KINDS if kind["bool_output"])
#: The kinds that give a numpy scalar input back as a numpy scalar in DeepTrack2 2.0.1 (numpy's
#: ``astype``, ``transpose`` and ``squeeze`` of one), and a 0-d ndarray input as a 0-d ndarray.
_SCALAR_PASSING_KINDS = frozenset({"AsType", "Transpose", "Squeeze"})
#: DeepTrack2's statistics reductions (``Sum``, ``Mean``, …), numbers over ``axis=None``.
_STATISTICS_KINDS = frozenset(kind["name"] for kind in _KINDS if kind["module"] == "statistics")
#: Every built-in kind's name.
_KIND_NAMES = frozenset(kind["name"] for kind in _KINDS)
# The kinds written here with Python-side behaviour that their DeepTrack2 module exports.
for _cls in (Blur, BlurCV2, Pool):
    _BUILTINS[_cls._kind] = _cls
    _BUILTIN_CLASSES.add(_cls)


class _MieScattererType(type):
    """The type of :class:`MieScatterer`: the built-in Mie kinds (``MieSphere``,
    ``MieStratifiedSphere``) count as its subclasses, as DeepTrack2's derive from it
    (``isinstance(MieSphere(), MieScatterer)``); they are library kinds of their own, not Python
    subclasses of this class."""

    def __subclasscheck__(cls, sub):
        if type.__subclasscheck__(cls, sub):
            return True
        return cls.__name__ == "MieScatterer" and getattr(sub, "_kind", None) in _MIE_KINDS

    def __instancecheck__(cls, obj):
        return cls.__subclasscheck__(type(obj))


#: The built-in kinds that are DeepTrack2's subclasses of ``MieScatterer`` (the registry's bases).
_MIE_KINDS = frozenset(cls._kind for cls in _BUILTIN_CLASSES if getattr(cls, "_base", "") == _LATER_PARENT)


class MieScatterer(Scatterer, _BUILTINS["MieScatterer"], metaclass=_MieScattererType):
    """DeepTrack2's ``scatterers.MieScatterer(coefficients, ...)``: the field scattered by a particle
    whose Mie coefficients come from ``coefficients``, as DeepTrack2 samples it: a callable is called
    with the properties it names (a function of no property, or of ``radius``, ``wavelength``, ...,
    as DeepTrack2's ``MieSphere`` gives it) and returns the function of ``L`` that gives ``(a_n,
    b_n)``, ``n = 1..L``; a callable that returns the pair ``(a_n, b_n)`` itself is taken too (a
    function of ``L``: DeepTrack2 2.0.1 raises there). ``L`` "auto" is computed from ``radius``.

    Written here, not generated, because the registry's function parameter is a C callback, and
    because a subclass that defines ``get`` is a feature of one's own (DeepTrack2's base class)."""

    __module__ = "deeptrack_native.scatterers"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get" in cls.__dict__:
            # Its own field: a custom feature, as subclasses of Feature are.
            cls._kind, cls._positional, cls._feature_params = None, ("_input",), ()
            cls._create = Feature._create

    def __init__(self, *args, **kwargs):
        if self._kind is None:
            Feature.__init__(self, *args, **kwargs)
            return
        _bind_positional(self, args, kwargs)
        coefficients = kwargs.pop("coefficients", None)
        if coefficients is None:
            raise TypeError(f"{type(self).__name__}() missing the argument 'coefficients'")
        if not isinstance(coefficients, Feature):
            if not callable(coefficients):
                raise TypeError(f"{type(self).__name__}: coefficients must be callable")
            coefficients = _Function(_mie_coefficients(coefficients), "coefficients")
        Feature.__init__(self, coefficients=coefficients, **kwargs)


def _mie_coefficients(coefficients):
    """The library's function of a MieScatterer's ``coefficients`` (see :class:`MieScatterer`):
    ``call(L image, properties)`` returns the ``(2, L)`` complex array of ``a_n``, ``b_n``."""
    names = _keyword_names(coefficients)

    def call(_, properties):
        order = int(properties["L"])
        value = coefficients(**{name: properties[name] for name in names if name in properties})
        if callable(value):
            value = value(order)
        a, b = value
        a, b = np.asarray(a, dtype=complex).reshape(-1), np.asarray(b, dtype=complex).reshape(-1)
        if min(a.size, b.size) < order:
            raise ValueError(f"coefficients gave {a.size} a_n and {b.size} b_n for L = {order}")
        return np.stack([a[:order], b[:order]])

    return call


MieScatterer.__doc__ = f"{_BUILTINS['MieScatterer'].__doc__}\n\n{MieScatterer.__doc__}"
_BUILTINS["MieScatterer"] = MieScatterer
_BUILTIN_CLASSES.add(MieScatterer)


class OneOfDict(_BUILTINS["OneOfDict"]):
    """``OneOfDict(collection, key=None)``: ``collection`` is a dict of features. Its keys are given
    to the library as the ``keys`` property when they are values it holds (strings, numbers, bools,
    None, tuples of them); other hashable keys are named by their positions, and a constant ``key``
    is translated to its position.

    Written here because a dict of features is not a registry parameter: the library takes the
    features as a list and their keys as a property."""

    def __init__(self, collection, key=None, **kwargs):
        if not isinstance(collection, dict):
            raise TypeError(f"OneOfDict: collection must be a dict of features, got a {type(collection).__name__}")
        keys = list(collection)
        try:
            for k in keys:
                _core.to_value(k, "key")
            plain = True
        except (TypeError, ValueError, OverflowError):
            plain = False
        if not plain:
            try:
                known = key is not None and key in collection
            except TypeError:  # unhashable: a rule of the library's (a list)
                known = False
            if known:
                key = keys.index(key)
            elif key is not None and not isinstance(key, (Property, Feature)):
                if isinstance(key, type) or not callable(key):  # a key, not a rule
                    raise KeyError(key)
            keys = list(range(len(keys)))
        self.__dict__["_py_keys"] = list(collection) if not plain else None
        kwargs = {"keys": keys, **kwargs}
        if key is not None:  # else the library's default: drawn among the keys at every update
            kwargs["key"] = key
        super().__init__(list(collection.values()), **kwargs)


class ConditionalSetFeature(_BUILTINS["ConditionalSetFeature"]):
    """``ConditionalSetFeature(on_false=None, on_true=None, condition=True)``. As DeepTrack2's
    constructor, a ``condition`` naming a property gives that property the value True unless it is
    given (so that it is recorded, and can be set at resolve time).

    Written here for that default only: the registry cannot express a property named by another."""

    def __init__(self, on_false=None, on_true=None, condition=True, **kwargs):
        if isinstance(condition, str):
            kwargs.setdefault(condition, True)
        super().__init__(on_false=on_false, on_true=on_true, condition=condition, **kwargs)


class TakeProperties(_BUILTINS["TakeProperties"]):
    """``TakeProperties(feature, *names)``: resolves ``feature`` and gives, for each name, an array of
    the values sampled for it (every repetition's) by the features of ``feature`` that have all of
    ``names``, appended to the input. Resolved on its own with several names, it returns them as a
    tuple, as DeepTrack2 does.

    Written here for DeepTrack2's variadic ``*names`` and its direct ``get(image, names=...)``."""

    _positional = ("feature",)

    def __init__(self, feature, *names, **kwargs):
        names = kwargs.pop("names", names)
        if isinstance(names, str):
            names = (names,)
        self.__dict__["_names"] = tuple(names)
        self.__dict__["_feature"] = feature
        super().__init__(feature=feature, names=tuple(names), **kwargs)

    def get(self, image, names=(), **properties):
        """DeepTrack2's direct call: the values of ``names`` in this feature's pipeline."""
        return TakeProperties(self._feature, *names).resolve(image)

    def resolve(self, image=None, **kwargs):
        out = super().resolve(image, **kwargs)
        n = len(self._names)
        if n > 1 and isinstance(out, list) and len(out) >= n:
            taken = tuple(out[-n:])
            rest = out[:-n]
            return taken if not rest else [*rest, taken]
        return out


class Affine(_BUILTINS["Affine"]):
    """As DeepTrack2 2.0.1's constructor, a ``translate`` that is None (the default) takes the value of
    ``translate_px``, and both properties hold the translation given (``Affine()`` records
    ``translate=0.0, translate_px=0.0``; ``Affine(translate=3)`` records 3 for both).

    Written here for that copy only: the registry's ``translate`` is None, meaning ``translate_px``
    (what C sets and reads).

    ``scale``, ``translate`` and ``translate_px`` also take DeepTrack2's dict form ``{"x": ..., "y":
    ...}`` (its values numbers or callables sampled at every update; or a callable returning such a
    dict), read as the pair ``(x, y)``, as 2.0.1's ``_process_properties`` reads it."""

    def __init__(self, *args, **kwargs):
        _bind_positional(self, args, kwargs)
        translate = kwargs.get("translate")
        if translate is None:
            translate = kwargs.get("translate_px", 0.0)
        kwargs["translate"] = kwargs["translate_px"] = translate
        for key in ("scale", "translate", "translate_px"):
            if key in kwargs:
                kwargs[key] = _xy_rule(kwargs[key])
        super().__init__(**kwargs)


def _xy_pair(value):
    """DeepTrack2's ``{"x": ..., "y": ...}`` form of a pair as the tuple ``(x, y)``; other values as
    they are (a dict without both keys fails later, naming the property, as 2.0.1 fails)."""
    if isinstance(value, dict) and "x" in value and "y" in value:
        return (value["x"], value["y"])
    return value


def _xy_rule(value):
    """``value`` (an ``Affine`` pair property's rule) with its dict form read as ``(x, y)``: a dict of
    numbers as the tuple; a dict holding callables as a rule sampling them at every update (2.0.1's
    dict rule); a callable as one returning its dict results as the tuple (its signature kept, so
    that it still names the properties it depends on)."""
    if isinstance(value, dict) and "x" in value and "y" in value:
        if not _holds_callables(value):
            return _xy_pair(value)
        return lambda: _xy_pair(_sample_inside(value))
    if callable(value) and not isinstance(value, (type, Image, Feature, Property)) and not _props._is_node(value):

        @functools.wraps(value)
        def rule(*args, **kwargs):
            return _xy_pair(value(*args, **kwargs))

        return rule
    return value


for _cls in (OneOfDict, ConditionalSetFeature, TakeProperties, Affine):
    _cls.__module__ = "deeptrack_native"
    _cls.__signature__ = None  # the constructor's own
    _cls.__doc__ = f"{_BUILTINS[_cls.__name__].__doc__}\n\n{_cls.__doc__}"
    _BUILTINS[_cls.__name__] = _cls
    _BUILTIN_CLASSES.add(_cls)

del Affine.__signature__  # the registry's signature: the constructor takes the same arguments

# DeepTrack2's ``features`` module holds its structural kinds (``features.Value``, ``features.Add``).
globals().update({name: cls for name, cls in classes_of("features").items() if name not in globals()})

# Names DeepTrack2's features module imports (``from deeptrack.features import DeepTrackNode``).
from ._config import config  # noqa: E402,F401
from .backend.core import DeepTrackNode  # noqa: E402,F401
from .sources import SourceItem  # noqa: E402,F401
from .units import ConversionTable, create_context  # noqa: E402,F401
from .types import ArrayLike, PropertyLike  # noqa: E402,F401
