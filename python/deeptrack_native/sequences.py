"""DeepTrack2's ``sequences``: :class:`Sequence` resolves a feature once per step of a time-lapse,
and :func:`Sequential` makes properties of a feature change from step to step.

``Sequential(feature, rotation=get_rotation)``: inside a ``Sequence``, the property ``rotation``
keeps its value at step 0 and takes ``get_rotation(...)`` at every later step. The function takes
by name any of ``previous_value`` (the value at the step before), ``previous_values`` (the values at
steps 0 .. t-1, in order), ``sequence_step`` (or 2.0.2's ``sequence_index``), ``sequence_length``,
``previous_<key>`` (a sibling's earlier values) and the feature's other properties at the same step.
Properties that are not sequential keep their values through the sequence; ``update()`` samples the
whole trajectory again. Computed by libdeeptrack (``deeptrack_feature_set_sequential``).

Besides callables, a step rule can be one of the library's built-in motion rules, which hold no
Python (the movie renders on the library's threads, reproducibly under ``seed``):
``Sequential(particle, position=brownian(diffusion=1e-13, dt=0.05, pixel_size=100e-9))`` (Brownian
diffusion, ``diffusion`` in m²/s; ``brownian(diffusion=0.5)`` in pixels² per frame),
``drift(velocity=(0.5, -1))`` (a fixed step per frame) and ``increment(normal=(0, 1))`` (the previous
value plus a draw: ``normal=``, ``uniform=``, a constant or a callable).
"""

from ._lib import lib
from . import _core
from ._motion import MotionRule, brownian, drift, increment
from .features import _BUILTIN_CLASSES, _BUILTINS, _rule
from .properties import SequentialProperty  # noqa: F401  (DeepTrack2 2.0.1 has it here too)
from ._sequential_property import propagate_sequential_data  # noqa: F401

from .features import Feature  # noqa: F401,E402  (DeepTrack2's module imports it: `from deeptrack.sequences import Feature`)
from .image import Image  # noqa: F401,E402  (likewise)

from .types import PropertyLike  # noqa: F401,E402  (DeepTrack2's sequences imports it)

__all__ = [
    "Sequence",
    "Sequential",
    "SequentialProperty",
    "propagate_sequential_data",
    "MotionRule",
    "brownian",
    "drift",
    "increment",
]


class Sequence(_BUILTINS["Sequence"]):
    """``Sequence(feature, sequence_length=1)``: resolving it gives the list of ``feature``'s output
    at every step, each frame with its own property dicts (``frame.get_property("position",
    get_one=False)`` is that frame's true positions).

    Written here, over the generated class, for one thing the registry cannot say: as in DeepTrack2,
    the result is always a list, also of one frame."""

    def resolve(self, image=None, **kwargs):
        out = super().resolve(image, **kwargs)
        return out if isinstance(out, list) else [out]

    def resolve_batch(self, count, seed=None, first=0, threads=0, image=None, processes=None):
        """``count`` independent movies: items ``first .. first + count`` of the stream ``seed``
        (``None``: one drawn from ``np.random``), each the list of its frames; item ``i`` depends only
        on (pipeline, seed, i), whatever ``threads`` or ``processes`` is. As
        :meth:`Feature.resolve_batch`: a pipeline holding Python callables renders on this thread with
        ``np.random`` and ``random`` seeded for each item, and ``processes=N`` (N >= 2; 0: one per core)
        shares the movies out between this process and N - 1 worker processes, giving the movies a
        single process gives, frame by frame, property dicts included. A pipeline holding a
        ``Sequence`` (``Sequence(...) >> FlipLR()``) batches the same way, each item a list."""
        return super().resolve_batch(count, seed=seed, first=first, threads=threads, image=image, processes=processes)


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
