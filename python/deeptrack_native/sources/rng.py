"""Per-item random generators as sources (DeepTrack2 2.0.1's ``deeptrack.sources.rng``):
``NumpyRNG(n_states, seed)`` holds ``n_states`` ``np.random.RandomState`` s, ``PythonRNG`` as many
``random.Random`` s, one per item, re-created from the seed whenever an item is activated, so item
``i`` draws the same numbers every time it is used. Their generator methods
(``rng.uniform(0, 1)``) give :class:`~.base.SourceNode` s drawing from the current item's generator."""

import random

import numpy as np

from .base import Source, SourceNode

__all__ = ["NumpyRNG", "PythonRNG"]


class _RNGSource(Source):
    _generator = None

    def __init__(self, n_states, seed=None):
        self._n_states = n_states
        self._seed = np.random.randint(0, 2**31) if seed is None else seed
        super().__init__(rng=self._generate_states())

    def _generate_states(self):
        seeds = np.random.RandomState(self._seed)
        return [type(self)._generator(seeds.randint(0, 2**31)) for _ in range(self._n_states)]

    def reset(self):
        """Re-creates every item's generator from the seed."""
        self._dict["rng"] = self._generate_states()

    def set_index(self, index):
        """Makes item ``index`` current, with its generator re-created. Returns self."""
        self.reset()
        return super().set_index(index)

    def __getattribute__(self, name):
        generator = type(self)._generator
        if not name.startswith("_") and name not in Source.__dict__ and hasattr(generator, name):
            return object.__getattribute__(self, "_lazy")(name)
        return object.__getattribute__(self, name)

    def _lazy(self, name):
        def method(*args, **kwargs):
            node = SourceNode(lambda: getattr(self._dict["rng"][self._index], name)(*args, **kwargs))
            self._nodes.append(node)
            return node

        return method


class NumpyRNG(_RNGSource):
    """``n_states`` numpy ``RandomState`` s seeded from ``seed`` (default: drawn from ``np.random``)."""

    _generator = np.random.RandomState


class PythonRNG(_RNGSource):
    """``n_states`` ``random.Random`` s seeded from ``seed`` (default: drawn from ``np.random``)."""

    _generator = random.Random
