"""DeepTrack2's ``deeptrack.backend.core``: :class:`DeepTrackNode`, the lazily evaluated, cached node of
DeepTrack2's computation graph, for code that builds one by hand (``Property(DeepTrackNode(...))``).

deeptrack_native's own graph lives in libdeeptrack (features and their properties are not nodes of
this class); this node is Python's, for the values a user computes in Python. It keeps DeepTrack2's
contract: ``node(_ID)`` computes the action once per replicate index ``_ID`` and caches it;
``invalidate`` drops the cache of the node and of its children (the nodes computed from it);
``update`` drops every cache of the graph it belongs to; ``set_value``/``store`` set a value;
arithmetic and comparisons give dependent nodes. DeepTrack2's storage classes
(``DeepTrackDataObject``, ``DeepTrackDataDict``) are its internals and are not offered.
"""

import inspect
import weakref

from .. import _node_links
from .._operators import NodeOperators

__all__ = ["DeepTrackNode"]


def _takes_id(action):
    try:
        params = inspect.signature(action).parameters
    except (TypeError, ValueError):
        return False
    return "_ID" in params


class DeepTrackNode(NodeOperators):
    """A node computing ``action`` (a callable, optionally taking ``_ID``; any other value is a
    constant) once per replicate index, cached until invalidated."""

    def __init__(self, action=None, **kwargs):
        super().__init__(**kwargs)
        self.data = {}
        # Replicate indices whose value is kept but no longer valid (DeepTrack2 keeps a value through
        # an invalidation: `current_value()` and `previous()` still read it, `is_valid()` is False).
        self._stale = set()
        self.children = weakref.WeakSet()
        self.dependencies = weakref.WeakSet()
        self.action = action if callable(action) else (lambda: action)

    @property
    def action(self):
        """The callable computing the node's value."""
        return self._action

    @action.setter
    def action(self, value):
        self._action = value
        self._accepts_ID = _takes_id(value)

    def add_child(self, child):
        """Makes ``child`` computed from this node (invalidated and updated with it): a node, or a
        ``properties.Property`` or a feature (re-sampled with it, as in DeepTrack2's one graph).
        Returns self."""
        if isinstance(child, DeepTrackNode):
            self.children.add(child)
            child.dependencies.add(self)
        else:
            _node_links.link(self, _unit(child, "add_child"))
        return self

    def add_dependency(self, parent):
        """Makes this node computed from ``parent`` (a node, a ``properties.Property`` or a feature).
        Returns self."""
        if isinstance(parent, DeepTrackNode):
            parent.add_child(self)
        else:
            _node_links.link(_unit(parent, "add_dependency"), self)
        return self

    def store(self, data, _ID=()):
        """Stores ``data`` as the value at ``_ID``. Returns self."""
        self.data[tuple(_ID)] = data
        self._stale.discard(tuple(_ID))
        return self

    def is_valid(self, _ID=()):
        """Whether a value is cached at ``_ID`` and still valid."""
        return tuple(_ID) in self.data and tuple(_ID) not in self._stale

    def valid_index(self, _ID):
        """Whether ``_ID`` is a tuple of integers (a replicate index)."""
        return isinstance(_ID, tuple) and all(isinstance(i, int) for i in _ID)

    def invalidate(self, _ID=()):
        """Marks the values of this node and of every node computed from it invalid (they are computed
        again when called; ``current_value()`` and ``previous()`` still read them); the properties and
        features linked as its children are sampled again. Returns self."""
        _node_links.invalidate_children(self)
        return self

    def _drop_values(self):
        # What invalidation does to this node's values: a node keeps them, invalid (a SequentialProperty
        # keeps its history and marks it invalid).
        self._stale.update(self.data)

    def validate(self, _ID=()):
        """Keeps the value at ``_ID`` (computing it if needed). Returns self."""
        self(_ID)
        return self

    def update(self):
        """Drops the cached values of the whole graph this node belongs to, as DeepTrack2's: every
        node it depends on and every node computed from those, and re-samples the properties and
        features linked to them (``add_child``/``add_dependency`` on either side), so that everything
        is computed again. Returns self."""
        _node_links.update_graph(self)
        return self

    def _reset(self):
        # What an update does to this node: its values are dropped.
        self.data.clear()
        self._stale.clear()

    def set_value(self, value, _ID=()):
        """Sets the value at ``_ID``; the nodes computed from this one are invalidated unless the value
        is the one already held. Returns self."""
        _ID = tuple(_ID)
        if not (self.is_valid(_ID) and _same(value, self.data[_ID])):
            self.invalidate(_ID)
            self.store(value, _ID)
        return self

    def previous(self, _ID=()):
        """The value cached at ``_ID`` without computing it; ``[]`` when there is none."""
        return self.data.get(tuple(_ID), [])

    def recurse_children(self, memory=None):
        """This node and every node computed from it, each once."""
        return _walk(self, "children")

    def recurse_dependencies(self, memory=None):
        """This node and every node it is computed from, each once."""
        return _walk(self, "dependencies")

    def __call__(self, _ID=()):
        _ID = tuple(_ID)
        if not self.is_valid(_ID):
            self.store(self._action(_ID=_ID) if self._accepts_ID else self._action(), _ID)
        return self.data[_ID]

    def current_value(self, _ID=()):
        """The cached value at ``_ID`` (KeyError when there is none)."""
        return self.data[tuple(_ID)]

    __hash__ = object.__hash__

    def _combine(self, op, other, reflected=False):
        """The dependent node of ``op`` (deeptrack_native._operators)."""
        return _dependent(op, other, self) if reflected else _dependent(op, self, other)

    def __getitem__(self, index):
        return _dependent(lambda a: a[index], self)


def _walk(node, attribute):
    seen, stack, out = set(), [node], []
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        out.append(n)
        stack.extend(getattr(n, attribute))
    return out


def _same(a, b):
    try:
        return bool(a == b)
    except ValueError:  # arrays
        import numpy as np

        return bool(np.array_equal(a, b))


def _unit(other, method):
    """What is linked for ``other`` given to ``add_child``/``add_dependency``: the feature a property
    belongs to, or a feature."""
    from ..properties import Property  # properties imports this module late
    from ..features import Feature

    if isinstance(other, Property):
        return other.feature
    if isinstance(other, Feature):
        return other
    raise TypeError(
        f"DeepTrackNode.{method} takes a DeepTrackNode, a Property or a Feature, got a {type(other).__name__}"
    )


def _operand(o, _ID):
    if isinstance(o, DeepTrackNode):
        return o(_ID)
    from ..properties import Property

    return o() if isinstance(o, Property) else o


def _dependent(op, *operands):
    """A node computing ``op`` of the values of ``operands`` (nodes, properties or constants) at its
    ``_ID``."""
    from ..properties import Property

    def action(_ID=()):
        return op(*(_operand(o, _ID) for o in operands))

    node = DeepTrackNode(action)
    for o in operands:
        if isinstance(o, (DeepTrackNode, Property)):
            node.add_dependency(o)
    return node
