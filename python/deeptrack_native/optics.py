"""DeepTrack2's ``optics``: the optical systems that image a sample. The classes come from libdeeptrack's registry of kinds (its kinds of
module ``optics``), so every kind the library registers there appears here."""

from .features import Microscope, Optics, classes_of

globals().update(classes_of("optics"))

from .features import Feature  # noqa: F401,E402  (DeepTrack2's module imports it: `from deeptrack.optics import Feature`)
from .image import Image  # noqa: F401,E402  (likewise)
from .features import DummyFeature, StructuralFeature, _BUILTINS  # noqa: F401,E402  (likewise)
from .units import ConversionTable  # noqa: F401,E402  (likewise)
AveragePooling = _BUILTINS["AveragePooling"]  # DeepTrack2's optics imports it

from . import image  # noqa: F401,E402  (DeepTrack2's optics imports these)
from ._config import config  # noqa: F401,E402
from .features import propagate_data_to_dependencies  # noqa: F401,E402
from .image import maybe_cupy, pad_image_to_fft  # noqa: F401,E402
from .types import ArrayLike, PropertyLike  # noqa: F401,E402
from .units import create_context, get_active_scale, get_active_voxel_size  # noqa: F401,E402

from . import units as u  # noqa: F401,E402  (DeepTrack2's unit registry)

__all__ = sorted(["Microscope", "Optics", *classes_of("optics")])
