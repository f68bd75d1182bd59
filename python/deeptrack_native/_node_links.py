"""Links made by hand between properties (DeepTrack2's ``add_dependency`` and ``add_child``).

A rule that calls another property inside its function (``Property(lambda: other() + 1)``) reads it
without the library knowing: DeepTrack2 links such properties by hand, ``dependent.add_dependency(
other)`` (or ``other.add_child(dependent)``), so that updating either re-samples both. The links live
here, on the units the library updates: a feature (a property of its own is the property ``value`` of
a hidden feature) or a Python :class:`~deeptrack_native.backend.core.DeepTrackNode`. Updating a feature
walks them as DeepTrack2's ``update`` walks its graph: every unit it depends on (by hand, or through
the features it holds and links to), then every child of those by hand, and updates each once.

The links are weak, as DeepTrack2's: a link does not keep the other property alive. Nothing is walked
while no link exists (:func:`any_links`), so updates cost nothing more then.
"""

import threading
import weakref

_ATTR = "_hand_links"
#: How many links were ever made (a walk is skipped while there are none).
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


def after_update(feature, held):
    """Updates what ``feature`` (just updated, with the features it holds: ``held(feature)``, itself
    included; none for a DeepTrackNode) is linked to by hand: every unit its pipeline depends on, by
    hand or through the features it holds and links to, then every child by hand of those, each
    once."""
    if getattr(_STATE, "walking", False) or not any_links():
        return
    _STATE.walking = True
    try:
        covered = {id(f) for f in held(feature)}
        dependencies = _walk([feature], lambda u: linked(u, "dependencies") + held(u))
        for unit in _walk(dependencies, lambda u: linked(u, "children")):
            if id(unit) not in covered:
                unit.update()
                covered.update(id(f) for f in held(unit))
    finally:
        _STATE.walking = False
