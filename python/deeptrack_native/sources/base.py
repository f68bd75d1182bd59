"""Sources, their items and the nodes that read them (DeepTrack2 2.0.1's ``deeptrack.sources.base``).

Written in Python because it is bookkeeping of Python objects (lists of file names, labels, arrays)
that only reach the library as the property values they give.
"""

import itertools
import math
import operator
import warnings

import numpy as np

__all__ = ["SourceNode", "SourceDeepTrackNode", "SourceItem", "Source", "Product", "Subset", "Sources", "Join", "random_split"]

_UNSET = object()


class SourceNode:
    """A callable giving a value of a source at its current item (DeepTrack2's
    ``SourceDeepTrackNode``): use it as a property's rule. ``node.key`` and ``node[index]`` are nodes
    reading into the value; arithmetic and comparisons with numbers or other nodes make nodes too.
    As DeepTrack2's nodes, it computes its value once and keeps it until ``invalidate`` (the source
    moving to another item invalidates its nodes and the nodes derived from them); ``set_value``
    replaces the value until then."""

    def __init__(self, action, parents=()):
        self._action = action
        self._value = _UNSET
        self._children = []
        for parent in parents:
            parent._children.append(self)

    def __call__(self, _ID=()):
        if self._value is _UNSET:
            self._value = self._action()
        return self._value

    def set_value(self, value):
        """Holds ``value`` as this node's value (until :meth:`invalidate`). Returns self."""
        self.invalidate()
        self._value = value
        return self

    def invalidate(self):
        """Drops a held value, here and in the nodes derived from this one. Returns self."""
        self._value = _UNSET
        for child in self._children:
            child.invalidate()
        return self

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return SourceNode(lambda: self()[name], (self,))

    def __getitem__(self, index):
        return SourceNode(lambda: self()[index], (self,))

    def __repr__(self):
        return "<SourceNode>"


def _operator(op, reflected=False):
    def method(self, other):
        if isinstance(other, SourceNode):
            parents, value = (self, other), other
        else:
            parents, value = (self,), (lambda: other)
            value = SourceNode(value)
        if reflected:
            return SourceNode(lambda: op(value(), self()), parents)
        return SourceNode(lambda: op(self(), value()), parents)

    return method


for _name, _op in {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "pow": operator.pow,
    "mod": operator.mod,
}.items():
    setattr(SourceNode, f"__{_name}__", _operator(_op))
    setattr(SourceNode, f"__r{_name}__", _operator(_op, reflected=True))
for _name, _op in {"lt": operator.lt, "gt": operator.gt, "le": operator.le, "ge": operator.ge}.items():
    setattr(SourceNode, f"__{_name}__", _operator(_op))
SourceNode.__neg__ = lambda self: SourceNode(lambda: -self(), (self,))

#: DeepTrack2's name of :class:`SourceNode`.
SourceDeepTrackNode = SourceNode


class SourceItem(dict):
    """One item of a source: a dict of its values that, when called (or given to a pipeline as its
    input), makes itself the current item of its source and of the sources joined to it."""

    def __init__(self, callbacks, **kwargs):
        self._callbacks = callbacks
        super().__init__(**kwargs)

    def __call__(self):
        for callback in self._callbacks:
            callback(self)
        return self

    def __repr__(self):
        return f"SourceItem({super().__repr__()})"


