"""DeepTrack2 2.0.1's node methods on features, properties and property dicts (in 2.0.1 all three are
``DeepTrackNode``\\ s): the links of its one graph (``add_feature``, ``add_dependency``, ``add_child``,
``children``, ``dependencies``, ``recurse_children``, ``recurse_dependencies``), ``action``,
``current_value``/``previous``, ``get_citations`` and ``torch``.

The graph's links live in :mod:`._node_links` (weak, as 2.0.1's; updating any unit re-samples what
it is linked to). What 2.0.1 keeps per node that the library does not expose (the cached output of
a feature inside a pipeline, a validity flag per replicate index, the ``data`` store) is not
offered: those methods raise ``NotImplementedError`` saying why (see :func:`_cache_is_the_library`).
"""

from . import _node_links

__all__ = ["FeatureNode", "PropertyNode", "PropertyDictNode", "CITATION"]

#: The citation of DeepTrack (DeepTrack2's ``citation_midtvet2021quantitative``), which every
#: feature's ``get_citations`` includes.
CITATION = """
@article{Midtvet2021DeepTrack,
    author  = {Midtvedt, Benjamin and
               Helgadottir, Saga and
               Argun, Aykut and
               Pineda, Jesús and
               Midtvedt, Daniel and
               Volpe, Giovanni},
    title   = {Quantitative digital microscopy with deep learning},
    journal = {Applied Physics Reviews},
    volume  = {8},
    number  = {1},
    pages   = {011310},
    year    = {2021},
    doi     = {10.1063/5.0034891}
}
"""


def _cache_is_the_library(owner, method):
    """The error of a node method 2.0.1 applies to its own cache, which here is the library's."""
    return NotImplementedError(
        f"{owner}.{method}: libdeeptrack keeps the computed values and their validity (keyed on the "
        "sampled properties and the input), not a Python store per replicate index; use update() to "
        "re-sample, or set_value on a property to pin its value"
    )


def _unit(other, method, owner):
    """The unit ``_node_links`` links for ``other``: a feature, the feature a property belongs to, or
    a DeepTrackNode."""
    from .properties import Property, _is_node
    from .features import Feature

    if isinstance(other, Property):
        return other.feature
    if isinstance(other, Feature) or _is_node(other):
        return other
    raise TypeError(f"{owner}.{method} takes a Feature, a Property or a DeepTrackNode, got a {type(other).__name__}")


class FeatureNode:
    """The node methods of :class:`~deeptrack_native.features.Feature`."""

    #: DeepTrack2's ``arguments``: the feature bound by ``bind_arguments`` (None until then).
    arguments = None

    def add_feature(self, feature):
        """DeepTrack2's ``add_feature``: makes ``feature`` a dependency of this one (for a feature of
        your own that resolves it inside ``get``: ``self.inner = self.add_feature(inner)``).
        Updating this feature re-samples ``feature``, and updating ``feature`` re-samples this one;
        this feature keeps it alive. Returns ``feature``."""
        from .features import Feature

        if not isinstance(feature, Feature):
            raise TypeError(f"add_feature takes a Feature, got a {type(feature).__name__}")
        _node_links.link(feature, self)
        # Kept alive apart from _refs (the features the library's graph holds, updated with it).
        self.__dict__.setdefault("_added_features", []).append(feature)
        return feature

    def add_dependency(self, parent):
        """DeepTrack2's ``add_dependency``: this feature depends on ``parent`` (a feature, a
        property or a DeepTrackNode): updating either re-samples both. The link is weak. Returns
        self."""
        _node_links.link(_unit(parent, "add_dependency", "Feature"), self)
        return self

    def add_child(self, child):
        """DeepTrack2's ``add_child``: ``child`` (a feature, a property or a DeepTrackNode) depends on
        this feature (``child.add_dependency(self)``). Returns self."""
        _node_links.link(self, _unit(child, "add_child", "Feature"))
        return self

    @property
    def dependencies(self):
        """The units this feature depends on directly: those linked by hand, and the features it
        holds (the features of a chain, a feature given as a property's value)."""
        held = [f for f in _node_links._held(self) if f is not self]
        return set(_node_links.linked(self, "dependencies")) | set(held)

    @property
    def children(self):
        """The units linked by hand as depending on this feature."""
        return set(_node_links.linked(self, "children"))

    def recurse_dependencies(self, memory=None):
        """Every unit this feature depends on, directly or not, itself included (a set)."""
        return set(_node_links._walk([self], _node_links._dependencies))

    def recurse_children(self, memory=None):
        """Every unit that depends on this feature, directly or not, itself included (a set)."""
        return set(_node_links._walk([self], _node_links._children))

    @property
    def action(self):
        """DeepTrack2's ``action``: the callable computing the feature's output, ``action(_ID=())``
        (the feature resolved on its input, as calling it without arguments)."""
        return lambda _ID=(): self.resolve()

    def get_citations(self):
        """DeepTrack2's ``get_citations``: the set of citations (BibTeX strings) of this feature and
        of what it depends on: DeepTrack's own, and the ``citations`` of their classes."""
        citations = {CITATION}
        for unit in self.recurse_dependencies():
            for cls in type(unit).__mro__:
                found = cls.__dict__.get("citations")
                if found:
                    citations.update(found if isinstance(found, (list, tuple, set)) else [found])
        return citations

    def torch(self, dtype=None, device=None, permute_mode="never"):
        """DeepTrack2's ``torch``: this feature followed by ``ToTensor`` (its results as torch
        tensors). Needs torch (``deeptrack_native.pytorch`` imports it)."""
        from .pytorch import ToTensor

        return self >> ToTensor(dtype=dtype, device=device, permute_mode=permute_mode)

    def current_value(self, _ID=()):
        """Not offered: a feature's output is the library's cached value (see the module's doc)."""
        raise _cache_is_the_library(type(self).__name__, "current_value")

    def previous(self, _ID=()):
        """Not offered (see :meth:`current_value`)."""
        raise _cache_is_the_library(type(self).__name__, "previous")

    def store(self, data, _ID=()):
        """Not offered (see :meth:`current_value`)."""
        raise _cache_is_the_library(type(self).__name__, "store")

    def set_value(self, value, _ID=()):
        """Not offered: a feature's output cannot be set (pin its properties' values instead)."""
        raise _cache_is_the_library(type(self).__name__, "set_value")

    def invalidate(self, _ID=()):
        """Not offered: the library recomputes a feature when its sampled properties or its input
        change (see :meth:`current_value`)."""
        raise _cache_is_the_library(type(self).__name__, "invalidate")

    def validate(self, _ID=()):
        """Not offered (see :meth:`invalidate`)."""
        raise _cache_is_the_library(type(self).__name__, "validate")

    def valid_index(self, _ID):
        """Not offered (see :meth:`current_value`)."""
        raise _cache_is_the_library(type(self).__name__, "valid_index")


