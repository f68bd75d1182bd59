"""Pictures: images written as 16-bit PNG and TIFF files (libdeeptrack's ``deeptrack_image_save_png`` and
``deeptrack_image_save_tiff``), and shown with matplotlib (``Image.plot``, ``Feature.plot``).

Scaling. ``save_png`` maps the image's range linearly onto 0 … 65535 (the minimum to 0, the maximum to
65535; a constant image is all zeros): PNGs are for looking at. ``save_tiff`` writes values as they are
(rounded and clipped to 0 … 65535) when ``scale=False``, scaled as a PNG when ``scale=True``; the default
``scale=None`` writes a camera's frames (every finite value a whole number in 0 … 65535, as ``Camera``
gives in ADU) as they are and scales anything else. A stack (a list of frames, or an ``(H, W, N)``
array) is one page per frame, scaled together. NaN is written as 0. Both return the (minimum, maximum)
of the image's finite values.

matplotlib is optional (``pip install deeptrack-native[plot]``); plotting without it raises an
``ImportError`` that says so.
"""

import os
from ctypes import c_double

import numpy as np

from . import _core
from ._lib import lib


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            "plotting needs matplotlib, which is not installed: pip install matplotlib "
            "(or deeptrack-native[plot])"
        ) from e
    return plt


def _frame(obj):
    """An array of ``obj`` (an Image or array-like) with a trailing channel of 1 dropped."""
    from .image import Image

    arr = np.asarray(obj._value if isinstance(obj, Image) else obj)
    if np.iscomplexobj(arr):
        raise TypeError("a picture needs real values; take np.abs or .real of a complex image first")
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    return arr


def _save(fn, arr, path, *flags):
    owner, _ = _core.to_library_image(np.ascontiguousarray(arr), "image")
    out = (c_double * 2)()
    _core.call(fn, owner.ptr, os.fsencode(os.fspath(path)), *flags, out)
    return float(out[0]), float(out[1])


def save_png(image, path):
    """Writes ``image`` (an Image or array: 2-D, or ``(H, W, 1)``) to ``path`` as a 16-bit grayscale PNG,
    its range mapped onto 0 … 65535. Returns the (minimum, maximum) that were mapped."""
    return _save(lib.deeptrack_image_save_png, _frame(image), path)


def save_tiff(image, path, scale=None):
    """Writes ``image`` to ``path`` as a 16-bit grayscale TIFF: a 2-D image (or ``(H, W, 1)``) is one page;
    a list of frames, or an ``(H, W, N)`` array, is ``N`` pages. ``scale``: see the module's
    documentation (``None``: camera frames as they are, anything else scaled). Returns the (minimum,
    maximum) of the finite values."""
    if isinstance(image, (list, tuple)):
        frames = [_frame(f) for f in image]
        if not frames or any(f.ndim != 2 for f in frames):
            raise ValueError("save_tiff: a list of frames needs 2-D frames (H, W) or (H, W, 1), at least one")
        arr = np.stack(frames, axis=-1)
    else:
        arr = _frame(image)
    if scale is None:
        finite = arr[np.isfinite(arr)]
        whole = finite.size == 0 or (
            np.all(finite == np.round(finite)) and finite.min() >= 0 and finite.max() <= 65535
        )
        scale = not whole
    return _save(lib.deeptrack_image_save_tiff, arr, path, bool(scale))


def _positions(image, positions):
    """The (row, column) markers to draw: ``True`` reads the image's ``position`` properties."""
    if positions is None or positions is False:
        return np.empty((0, 2))
    if positions is True:
        found = image.get_property("position", get_one=False) if hasattr(image, "get_property") else None
        positions = found or []
    pts = np.asarray(positions, dtype=np.float64).reshape(-1, np.shape(positions)[-1] if np.ndim(positions) else 2)
    return pts[:, :2] if pts.size else np.empty((0, 2))


def plot_image(image, ax=None, positions=None, marker_style=None, **kwargs):
    """Shows ``image`` with ``imshow`` (a trailing channel of 1 dropped; ``cmap`` gray unless given) on
    ``ax`` (the current axes by default) and returns the axes. ``positions``: ``True`` marks the
    image's ``position`` properties (ground truth, (row, column) as DeepTrack2's positions), or an
    array of (row, column) pairs; ``marker_style`` updates the markers' ``scatter`` arguments."""
    plt = _pyplot()
    ax = ax if ax is not None else plt.gca()
    kwargs.setdefault("cmap", "gray")
    ax.imshow(_frame(image), **kwargs)
    pts = _positions(image, positions)
    if len(pts):
        style = {"s": 60, "facecolors": "none", "edgecolors": "tab:red", "linewidths": 1.2}
        style.update(marker_style or {})
        ax.scatter(pts[:, 1], pts[:, 0], **style)
    return ax


def plot_feature(feature, input_image=None, resolve_kwargs=None, interval=None, **kwargs):
    """DeepTrack2's ``Feature.plot``: resolves ``feature`` on ``input_image`` and shows the result with
    ``imshow`` (returning the axes), or a list of results as an animation of ``interval`` ms per frame
    (default: the first image's ``interval`` property, else 1/30 s), shown inline in a notebook and with
    ``plt.show()`` otherwise (returning the animation). ``kwargs`` go to ``imshow``."""
    plt = _pyplot()
    output = feature.resolve(input_image, **(resolve_kwargs or {}))
    if not isinstance(output, list):
        return plot_image(output, **kwargs)
    from matplotlib import animation

    fig = plt.figure()
    plt.axis("off")
    kwargs.setdefault("cmap", "gray")
    frames = [[plt.imshow(_frame(image), **kwargs)] for image in output]
    if not interval:
        first = output[0] if output else None
        interval = (first.get_property("interval") if hasattr(first, "get_property") else None) or 1000 / 30
    anim = animation.ArtistAnimation(fig, frames, interval=interval, blit=True, repeat_delay=0)
    try:
        get_ipython  # noqa: B018, F821 (defined in notebooks only)
    except NameError:
        plt.show()
        return anim
    from IPython.display import HTML, display

    display(HTML(anim.to_jshtml()))
    return anim


__all__ = ["save_png", "save_tiff", "plot_image", "plot_feature"]
