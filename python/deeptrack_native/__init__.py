"""deeptrack_native: DeepTrack2's Python API (2.0.1 Image semantics) over libdeeptrack, through ctypes.

Change the imports of DeepTrack2 code and it runs natively::

    import deeptrack_native as dt
    from deeptrack_native import Feature, Image

    particle = dt.PointParticle(position=lambda: dt.random.rand(2) * 64, intensity=100)
    optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, output_region=(0, 0, 64, 64))
    pipeline = optics(particle) >> dt.Gaussian(sigma=0.01)
    pipeline.store_properties()
    image = pipeline.update().resolve()        # an Image: np.asarray(image), image.get_property("position")

The library is found as described in :mod:`deeptrack_native._lib`; importing fails with a clear
``ImportError`` when it is missing or its version differs from this package's.
"""

__version__ = "0.1.0"

from . import properties, random, units  # noqa: E402
from ._lib import LIBRARY_PATH  # noqa: E402
from .errors import (  # noqa: E402
    BusyError,
    CallbackError,
    CycleError,
    DeepTrackError,
    IndexOutOfRangeError,
    InvalidArgumentError,
    NotFoundError,
    OutOfMemoryError,
    PanicError,
    TypeMismatchError,
)
from .features import (  # noqa: E402
    _BUILTINS,
    Branch,
    Chain,
    Feature,
    MERGE_STRATEGY_APPEND,
    MERGE_STRATEGY_OVERRIDE,
    Lambda,
    Merge,
    Microscope,
    Noise,
    Optics,
    Property,
    Repeat,
    SampleToMasks,
)
from .image import Image  # noqa: E402
from .properties import PropertyDict  # noqa: E402  (DeepTrack2 2.0.1's top level has properties')
from .units import ConversionTable  # noqa: E402  (DeepTrack2's top level has it)
from ._unknown import UnknownPropertyWarning  # noqa: E402

globals().update(_BUILTINS)

# As ``import deeptrack``: DeepTrack2's submodules are attributes of the package once it is imported
# (``dt.math.Clip``), not only after ``import deeptrack.math``.
from . import (  # noqa: E402
    augmentations,
    cameras,
    elementwise,
    features,
    image,
    math,
    noises,
    optics,
    pictures,
    scatterers,
    sequences,
    statistics,
)
from .pictures import save_png, save_tiff  # noqa: E402

# -- DeepTrack2 2.0.1's module layout and the names its top level re-exports (i22-pymod) ----------------
from . import aberrations, backend, extras, holography, sources, types, utils  # noqa: E402
from .features import (  # noqa: E402
    Aberration,
    ArithmeticOperationFeature,
    Augmentation,
    ElementwiseFeature,
    MieScatterer,
    Reducer,
    Scatterer,
    StructuralFeature,
    propagate_data_to_dependencies,
)
from .holography import get_propagation_matrix  # noqa: E402
from .image import strip  # noqa: E402
from .sources import SourceItem  # noqa: E402
from .utils import as_list  # noqa: E402

_DT2_LAYOUT = [
    "aberrations",
    "holography",
    "backend",
    "extras",
    "sources",
    "types",
    "utils",
    "Aberration",
    "ArithmeticOperationFeature",
    "Augmentation",
    "ElementwiseFeature",
    "MieScatterer",
    "Reducer",
    "Scatterer",
    "StructuralFeature",
    "propagate_data_to_dependencies",
    "get_propagation_matrix",
    "strip",
    "SourceItem",
    "as_list",
]
# -- end of the module layout --

from ._config import config  # noqa: E402  (DeepTrack2's top level has these)
from .backend.core import DeepTrackNode  # noqa: E402
from .image import maybe_cupy, pad_image_to_fft  # noqa: E402
from .backend import mie  # noqa: E402
from .types import ArrayLike, PropertyLike  # noqa: E402
u = units  # noqa: E402  (DeepTrack2's unit registry: dt.u.um; the units module forwards to it)
from .units import create_context, get_active_scale, get_active_voxel_size  # noqa: E402
from ._sequential_property import propagate_sequential_data  # noqa: E402
from .sequences import Sequence, Sequential  # noqa: E402  (the list-returning class over the generated one)
from .properties import SequentialProperty  # noqa: E402  (DeepTrack2 2.0.1's top level has it)


def set_callback_wait(seconds):
    """Sets how long a call waits behind a Python callable (a property's function, a custom ``get``)
    running on another thread, or for the global generators that another thread's batch holds without
    finishing an item, before it raises ``BusyError`` (10 s until set). The library cannot see what a
    running callable waits for: one that starts a thread calling this package on a pipeline using it
    and joins it would otherwise wait forever. Returns the previous limit, in seconds."""
    from ctypes import byref, c_uint32

    from . import _batch, _core
    from ._lib import lib

    ms = int(round(float(seconds) * 1000))
    if not 0 <= ms <= 0xFFFFFFFF:
        raise ValueError(f"the callback wait must be between 0 and {0xFFFFFFFF / 1000:g} s, not {seconds!r}")
    previous = c_uint32()
    _core.call(lib.deeptrack_set_callback_wait, ms, byref(previous))
    _batch._WAIT[0] = ms / 1000
    return previous.value / 1000


def library_version():
    """The version the loaded libdeeptrack reports."""
    from ._lib import lib

    return lib.deeptrack_version().decode()


__all__ = [
    "__version__",
    "LIBRARY_PATH",
    "library_version",
    "random",
    "properties",
    "units",
    "augmentations",
    "cameras",
    "elementwise",
    "features",
    "image",
    "math",
    "noises",
    "optics",
    "pictures",
    "save_png",
    "save_tiff",
    "scatterers",
    "sequences",
    "statistics",
    "MERGE_STRATEGY_APPEND",
    "MERGE_STRATEGY_OVERRIDE",
    "Feature",
    "Property",
    "Chain",
    "Branch",
    "Repeat",
    "Microscope",
    "Lambda",
    "Merge",
    "Optics",
    "Noise",
    "SampleToMasks",
    "Sequential",
    "SequentialProperty",
    "Image",
    "PropertyDict",
    "ConversionTable",
    "DeepTrackNode",
    "config",
    "create_context",
    "get_active_scale",
    "get_active_voxel_size",
    "pad_image_to_fft",
    "propagate_sequential_data",
    "maybe_cupy",
    "mie",
    "u",
    "UnknownPropertyWarning",
    "DeepTrackError",
    "InvalidArgumentError",
    "IndexOutOfRangeError",
    "TypeMismatchError",
    "NotFoundError",
    "CycleError",
    "CallbackError",
    "BusyError",
    "set_callback_wait",
    "OutOfMemoryError",
    "PanicError",
    *sorted(_BUILTINS),
    *_DT2_LAYOUT,
]
