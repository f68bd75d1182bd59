"""DeepTrack2's ``SequentialProperty`` (``deeptrack_native.properties.SequentialProperty``): a property
whose value changes from step to step of a sequence and that remembers the value of every step.

deeptrack_native's sequences are computed by libdeeptrack (``Sequential(feature, key=rule)``, see
:mod:`deeptrack_native.sequences`), which keeps the histories natively; this class is for code that
drives a sequential property by hand, as DeepTrack2 2.0.1 allows. It is a
:class:`~deeptrack_native.backend.core.DeepTrackNode` holding, per replicate index ``_ID``, the list
of the values of the steps so far (``prop.data[_ID].current_value()``), kept when the property is
invalidated (the next step appends to it) and dropped by ``update()``.
"""

import inspect

from .backend.core import DeepTrackNode, _same

__all__ = ["SequentialProperty", "propagate_sequential_data"]


class _History:
    """The values of the steps so far at one replicate index, and whether the current step's value
    is among them (DeepTrack2's ``DeepTrackDataObject`` for a sequential property)."""

    __slots__ = ("_values", "_valid")

    def __init__(self, values):
        self._values = values
        self._valid = True

    def current_value(self):
        """The list of the values of the steps so far, in order."""
        return self._values

    def store(self, values):
        """Replaces the list and marks it valid."""
        self._values = values
        self._valid = True

    def is_valid(self):
        """Whether the current step's value has been stored since the last invalidation."""
        return self._valid

    def invalidate(self):
        """Marks the current step's value as to be computed again; the earlier values stay."""
        self._valid = False

    def validate(self):
        """Marks the values as valid."""
        self._valid = True

    def __repr__(self):
        return f"<values {self._values!r}{'' if self._valid else ' (invalid)'}>"


class SequentialProperty(DeepTrackNode):
    """A property that takes a value per step of a sequence (DeepTrack2's ``SequentialProperty``).

    ``SequentialProperty(initialization=None, **dependencies)``: at step 0 its value is
    ``initialization`` (any property value; a callable takes the ``dependencies`` it names, and
    ``_ID``), at later steps what ``prop.current`` (a callable, optionally taking ``_ID``; by default
    ``None``) returns. Its attributes are nodes:

    - ``sequence_length`` (0 until set) and ``sequence_step`` (the current step, 0 until set): set them
      with ``store`` (no invalidation) or ``set_value`` (invalidates this property);
    - ``previous_value``: the value stored at step ``sequence_step - 1`` (``None`` at step 0 and before
      that step has a value);
    - ``previous_values``: the values of steps ``0 .. sequence_step - 2``, as 2.0.1 documents it ("up
      to, but not including, the current value and the previous value"; ``[]`` at step 0).

    ``prop()`` is the value at the current step: the stored one, or computed (``initialization`` at
    step 0, ``current()`` later), appended to the history and returned. ``prop.store(v)`` appends ``v``;
    ``prop.current_value()`` is the stored value at index ``sequence_step``;
    ``prop.data[_ID].current_value()`` the whole history. ``invalidate()`` keeps the history (the next
    call appends the next step's value); ``update()`` drops it.
    """

    def __init__(self, initialization=None, **dependencies):
        super().__init__(None)

        self.sequence_length = DeepTrackNode(0)
        self.sequence_length.add_child(self)

        self.sequence_step = DeepTrackNode(0)
        self.sequence_step.add_child(self)

        def previous_values(_ID=()):
            step = self.sequence_step(_ID)
            return self.previous(_ID)[: step - 1] if step else []

        self.previous_values = DeepTrackNode(previous_values)
        self.previous_values.add_child(self)
        self.sequence_step.add_child(self.previous_values)

        def previous_value(_ID=()):
            # None at step 0 (2.0.1 gives the last value stored, history[-1]) and for a step the
            # history has not reached.
            step, history = self.sequence_step(_ID), self.previous(_ID)
            return history[step - 1] if 0 < step <= len(history) else None

        self.previous_value = DeepTrackNode(previous_value)
        self.previous_value.add_child(self)
        self.sequence_step.add_child(self.previous_value)

        self.initialization = None if initialization is None else _action(initialization, dependencies)
        self.current = lambda _ID=(): None
        self.action = self._action_override

    def _action_override(self, _ID=()):
        """The value of the current step: ``initialization`` at step 0, ``current`` later."""
        if self.sequence_step(_ID) == 0:
            return self.initialization(_ID=_ID) if self.initialization else None
        return _call(self.current, _ID)

    def store(self, value, _ID=()):
        """Appends ``value`` to the history at ``_ID``. Returns self."""
        _ID = tuple(_ID)
        held = self.data.get(_ID)
        self.data[_ID] = _History((held.current_value() if held else []) + [value])
        return self

    def previous(self, _ID=()):
        """The history at ``_ID`` (valid or not), without computing anything; ``[]`` when there is
        none."""
        held = self.data.get(tuple(_ID))
        return held.current_value() if held else []

    def is_valid(self, _ID=()):
        """Whether the current step's value is stored at ``_ID``."""
        held = self.data.get(tuple(_ID))
        return held is not None and held.is_valid()

    def current_value(self, _ID=()):
        """The stored value at index ``sequence_step`` (KeyError when nothing is stored at ``_ID``,
        IndexError when the step has no value yet)."""
        return self.data[tuple(_ID)].current_value()[self.sequence_step(_ID)]

    def __call__(self, _ID=()):
        _ID = tuple(_ID)
        if self.is_valid(_ID):
            try:
                return self.current_value(_ID)
            except IndexError:
                pass  # the step moved past the history without an invalidation: compute it
        self.store(self.action(_ID=_ID), _ID)
        return self.current_value(_ID)

    def _drop_values(self):
        # Invalidation keeps the history: the next step's value is appended to it.
        for held in self.data.values():
            held.invalidate()

    def validate(self, _ID=()):
        """Marks the history at ``_ID`` valid. Returns self."""
        self.data[tuple(_ID)].validate()
        return self

    def set_value(self, value, _ID=()):
        """As DeepTrack2: unless the history at ``_ID`` is valid and equals ``value``, invalidates
        this property and the nodes computed from it and appends ``value``. Returns self."""
        _ID = tuple(_ID)
        if not (self.is_valid(_ID) and _same(value, self.data[_ID].current_value())):
            self.invalidate(_ID)
            self.store(value, _ID)
        return self

    def __repr__(self):
        return f"<SequentialProperty at step {self.sequence_step()!r}: {self.previous()!r}>"


