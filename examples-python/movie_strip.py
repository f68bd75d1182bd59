"""A time-lapse as a tracker sees it: six frames of a movie of diffusing particles, side by side, each
with the tracks so far drawn from the frames' ground truth (every particle's `position` at every
step). Written as one 16-bit grayscale PNG (the README's picture docs/images/movie_strip.png;
`make pictures`).

The particles diffuse by the library's built-in Brownian rule (`sequences.brownian`, no Python
callable): D = 0.1 µm²/s, 50 ms per frame and 100 nm pixels give a step of standard deviation 1 pixel
per axis and frame; the strip shows every fourth frame of 21.

    PYTHONPATH=python python3 examples-python/movie_strip.py [out.png]
"""

import sys

import numpy as np

import deeptrack_native as dt
from deeptrack_native import sequences

SIZE, ZOOM, GAP, PARTICLES, FRAMES, EVERY, MARGIN = 64, 2, 4, 4, 21, 4, 12


def movie():
    """The seeded movie, with properties kept (the ground truth)."""
    particle = dt.PointParticle(position=lambda: dt.random.uniform(MARGIN, SIZE - MARGIN, 2), intensity=100)
    sequences.Sequential(particle, position=sequences.brownian(diffusion=0.1e-12, dt=0.05, pixel_size=100e-9))
    optics = dt.Fluorescence(
        NA=0.8, wavelength=680e-9, resolution=1e-6, magnification=10, output_region=(0, 0, SIZE, SIZE)
    )
    m = dt.Sequence(optics(particle ^ PARTICLES), sequence_length=FRAMES)
    m.store_properties()
    m.seed(29)  # a seed whose particles stay apart
    return m


def enlarged(frame):
    """A frame scaled to 0 … 1 and enlarged ZOOM times."""
    frame = np.asarray(frame)[..., 0]
    frame = (frame - frame.min()) / max(np.ptp(frame), 1e-12)
    return np.kron(frame, np.ones((ZOOM, ZOOM)))


def draw_track(big, track):
    """Draws the polyline through ``track`` [(row, column)] into ``big`` (pixel centres of the frame
    sit at (p + 0.5) * ZOOM - 0.5 of the enlarged grid)."""
    points = (np.asarray(track, dtype=float) + 0.5) * ZOOM - 0.5
    for a, b in zip(points[:-1], points[1:]):
        n = int(np.ceil(np.abs(b - a).max() * 2)) + 1
        for r, c in np.linspace(a, b, n):
            r, c = int(round(r)), int(round(c))
            if 0 <= r < big.shape[0] and 0 <= c < big.shape[1]:
                big[r, c] = 1.0


def render(path):
    """Renders the strip to ``path``; returns the tracks, an array (frames, particles, 2)."""
    frames = movie()()
    tracks = np.array([f.get_property("position", get_one=False) for f in frames], dtype=float)
    shown = list(range(0, FRAMES, EVERY))
    tile = SIZE * ZOOM
    strip = np.full((tile, len(shown) * (tile + GAP) - GAP), 0.5)  # gray gaps between the frames
    for k, t in enumerate(shown):
        big = enlarged(frames[t])
        for p in range(PARTICLES):
            draw_track(big, tracks[: t + 1, p])
        strip[:, k * (tile + GAP) : k * (tile + GAP) + tile] = big
    dt.save_png(strip, path)
    return tracks


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "movie_strip.png"
    tracks = render(out)
    print(f"{tracks.shape[1]} particles over {tracks.shape[0]} frames; last positions {tracks[-1].round(2).tolist()}; written to {out}")
