"""The arithmetic and comparison operators of DeepTrack2's ``DeepTrackNode``, shared by the nodes of
:mod:`deeptrack_native.backend.core` and the properties of :mod:`deeptrack_native.properties`.

``a + b``, ``1 - a``, ``a < b`` ... on a node give a dependent node computing the operation from the
current values of its operands; how a class builds that node is its ``_combine(op, other,
reflected)`` (``reflected``: ``other`` is the left operand).
"""

import operator

__all__ = ["NodeOperators", "PowerOperators"]

#: The operators of DeepTrack2's DeepTrackNode, each with its reflected form (``__radd__`` ...).
_BINARY = [
    ("add", operator.add),
    ("sub", operator.sub),
    ("mul", operator.mul),
    ("truediv", operator.truediv),
    ("floordiv", operator.floordiv),
    ("lt", operator.lt),
    ("gt", operator.gt),
    ("le", operator.le),
    ("ge", operator.ge),
]
#: Operators properties have beyond DeepTrack2's node (``prop ** 2``, ``prop % n``).
_POWER = [("pow", operator.pow), ("mod", operator.mod)]


def _method(op, reflected):
    def method(self, other):
        return self._combine(op, other, reflected)

    return method


def _install(cls, table):
    for name, op in table:
        setattr(cls, f"__{name}__", _method(op, False))
        setattr(cls, f"__r{name}__", _method(op, True))


class NodeOperators:
    """DeepTrack2's DeepTrackNode operators (``+ - * / //`` both ways, ``< > <= >=``, and their
    reflected forms) as dependent nodes built by the class's ``_combine``."""

    __slots__ = ()

    def _combine(self, op, other, reflected=False):
        """The dependent node computing ``op(self, other)`` (``op(other, self)`` if ``reflected``)."""
        raise NotImplementedError


class PowerOperators(NodeOperators):
    """:class:`NodeOperators` with ``**`` and ``%`` (both ways)."""

    __slots__ = ()


_install(NodeOperators, _BINARY)
_install(PowerOperators, _POWER)
