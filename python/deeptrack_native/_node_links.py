"""One graph for DeepTrack2's ``update``: features, properties and ``DeepTrackNode``\\ s linked by hand.

A rule that calls another property inside its function (``Property(lambda: other() + 1)``) reads it
without the library knowing: DeepTrack2 links such properties by hand, ``dependent.add_dependency(
other)`` (or ``other.add_child(dependent)``), so that updating either re-samples both. The links live
here, on the units that are updated: a feature (a property of its own is the property ``value`` of a
hidden feature) or a Python :class:`~deeptrack_native.backend.core.DeepTrackNode`, which also keeps
links of its own to other nodes (``node.children``, ``node.dependencies``).

Updating any unit (a feature, a property, a node) walks them as DeepTrack2's ``update`` walks its one
graph: every unit it depends on (by hand, through a node's own links, or through the features a
feature holds and links to), then every child of those (by hand or a node's own), and resets each
once: a node drops its cached values, a feature is re-sampled. Nodes are reset before features, so a
feature's rule reading a node computes it anew.

The links are weak, as DeepTrack2's: a link does not keep the other unit alive. Features walk nothing
while no link was made by hand (:func:`any_links`), so their updates cost nothing more then.
"""

import threading
import weakref

_ATTR = "_hand_links"
#: How many links were ever made (a feature's update walks nothing while there are none).
_COUNT = [0]
#: Whether a walk is under way on this thread (the updates it makes do not walk again).
_STATE = threading.local()


def any_links():
    """Whether any link was made by hand."""
    return _COUNT[0] > 0


def link(parent, child):
    """Makes ``child`` (a unit: a feature or a DeepTrackNode) re-sampled with ``parent`` and
    ``parent`` with ``child``, as DeepTrack2's ``child.add_dependency(parent)``."""
    if parent is child:
        return
    _add(parent, "children", child)
    _add(child, "dependencies", parent)
    _COUNT[0] += 1


def _add(unit, side, other):
    links = unit.__dict__.setdefault(_ATTR, {"children": [], "dependencies": []})[side]
    if not any(ref() is other for ref in links):
        links.append(weakref.ref(other))


def linked(unit, side):
    """The live units linked by hand to ``unit`` on ``side`` (``"children"`` or ``"dependencies"``)."""
    refs = unit.__dict__.get(_ATTR, {}).get(side, ())
    return [u for u in (ref() for ref in refs) if u is not None]


def _node_type():
    from .backend.core import DeepTrackNode  # backend.core imports this module

    return DeepTrackNode


def _feature_type():
    from .features import Feature  # the features module imports this one

    return Feature


def _held(unit):
    """The features a feature holds and links to, itself included (none for a node)."""
    from . import _objects

    feature = _feature_type()
    return _objects.features_of(unit, feature) if isinstance(unit, feature) else []


def _dependencies(unit):
    out = linked(unit, "dependencies") + _held(unit)
    if isinstance(unit, _node_type()):
        out += list(unit.dependencies)
    return out


def _children(unit):
    out = linked(unit, "children")
    if isinstance(unit, _node_type()):
        out += list(unit.children)
    return out


def _walk(starts, step):
    seen, stack, out = set(), list(starts), []
    while stack:
        unit = stack.pop()
        if id(unit) in seen:
            continue
        seen.add(id(unit))
        out.append(unit)
        stack.extend(step(unit))
    return out


def walking():
    """Whether an update walk is under way on this thread."""
    return getattr(_STATE, "walking", False)


def update_graph(start, done=()):
    """DeepTrack2's ``update`` from ``start``: resets every unit ``start`` depends on, and every child
    of those, each once (nodes first, then features), except the features in ``done`` (already
    updated by the caller) and those an updated feature holds."""
    node = _node_type()
    covered = {id(f) for f in done}
    units = _walk(_walk([start], _dependencies), _children)
    previous, _STATE.walking = walking(), True
    try:
        for unit in units:
            if isinstance(unit, node):
                unit._reset()
        for unit in units:
            if not isinstance(unit, node) and id(unit) not in covered:
                unit.update()
                covered.update(id(f) for f in _held(unit))
    finally:
        _STATE.walking = previous


def after_update(feature):
    """Updates what ``feature`` (just updated, with the features it holds) is linked to by hand: see
    :func:`update_graph`."""
    if walking() or not any_links():
        return
    update_graph(feature, _held(feature))


def invalidate_children(node):
    """DeepTrack2's ``invalidate`` of ``node``: drops the values of the nodes computed from it
    (``node`` included) and re-samples the features linked by hand as its children, transitively."""
    node_type = _node_type()
    units = _walk([node], _children)
    features = [u for u in units if not isinstance(u, node_type)]
    for unit in units:
        if isinstance(unit, node_type):
            unit._drop_values()
    if features and not walking():
        _STATE.walking = True
        try:
            covered = set()
            for unit in features:
                if id(unit) not in covered:
                    unit.update()
                    covered.update(id(f) for f in _held(unit))
        finally:
            _STATE.walking = False
