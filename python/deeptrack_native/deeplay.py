"""DeepTrack2's ``deeptrack.deeplay``: the names of the deeplay package (DeepTrack2's companion
library of neural networks, which brings torch), for code that imports ``deeptrack.deeplay as dl``.
deeplay is a separate install (``pip install deeplay``); importing this module without it is an
``ImportError`` saying so. Nothing else of deeptrack_native imports it."""

try:
    from deeplay import *  # noqa: F401,F403
except ImportError as e:
    raise ImportError(
        "deeptrack_native.deeplay re-exports the deeplay package, which is not installed: pip install deeplay"
    ) from e
