"""``Feature.plot``: DeepTrack2's quick look at a feature's output, with matplotlib.

matplotlib is an optional dependency (``pip install deeptrack-native[plot]``): it is imported only
when ``plot`` is called, and its absence is an ``ImportError`` saying what to install. IPython is used
only inside a notebook, to show an animation as HTML."""

import numpy as np

#: DeepTrack2's frame interval of an animation without an ``interval`` property: 30 frames a second.
_DEFAULT_INTERVAL_MS = 1000 / 30


def _pyplot():
    try:
        import matplotlib.pyplot as plt
        from matplotlib import animation
    except ImportError as e:
        raise ImportError(
            "Feature.plot needs matplotlib: pip install matplotlib (or deeptrack-native[plot])"
        ) from e
    return plt, animation


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def plot(feature, input_image=None, resolve_kwargs=None, interval=None, **kwargs):
    """Resolves ``feature`` on ``input_image`` (with ``resolve_kwargs``) and shows the result, as
    DeepTrack2 2.0.1: one image with ``plt.imshow(image, **kwargs)``, returning the axes; a list of
    images (a sequence) as an animation of its frames, ``interval`` milliseconds apart (default: the
    first frame's ``interval`` property, else 1/30 s), shown as HTML in a notebook and with
    ``plt.show()`` elsewhere, returning the animation."""
    plt, animation = _pyplot()
    output = feature.resolve(input_image, **(resolve_kwargs or {}))
    if not isinstance(output, list):
        plt.imshow(np.asarray(output), **kwargs)
        return plt.gca()
    fig = plt.figure()
    plt.axis("off")
    frames = [[plt.imshow(np.asarray(image), **kwargs)] for image in output]
    if not interval:
        interval = None
        if output and hasattr(output[0], "get_property"):
            interval = output[0].get_property("interval", default=None)
        interval = interval or _DEFAULT_INTERVAL_MS
    anim = animation.ArtistAnimation(fig, frames, interval=interval, blit=True, repeat_delay=0)
    if _in_notebook():
        from IPython.display import HTML, display

        display(HTML(anim.to_jshtml()))
    else:
        plt.show()
    return anim
