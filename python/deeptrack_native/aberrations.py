"""DeepTrack2's ``aberrations``: features applied to an optics' pupil (``Fluorescence(pupil=Defocus(...))``):
``Zernike`` and the named Zernike terms (``Piston``, ``Defocus``, ``Astigmatism``, ...) add a phase,
``GaussianApodization`` fades the pupil towards its edge; chain them with ``>>``. The classes come from
libdeeptrack's registry of kinds (its kinds of module ``aberrations``)."""

from .features import Aberration, classes_of

globals().update(classes_of("aberrations"))

from .features import Feature  # noqa: F401,E402  (DeepTrack2's module imports it: `from deeptrack.aberrations import Feature`)
from .image import Image  # noqa: F401,E402  (likewise)

from .types import PropertyLike  # noqa: F401,E402  (DeepTrack2's aberrations imports it)
from .utils import as_list  # noqa: F401,E402  (likewise)

__all__ = sorted([*classes_of("aberrations"), "Aberration"])