SequentialProperty.__module__ = "deeptrack_native.properties"


def propagate_sequential_data(X, **kwargs):
    """Sets ``sequence_step``, ``sequence_length`` (any attribute named in ``kwargs``) with
    ``set_value`` on every :class:`SequentialProperty` ``X`` depends on (DeepTrack2's function of that
    name, which ``Sequence`` calls before each step). ``X`` is a node (the property itself, or a node
    computed from one) or a feature, whose pipeline's features are searched for the nodes given as
    their property values. Keys a property lacks are ignored."""
    from .features import Feature
    from . import _objects

    if isinstance(X, Feature):
        roots = []
        for feature in _objects.features_of(X, Feature):
            args, given = feature.__dict__.get("_init_args", ((), {}))
            roots += [v for v in list(args) + list(given.values()) if isinstance(v, DeepTrackNode)]
    elif isinstance(X, DeepTrackNode):
        roots = [X]
    else:
        raise TypeError(f"propagate_sequential_data: expected a feature or a DeepTrackNode, got {type(X).__name__}")
    seen = set()
    for root in roots:
        for node in root.recurse_dependencies():
            if not isinstance(node, SequentialProperty) or id(node) in seen:
                continue
            seen.add(id(node))
            for key, value in kwargs.items():
                if hasattr(node, key):
                    getattr(node, key).set_value(value)


propagate_sequential_data.__module__ = "deeptrack_native.sequences"


def _call(function, _ID):
    """``function(_ID=_ID)`` if it takes ``_ID``, else ``function()``."""
    try:
        takes_id = "_ID" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        takes_id = False
    return function(_ID=_ID) if takes_id else function()


def _value(dependency, _ID):
    """The value of a dependency at ``_ID``: properties and nodes are evaluated, anything else is
    itself."""
    from .properties import Property

    if isinstance(dependency, (Property, DeepTrackNode)):
        return dependency(_ID)
    return dependency


def _action(rule, dependencies):
    """A callable of ``_ID`` computing ``rule`` (DeepTrack2's ``Property.create_action``): a property or
    node is evaluated, a callable is called with the dependencies it names (their values) and
    ``_ID`` if it takes it, an iterator gives its next item (its last one once exhausted), anything
    else is a constant."""
    from .properties import Property, _parameter_names

    if isinstance(rule, (Property, DeepTrackNode)):
        return lambda _ID=(): rule(_ID)
    if hasattr(rule, "__next__"):
        last = []

        def next_item(_ID=()):
            try:
                last[:] = [next(rule)]
            except StopIteration:
                if not last:
                    raise ValueError("SequentialProperty: the iterator given as initialization is empty") from None
            return last[0]

        return next_item
    if callable(rule):
        names = _parameter_names(rule)

        def call(_ID=()):
            kwargs = {name: _value(dependencies[name], _ID) for name in names if name in dependencies}
            if "_ID" in names:
                kwargs["_ID"] = _ID
            return rule(**kwargs)

        return call
    return lambda _ID=(): rule