class Source:
    """Columns of data of equal length (``Source(a=[1, 2], b=[3, 4])``): ``len``, items
    (``source[i]``, slices give lists), iteration, and one :class:`SourceNode` attribute per column."""

    def __init__(self, **kwargs):
        if not kwargs:
            raise ValueError("Source: give at least one column (name=[values])")
        self.validate_all_same_length(kwargs)
        self._length = len(next(iter(kwargs.values())))
        self._index = 0
        self._dict = kwargs
        self._callbacks = []
        self._nodes = []
        for key in kwargs:
            setattr(self, key, self._wrap(key))

    def __len__(self):
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self._get_item(index)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def product(self, **kwargs):
        """Every item of this source with every combination of the values of ``kwargs``' lists."""
        return Product(self, **kwargs)

    def constants(self, **kwargs):
        """This source with the columns ``kwargs`` holding one value for every item."""
        return Product(self, **{k: [v] for k, v in kwargs.items()})

    def filter(self, predicate):
        """The items for which ``predicate(**item)`` is true, as a :class:`Subset`."""
        return Subset(self, [i for i, item in enumerate(self) if predicate(**item)])

    def validate_all_same_length(self, kwargs):
        """Raises ``ValueError`` unless every column has the same length."""
        lengths = [len(v) for v in kwargs.values()]
        if any(n != lengths[0] for n in lengths):
            raise ValueError("All sources must have the same length.")

    def _wrap(self, key):
        column = self._dict[key]
        if hasattr(column, "__getitem__"):
            node = SourceNode(lambda: self._dict[key][self._index])
        else:
            node = SourceNode(lambda: list(self._dict[key])[self._index])
        self._nodes.append(node)
        return node

    def set_index(self, index):
        """Makes item ``index`` the current one. Returns self."""
        self._index = index
        for node in self._nodes:
            node.invalidate()
        return self

    def _get_item(self, index):
        values = {k: v[index] for k, v in self._dict.items()}
        callbacks = [*self._callbacks, lambda _: self.set_index(index)]
        return SourceItem(callbacks, **values)

    def on_activate(self, callback):
        """Calls ``callback(item)`` whenever an item of this source is activated."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)


class Product(Source):
    """The items of a source combined with every combination of the values of ``kwargs``' lists
    (``Source(a=[1, 2]).product(c=[5, 6])`` has the items a, c = 1, 5; 1, 6; 2, 5; 2, 6)."""

    def __init__(self, _Product__source=({},), **kwargs):
        source = _Product__source
        first = dict(source[0]) if len(source) else {}
        overlap = set(kwargs).intersection(first)
        if overlap:
            raise ValueError(f"Overlapping keys in product. Duplicate keys: {overlap}")
        columns = {k: [] for k in kwargs}
        columns.update({k: [] for k in first})
        for item, *values in itertools.product(source, *kwargs.values()):
            for k, v in item.items():
                columns[k].append(v)
            for k, v in zip(kwargs, values):
                columns[k].append(v)
        super().__init__(**columns)


class Subset(Source):
    """The items ``indices`` of ``source``, in that order; its items are the source's own (activating
    one makes it current in ``source``), and its attributes are the source's."""

    def __init__(self, source, indices):
        self.source = source
        self.indices = list(indices)
        self._dict = {k: [v[i] for i in self.indices] for k, v in source._dict.items()}

    def __iter__(self):
        for i in self.indices:
            yield self.source[i]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.source[i] for i in self.indices[index]]
        return self.source[self.indices[index]]

    def __len__(self):
        return len(self.indices)

    def __getattr__(self, name):
        if name.startswith("__") or name in ("source", "indices", "_dict"):
            raise AttributeError(name)
        return getattr(self.source, name)


class Sources:
    """Several sources as one access point (``Join``): ``joined.key`` is a node holding the value of
    ``key`` of the item last activated in any of them."""

    def __init__(self, *sources):
        self.sources = sources
        keys = []
        for source in sources:
            keys.extend(k for k in source._dict if k not in keys)
        self._dict = dict.fromkeys(keys)
        for key in keys:
            setattr(self, key, SourceNode(lambda key=key: self._dict[key]))
        for source in sources:
            source.on_activate(self._callback)

    def _callback(self, item):
        for key in item:
            self._dict[key] = item[key]
            getattr(self, key).set_value(item[key])


Join = Sources


def random_split(source, lengths, generator=None):
    """Splits ``source`` at random into :class:`Subset` s of the given ``lengths`` (counts summing to
    ``len(source)``, or fractions summing to 1: each gets ``floor(len * fraction)`` items and the
    remainder goes one by one to the first ones). ``generator``: a ``numpy.random.Generator``
    (default: a fresh ``np.random.default_rng()``)."""
    if generator is None:
        generator = np.random.default_rng()
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(len(source) * fraction)))
        for i in range(len(source) - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty source.")
        lengths = counts
    if sum(lengths) != len(source):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = generator.permutation(sum(lengths)).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(source, indices[offset : offset + length]))
        offset += length
    return out


def activate(image):
    """Activates the source items ``image`` is or holds (a pipeline's input). Returns whether it
    held any: the pipeline then takes no input image (the items only choose the sources' values)."""
    if isinstance(image, SourceItem):
        image()
        return True
    if isinstance(image, (list, tuple)) and any(isinstance(x, SourceItem) for x in image):
        for x in image:
            if isinstance(x, SourceItem):
                x()
        return True
    return False


def reads_source(value):
    """Whether a property's value is a :class:`SourceNode` or a list, tuple or slice holding one."""
    # Iterative, and plain scalars skipped without a call: one pass over the items however long or
    # deep the value is.
    todo = [value]
    while todo:
        v = todo.pop()
        if type(v) in _SCALARS:
            continue
        if isinstance(v, SourceNode):
            return True
        if isinstance(v, slice):
            todo.extend((v.start, v.stop, v.step))
        elif isinstance(v, (list, tuple)):
            todo.extend(v)
    return False


_SCALARS = frozenset((int, float, bool, complex, str, type(None)))
