"""DeepTrack2's ``deeptrack.extras``: :func:`radialcenter`, the centre of radial symmetry of an image.

As in DeepTrack2, ``deeptrack_native.extras.radialcenter`` is the function itself
(``from deeptrack_native.extras import radialcenter``)."""

from .radialcenter import radialcenter  # noqa: F401  (the function replaces the submodule's name)

__all__ = ["radialcenter"]
