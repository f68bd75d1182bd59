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

from ctypes import byref, c_size_t, c_void_p

from ._lib import lib
from . import _batch, _core, _lib, _npseed
from .features import _BUILTIN_CLASSES, _BUILTINS, _rule
from .properties import SequentialProperty  # noqa: F401  (DeepTrack2 2.0.1 has it here too)
from ._sequential_property import propagate_sequential_data  # noqa: F401

__all__ = ["Sequence", "Sequential", "SequentialProperty", "propagate_sequential_data"]


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
        on (pipeline, seed, i), whatever ``threads`` is. As :meth:`Feature.resolve_batch`, a pipeline
        holding Python callables renders on this thread with ``np.random`` and ``random`` seeded for
        each item. Batches of sequences render in this process (``processes`` None or 1)."""
        if processes not in (None, 1):
            raise NotImplementedError("a batch of sequences renders in this process: processes must be None or 1")
        if seed is None:
            seed = _npseed.draw()
        count, seed, first, threads = int(count), int(seed), int(first), int(threads)
        if count < 0 or threads < 0:
            raise ValueError("count and threads must not be negative")
        if not (0 <= seed < 2**64 and 0 <= first < 2**64):
            raise ValueError("seed and first must be integers in [0, 2**64)")
        owner, known = self._batch_input(image)
        input_ptr = None if owner is None else owner.ptr
        try:
            if not self._holds_python():
                return self._movies(input_ptr, known, seed, first, count, threads)
            movies = []
            with _batch.held_globals():
                for k in range(count):
                    item = (first + k) & ((1 << 64) - 1)
                    _batch.seed_globals(seed, item)
                    movies.extend(self._movies(input_ptr, known, seed, item, 1, 1))
            return movies
        finally:
            from .features import _emit_warnings

            _emit_warnings()

    def _movies(self, input_ptr, known, seed, first, count, threads):
        """Items ``first .. first + count`` through ``deeptrack_feature_resolve_batch_many``."""
        counts = (c_size_t * max(count, 1))()
        total = c_size_t()
        cap = count * max(int(self.sequence_length()), 1)
        for _ in range(2):  # a second call when the frames outnumber the guess (a random length)
            buf = (c_void_p * max(cap, 1))()
            _core._tls.pending = None
            status = lib.deeptrack_feature_resolve_batch_many(
                self._h.ptr, input_ptr, seed, first, count, threads, buf, cap, counts, byref(total)
            )
            if status != _lib.BUFFER_TOO_SMALL:
                break
            cap = total.value
        if status != _lib.OK:
            _core.raise_for(status)
        images = [_core.from_library_image(_core.owned_image(buf[i]), known) for i in range(total.value)]
        movies, at = [], 0
        for k in range(count):
            movies.append(images[at : at + counts[k]])
            at += counts[k]
        return movies


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
