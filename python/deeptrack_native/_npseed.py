"""Pipelines follow ``np.random``'s global generator, as DeepTrack2's do (it samples everything from
it): a pipeline that was not seeded explicitly (``feature.seed(...)``) takes one seed drawn from
``np.random`` at every ``update`` and at its first resolve, so ``np.random.seed(s)`` followed by the
same updates and resolves gives the same images and properties every run. One draw from numpy's
legacy global ``RandomState`` costs about a microsecond.

A feature's first resolve draws its seed only when nothing in its pipeline has sampled values yet
(no feature of it resolved, read a property, or was seeded explicitly): seeding drops cached
samples, and DeepTrack2 keeps those until the next update."""

import numpy as np

#: 2**53: ``random_sample`` gives 53 random bits.
_SCALE = 9007199254740992.0


def draw():
    """One seed (53 bits) from ``np.random``'s global generator."""
    return int(np.random.random_sample() * _SCALE)


def mark_sampled(feature):
    """Records that ``feature`` holds sampled values (a resolve or a property read)."""
    feature.__dict__["_np_first"] = True


def explicit(root, features_of, feature_type):
    """Whether a feature of ``root``'s pipeline was seeded explicitly (then updates keep the
    library's streams)."""
    if not _EXPLICIT[0]:
        return False
    return any(f.__dict__.get("_np_explicit") for f in features_of(root, feature_type))


def mark_explicit(root, features_of, feature_type):
    """Records an explicit ``seed`` of ``root``'s pipeline."""
    for f in features_of(root, feature_type):
        f.__dict__["_np_explicit"] = True
        f.__dict__["_np_first"] = True
    _EXPLICIT[0] += 1


def first_resolve_seed(root, features_of, feature_type):
    """The seed for ``root``'s first resolve, or None when its pipeline already holds samples or was
    seeded explicitly. Marks the pipeline as sampled."""
    tree = features_of(root, feature_type)
    fresh = not any(f.__dict__.get("_np_first") for f in tree)
    for f in tree:
        f.__dict__["_np_first"] = True
    return draw() if fresh else None


#: How many explicit seeds were set (0: no feature needs looking at).
_EXPLICIT = [0]
