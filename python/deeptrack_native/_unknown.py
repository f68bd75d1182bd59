"""The warning for a keyword a built-in feature does not know (issue 16): DeepTrack2 keeps any keyword
as a property (metadata a rule may use), and so does deeptrack_native; but a misspelt parameter
(``Fluorescence(intesity=...)``) then silently does nothing. A built-in feature given a keyword that
is neither one of its parameters nor named by one of its rules (a callable's parameter) warns once per
kind and keyword, with an :class:`UnknownPropertyWarning`; the keyword is still kept.

Kinds that take any keyword by design do not warn: the holders of properties (``DummyFeature``,
``Arguments``), the binders (``Bind``, ``BindResolve``, ``BindUpdate``: their keywords set the
pipeline's properties) and ``ConditionalSetProperty`` (its keywords are the properties it sets)."""

import warnings

from . import _core

__all__ = ["UnknownPropertyWarning"]


class UnknownPropertyWarning(UserWarning):
    """A built-in feature got a keyword that is neither a parameter of its kind nor used by its rules."""


#: Kinds that take any keyword as a property by design.
HOLDERS = frozenset({"DummyFeature", "Arguments", "Bind", "BindResolve", "BindUpdate", "ConditionalSetProperty"})

#: (kind, keyword) pairs already warned about.
_WARNED = set()


def _names_used(values):
    """The parameter names of the callables among ``values`` (the properties their rules read)."""
    used = set()
    for value in values:
        if callable(value) and not isinstance(value, type):
            used.update(name for name, _ in _core.parameters(value))
    return used


def check(kind, params, kwargs, exempt=()):
    """Warns once for each keyword of ``kwargs`` that is not in ``params`` (the kind's parameters),
    ``name``, ``exempt``, or a name a callable among the values reads."""
    if kind in HOLDERS:
        return
    unknown = [key for key in kwargs if key not in params and key != "name" and key not in exempt]
    if not unknown:
        return
    used = _names_used(kwargs.values())
    for key in unknown:
        if key in used or (kind, key) in _WARNED:
            continue
        _WARNED.add((kind, key))
        known = ", ".join(sorted(params))
        warnings.warn(
            f"{kind}: '{key}' is not one of its parameters ({known}) and none of its rules uses it; it is "
            "kept as a property, as DeepTrack2 keeps unknown keywords (a misspelt parameter?)",
            UnknownPropertyWarning,
            stacklevel=3,
        )
