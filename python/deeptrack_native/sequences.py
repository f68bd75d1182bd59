"""DeepTrack2's ``sequences``: :class:`Sequence` resolves a feature once per step of a time-lapse,
and :func:`Sequential` makes properties of a feature change from step to step.

``Sequential(feature, rotation=get_rotation)``: inside a ``Sequence``, the property ``rotation``
keeps its value at step 0 and takes ``get_rotation(...)`` at every later step. The function takes
by name any of ``previous_value`` (the value at the step before), ``previous_values`` (the values at
steps 0 .. t-1, in order), ``sequence_step`` (or 2.0.2's ``sequence_index``), ``sequence_length``,
``previous_<key>`` (a sibling's earlier values) and the feature's other properties at the same step.
Properties that are not sequential keep their values through the sequence; ``update()`` samples the
whole trajectory again. Computed by libdeeptrack (``deeptrack_feature_set_sequential``).
"""

from ._lib import lib
from . import _core
from .features import _BUILTIN_CLASSES, _BUILTINS, _rule

__all__ = ["Sequence", "Sequential"]


class Sequence(_BUILTINS["Sequence"]):
    """``Sequence(feature, sequence_length=1)``: resolving it gives the list of ``feature``'s output
    at every step, each frame with its own property dicts (``frame.get_property("position",
    get_one=False)`` is that frame's true positions).

    Written here, over the generated class, for one thing the registry cannot say: as in DeepTrack2,
    the result is always a list, also of one frame."""

    def resolve(self, image=None, **kwargs):
        out = super().resolve(image, **kwargs)
        return out if isinstance(out, list) else [out]


Sequence.__module__ = "deeptrack_native.sequences"
Sequence.__doc__ = f"{_BUILTINS['Sequence'].__doc__}\n\n{Sequence.__doc__}"
_BUILTINS["Sequence"] = Sequence
_BUILTIN_CLASSES.add(Sequence)


def Sequential(feature, **kwargs):
    """Makes the properties named by ``kwargs`` sequential (DeepTrack2's ``Sequential``): each keeps
    its rule for step 0 (a new property takes the given rule at step 0 too, without
    ``previous_value``) and takes the given rule (a callable, or any property value) at the later
    steps. Returns ``feature``."""
    for key, value in kwargs.items():
        rule = _rule(value, feature, key)
        # set_sequential takes the rule in every case.
        _core.call(lib.deeptrack_feature_set_sequential, feature._h.ptr, key.encode("utf-8"), rule.release())
    return feature
