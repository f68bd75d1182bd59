"""The order of a feature's properties as DeepTrack2 2.0.1's ``PropertyDict`` builds them.

2.0.1 builds a feature's properties in passes over its keyword arguments (``name`` last): a pass
takes, in order, every property whose functions name no sibling property still to be built (a
sibling that is a node, a feature or a property, counts as built), so that a property whose function
reads another comes after it, and after ``name``: ``Add(value=lambda scale: 2 * scale, scale=3)`` has
``scale, name, value``; ``Add(value=lambda b: b, a=1, b=lambda a: a)`` has ``a, b, name, value``. Its
dicts (``image.properties``) follow that order too. The library keeps the order the properties were
given in; :func:`reorder` puts them in 2.0.1's.
"""

import inspect
from ctypes import c_char_p

from . import _core
from ._lib import lib


def _named(fn):
    """The names a function given as a rule reads (2.0.1's ``get_kwarg_names``: its positional or
    keyword parameters, or its keyword-only ones when it takes ``*args``)."""
    try:
        spec = inspect.getfullargspec(fn)
    except TypeError:
        return []
    if spec.varargs:
        return list(spec.kwonlyargs or [])
    return list(spec.args or [])


def _reads(rule, is_node):
    """The names the functions inside ``rule`` read (dicts, lists and slices looked into, as 2.0.1's
    ``Property.create_action`` does; a node reads nothing of its feature)."""
    if type(rule) in _SCALARS or is_node(rule):
        return []
    if isinstance(rule, dict):
        return [n for v in rule.values() for n in _reads(v, is_node)]
    if isinstance(rule, list):
        return [n for v in rule for n in _reads(v, is_node)]
    if hasattr(rule, "__next__"):
        return []
    if isinstance(rule, slice):
        return [n for v in (rule.start, rule.stop, rule.step) for n in _reads(v, is_node)]
    if callable(rule):
        return _named(rule)
    return []


def order(names, rules, is_node):
    """``names`` (the properties in the order given, ``name`` among them) in 2.0.1's order, where
    ``rules`` maps the names given as keyword arguments to their rules and ``is_node(rule)`` tells
    the rules 2.0.1 takes as nodes. A cycle leaves the properties in it in the order given (the
    library reports it when they are sampled)."""
    present = set(names)
    reads = {k: [n for n in _reads(rules[k], is_node) if n in present and n != k] if k in rules else [] for k in names}
    built, remaining = [], list(names)
    done = set()
    while remaining:
        progressed = False
        for key in list(remaining):
            if all(n in done or (n in rules and is_node(rules[n])) for n in reads[key]):
                built.append(key)
                done.add(key)
                remaining.remove(key)
                progressed = True
        if not progressed:
            built.extend(remaining)
            break
    return built


def reorder(feature, rules, is_node):
    """Puts the properties of ``feature`` (given as ``rules``) in 2.0.1's order when it differs from
    the library's."""
    if not any(_reads(rule, is_node) for rule in rules.values()):
        return
    names = list(feature._property_names())
    wanted = order(names, rules, is_node)
    if wanted == names:
        return
    keys = (c_char_p * len(wanted))(*[k.encode("utf-8") for k in wanted])
    _core.call(lib.deeptrack_feature_order_properties, feature._h.ptr, keys, len(wanted))


# Plain values that read nothing: skipped without further tests (long lists of numbers).
_SCALARS = frozenset((int, float, bool, complex, str, type(None)))