class PropertyNode:
    """The node methods of :class:`~deeptrack_native.properties.Property` besides the ones it defines
    itself (``current_value``, ``set_value``, ``update``, ``add_dependency``, ``add_child``,
    ``is_valid``)."""

    def previous(self, _ID=()):
        """DeepTrack2's ``previous``: the value sampled last, without sampling again (a property's
        value stays until the next update, so it is its current value)."""
        return self(_ID)

    @property
    def dependencies(self):
        """The units this property depends on: the properties its rule was given
        (``Property(rule, other=prop)``), the features it is linked to by hand or holds."""
        from .properties import Property

        own = self.__dict__.get("_dependencies") or {}
        found = {v for v in own.values() if isinstance(v, Property)}
        held = [f for f in _node_links._held(self.feature) if f is not self.feature]
        return found | set(_node_links.linked(self.feature, "dependencies")) | set(held)

    @property
    def children(self):
        """The units that depend on this property: the feature it belongs to (a feature's
        property) and the units linked to it by hand."""
        from .properties import _is_hidden

        own = set() if _is_hidden(self) else {self.feature}
        return own | set(_node_links.linked(self.feature, "children"))

    def store(self, data, _ID=()):
        """Not offered: ``set_value`` pins a property's value."""
        raise _cache_is_the_library("Property", "store")

    def invalidate(self, _ID=()):
        """Not offered: the library samples a feature's properties together; ``update()`` re-samples
        them."""
        raise _cache_is_the_library("Property", "invalidate")

    def validate(self, _ID=()):
        """Not offered (see :meth:`invalidate`)."""
        raise _cache_is_the_library("Property", "validate")


class PropertyDictNode:
    """The node methods of :class:`~deeptrack_native.properties.PropertyDict`: its value is the dict
    of its properties' values."""

    def current_value(self, _ID=()):
        """The dict of the current values (as calling it)."""
        return self(_ID)

    def previous(self, _ID=()):
        """The dict of the values sampled last (as calling it)."""
        return self(_ID)

    def is_valid(self, _ID=()):
        """Whether every property holds a current value (the features they belong to hold current
        results)."""
        return all(prop.is_valid() for prop in self.values())

    @property
    def dependencies(self):
        """The properties it holds."""
        return set(self.values())

    @property
    def children(self):
        """The features its properties belong to."""
        from .properties import _is_hidden

        return {prop.feature for prop in self.values() if not _is_hidden(prop)}

    def set_value(self, value, _ID=()):
        """Not offered: set a property's value with ``properties[key].set_value(v)``."""
        raise _cache_is_the_library("PropertyDict", "set_value")

    def store(self, data, _ID=()):
        """Not offered (see :meth:`set_value`)."""
        raise _cache_is_the_library("PropertyDict", "store")

    def invalidate(self, _ID=()):
        """Not offered: ``update()`` re-samples the properties."""
        raise _cache_is_the_library("PropertyDict", "invalidate")

    def validate(self, _ID=()):
        """Not offered (see :meth:`invalidate`)."""
        raise _cache_is_the_library("PropertyDict", "validate")
