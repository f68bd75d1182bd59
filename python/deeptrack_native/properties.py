"""DeepTrack2's ``properties`` module: :class:`Property` (a property of a feature, or a property of its
own) and :class:`PropertyDict` (``feature.properties``).

Every property lives in libdeeptrack: a feature's property is its ``(feature, name)``; a property of its
own, ``Property(rule)``, is the property ``value`` of a hidden ``DummyFeature``, so that it samples,
links and updates like any other. A property used as another feature's value links to it
(``B(position=A.position)``), and arithmetic on properties (``A.value + 1``) gives a dependent property
whose value is computed from the current values of its operands.
"""

import inspect

import numpy as np

from . import _node_links, _objects
from ._node_api import PropertyDictNode, PropertyNode
from ._operators import PowerOperators
from .image import PropertyDict as _ImageDict

__all__ = ["Property", "PropertyDict", "PropertyValues", "SequentialProperty"]


def _features():
    from . import features  # the features module imports this one

    return features


class Property(PowerOperators, PropertyNode):
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
        self._rule, self._dependencies = sampling_rule, dependencies
        if _structured(sampling_rule):
            # A dict, a slice, or a DeepTrackNode (anywhere in a list): values the library cannot hold.
            # Its parts that change (callables, properties, iterators, nodes) become properties of
            # their own, linked as dependencies of a hidden feature whose rule assembles the value on
            # the Python side; the library samples, links and updates it like any other property.
            leaves = []
            template = _template(sampling_rule, leaves)
            parts = {f"_part{i}": Property(leaf, **dependencies) for i, leaf in enumerate(leaves)}

            def assemble(**values):
                self._assembled = _fill(template, [values[f"_part{i}"] for i in range(len(leaves))])
                return self._assembled

            assemble.__signature__ = inspect.Signature(
                [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in parts]
            )
            self._parts = list(parts.values())
            hidden = _features()._builtin("DummyFeature")(**parts, value=assemble)
            for node in _nodes_in(sampling_rule):
                # DeepTrack2's Property(node) is the node's child: updated with it, and it with them.
                _node_links.link(node, hidden)
        else:
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
        ``get`` of the feature it belongs to, the value of the computation running. ``prop(_ID)`` at a
        replicate index ``_ID`` (a tuple) evaluates the rule of a property of its own there, giving
        ``_ID`` to the callables that take it (DeepTrack2's actions)."""
        if _ID:
            if "_rule" not in self.__dict__:
                raise NotImplementedError(
                    "reading a feature's property at a replicate index (_ID) is not supported; a "
                    "Property(rule) of its own can be"
                )
            return _evaluate(self._rule, self._dependencies, tuple(_ID))
        running = self.feature.__dict__.get("_running")
        if running is not None and self.key in running:
            return running[self.key]
        pins = _objects.pinned(self.feature)
        if pins and self.key in pins:
            return pins[self.key]  # a function or object set as the value (deeptrack_native._objects)
        value = self.feature._get_property(self.key)
        if "_parts" in self.__dict__:
            # The structure as assembled in Python (the library's copy may differ: a slice is a
            # string there).
            return self.__dict__.get("_assembled")
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
        if "_parts" in self.__dict__:
            self._assembled = value  # read until the next sample assembles the structure again
        return self

    def update(self):
        """Re-samples the property: updates the feature it belongs to (and what it is linked to: the
        DeepTrackNodes its rule holds, links made by hand). Returns the property."""
        self.feature.update()
        return self

    def add_dependency(self, parent):
        """Makes this property depend on ``parent`` (a property, a feature or a DeepTrackNode) as
        DeepTrack2's ``add_dependency``: for a rule that reads ``parent`` inside its function, which
        the library cannot see. From then on, updating this property (or its feature) re-samples
        ``parent`` too, and updating ``parent`` re-samples this property. The link is weak (it keeps
        neither alive). Returns self."""
        _node_links.link(_unit(parent, "add_dependency"), self.feature)
        return self

    def add_child(self, child):
        """Makes ``child`` (a property, a feature or a DeepTrackNode) depend on this property, as
        DeepTrack2's ``add_child``: ``child.add_dependency(self)``. Returns self."""
        _node_links.link(self.feature, _unit(child, "add_child"))
        return self

    def is_valid(self):
        """Whether the feature it belongs to holds a current result."""
        return self.feature.is_valid()

    def __repr__(self):
        return f"<Property {self.key!r} of {self.feature!r}>"

    # The same property of the same feature is one property (``f.sigma == f.properties["sigma"]``),
    # as 2.0.1's feature holds one Property object per key; here each access makes a new object.
    def __eq__(self, other):
        if not isinstance(other, Property):
            return NotImplemented
        return self.feature is other.feature and self.key == other.key

    def __hash__(self):
        return hash((id(self.feature), self.key))

    # Dependent properties (DeepTrack2's DeepTrackNode operators, deeptrack_native._operators).
    def _combine(self, op, other, reflected=False):
        a, b = (other, self) if reflected else (self, other)
        return Property(lambda _a, _b: op(_a, _b), _a=a, _b=b)

    def __neg__(self):
        return Property(lambda _a: -_a, _a=self)

    def __getitem__(self, index):
        """``prop[index]``: the dependent property of the current value indexed (DeepTrack2's
        ``DeepTrackNode.__getitem__``): ``f.position[0]``, ``f.value[1:]``; sampled again with ``prop``.
        A property is not iterable for that (``for v in prop`` raises TypeError), as a node is not."""
        return Property(lambda _a: _a[index], _a=self)

    # ``__getitem__`` would make Python iterate a property by index forever: it is not a sequence.
    __iter__ = None




class PropertyDict(PropertyDictNode, dict):
    """The properties of a feature (``feature.properties``), by name, in the feature's order: a dict of
    :class:`Property`. Calling it gives the current values: ``feature.properties()`` is
    ``{name: value}``.

    ``PropertyDict(**rules)`` (DeepTrack2's form) makes a property of each rule; a callable's
    parameters that name other entries are those properties (``dependent=lambda constant: constant +
    1``). Rules that depend on each other in a cycle are a ValueError naming them."""

    def __init__(self, *args, **rules):
        super().__init__(*args)
        pending = dict(rules)
        # As DeepTrack2 2.0.1: passes over the rules in the order given, each rule made as soon as
        # the entries it names are made (within the pass too), so the dict's order is that order.
        while pending:
            made = False
            for key, rule in list(pending.items()):
                names = _parameter_names(rule)
                if any(name in pending and name != key for name in names):
                    continue
                del pending[key]
                self[key] = rule if isinstance(rule, Property) else Property(
                    rule, **{name: self[name] for name in names if name in self}
                )
                made = True
            if not made:
                raise ValueError(f"PropertyDict: the rules of {sorted(pending)} depend on each other in a cycle")

    def __call__(self, _ID=()):
        return PropertyValues((key, prop(_ID)) for key, prop in self.items())

    def update(self, *args, **kwargs):
        """Without arguments, re-samples every property (DeepTrack2's ``PropertyDict.update()``, which
        is DeepTrackNode's: the rules that depend on each other stay consistent) and returns self. With
        arguments, a dict's ``update``."""
        if args or kwargs:
            return dict.update(self, *args, **kwargs)
        updated = set()
        for prop in self.values():
            if isinstance(prop, Property) and id(prop.feature) not in updated:
                updated.add(id(prop.feature))
                prop.update()
        return self


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


def _is_hidden(prop):
    """Whether ``prop`` is a property of its own (``Property(rule)``, held by a hidden feature)."""
    return "_rule" in prop.__dict__


def _unit(other, method):
    """What the library updates for ``other`` given to ``add_dependency``/``add_child``: the feature a
    property belongs to, a feature, or a DeepTrackNode."""
    if isinstance(other, Property):
        return other.feature
    if isinstance(other, _features().Feature) or _is_node(other):
        return other
    raise TypeError(
        f"Property.{method} takes a Property, a Feature or a DeepTrackNode, got a {type(other).__name__}"
    )


# -- rules the library cannot hold --------------------------------------------------------------------


def _node_type():
    global _NODE_TYPE
    if _NODE_TYPE is None:
        from .backend.core import DeepTrackNode  # imported late: backend.core is optional for properties

        _NODE_TYPE = DeepTrackNode
    return _NODE_TYPE


_NODE_TYPE = None


def _is_node(value):
    return isinstance(value, _node_type())


def _structured(rule):
    """Whether ``rule`` holds a dict, a slice or a DeepTrackNode (directly or in a list)."""
    if isinstance(rule, (dict, slice)) or _is_node(rule):
        return True
    return isinstance(rule, list) and any(_structured(item) for item in rule)


def _dynamic(value):
    """Whether a part of a rule changes between samples: a callable, a property, an iterator or a
    feature (a constant does not)."""
    return callable(value) or isinstance(value, Property) or hasattr(value, "__next__") or _is_node(value)


class _Slot:
    """The place of the i-th changing part of a structured rule."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _template(rule, leaves):
    """``rule`` with each changing part replaced by a :class:`_Slot` (the parts appended to ``leaves``);
    a DeepTrackNode becomes a callable of its value."""
    if isinstance(rule, dict):
        return {key: _template(value, leaves) for key, value in rule.items()}
    if isinstance(rule, list):
        return [_template(value, leaves) for value in rule]
    if isinstance(rule, slice):
        return slice(_template(rule.start, leaves), _template(rule.stop, leaves), _template(rule.step, leaves))
    if _is_node(rule):
        node = rule
        leaves.append(lambda: node())
        return _Slot(len(leaves) - 1)
    if _dynamic(rule):
        leaves.append(rule)
        return _Slot(len(leaves) - 1)
    return rule


def _fill(template, values):
    """The template with its slots filled by ``values``."""
    if isinstance(template, _Slot):
        return values[template.index]
    if isinstance(template, dict):
        return {key: _fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(value, values) for value in template]
    if isinstance(template, slice):
        return slice(_fill(template.start, values), _fill(template.stop, values), _fill(template.step, values))
    return template


def _nodes_in(rule):
    """The DeepTrackNodes a rule holds."""
    if rule is None:
        return []
    if isinstance(rule, dict):
        return [n for value in rule.values() for n in _nodes_in(value)]
    if isinstance(rule, list):
        return [n for value in rule for n in _nodes_in(value)]
    if isinstance(rule, slice):
        return [n for part in (rule.start, rule.stop, rule.step) for n in _nodes_in(part)]
    return [rule] if _is_node(rule) else []


def _parameter_names(rule):
    if not callable(rule) or isinstance(rule, Property):
        return []
    try:
        params = inspect.signature(rule).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _evaluate(rule, dependencies, _ID):
    """The value of ``rule`` at replicate index ``_ID`` (DeepTrack2's ``Property.create_action``): parts
    evaluated there, callables given the dependencies they name (at ``_ID``) and ``_ID`` if they take
    it. An iterator gives its current value (the property's)."""
    if isinstance(rule, Property):
        return rule(_ID)
    if _is_node(rule):
        return rule(_ID)
    if isinstance(rule, dict):
        return {key: _evaluate(value, dependencies, _ID) for key, value in rule.items()}
    if isinstance(rule, list):
        return [_evaluate(value, dependencies, _ID) for value in rule]
    if isinstance(rule, slice):
        return slice(*(_evaluate(part, dependencies, _ID) for part in (rule.start, rule.stop, rule.step)))
    if hasattr(rule, "__next__"):
        raise NotImplementedError("an iterator's value at a replicate index (_ID) is not supported")
    if callable(rule):
        names = _parameter_names(rule)
        kwargs = {}
        for name in names:
            if name == "_ID":
                kwargs[name] = _ID
            elif name in dependencies:
                dep = dependencies[name]
                kwargs[name] = _evaluate(dep, {}, _ID) if isinstance(dep, Property) else dep
        return rule(**kwargs)
    return rule


# DeepTrack2's SequentialProperty, a node driven step by step (deeptrack_native._sequential_property).
from ._sequential_property import SequentialProperty  # noqa: E402
from .backend.core import DeepTrackNode  # noqa: E402,F401  (DeepTrack2's properties imports it)
from .utils import get_kwarg_names  # noqa: E402,F401  (likewise)
