"""DeepTrack2's ``scatterers``: the objects images are made of: point particles, spheres, ellipses, ellipsoids. The classes come from libdeeptrack's registry of kinds (its kinds of
module ``scatterers``), so every kind the library registers there appears here."""

from .features import MieScatterer, Scatterer, classes_of

globals().update(classes_of("scatterers"))

from .features import Feature  # noqa: F401,E402  (DeepTrack2's module imports it: `from deeptrack.scatterers import Feature`)
from .image import Image  # noqa: F401,E402  (likewise)
from .units import ConversionTable  # noqa: F401,E402  (likewise)

from . import image  # noqa: F401,E402  (DeepTrack2's scatterers imports these)
from .backend import mie  # noqa: F401,E402
from .features import MERGE_STRATEGY_APPEND  # noqa: F401,E402
from .holography import get_propagation_matrix  # noqa: F401,E402
from .image import pad_image_to_fft  # noqa: F401,E402
from .types import ArrayLike, PropertyLike  # noqa: F401,E402
from .units import get_active_scale, get_active_voxel_size  # noqa: F401,E402

from . import units as u  # noqa: F401,E402  (DeepTrack2's unit registry)

__all__ = sorted({*classes_of("scatterers"), "MieScatterer", "Scatterer"})
