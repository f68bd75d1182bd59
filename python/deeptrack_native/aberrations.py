"""DeepTrack2's ``aberrations``: features applied to an optics' pupil (``Fluorescence(pupil=Defocus(...))``):
``Zernike`` and the named Zernike terms (``Piston``, ``Defocus``, ``Astigmatism``, ...) add a phase,
``GaussianApodization`` fades the pupil towards its edge; chain them with ``>>``. The classes come from
libdeeptrack's registry of kinds (its kinds of module ``aberrations``)."""

from .features import Aberration, classes_of

globals().update(classes_of("aberrations"))

__all__ = sorted([*classes_of("aberrations"), "Aberration"])
