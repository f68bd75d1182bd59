"""A training batch as a network sees it: four sCMOS camera frames of 5 to 20 point particles each, with
the ground truth (every particle's position, from the frames' properties) drawn as rings. Written as
one 16-bit grayscale PNG (the README's picture docs/images/training_batch.png; `make pictures`).

    PYTHONPATH=python python3 examples-python/training_batch.py [out.png]
"""

import sys

import numpy as np

import deeptrack_native as dt

SIZE, ZOOM, GAP, RING = 64, 2, 4, 5.0


def pipeline():
    """Fluorescence of 5 to 20 particles recorded by an sCMOS camera, seeded, with properties kept."""
    particle = dt.PointParticle(
        position=lambda: dt.random.uniform(6, SIZE - 6, 2),
        intensity=lambda: dt.random.uniform(60, 140),
    )
    count = dt.DummyFeature(n=lambda: dt.random.randint(5, 21))
    optics = dt.Fluorescence(
        NA=0.8, wavelength=680e-9, resolution=1e-6, magnification=10, output_region=(0, 0, SIZE, SIZE)
    )
    camera = dt.Camera(
        camera_type="sCMOS", photons_per_unit=20000, exposure_time=0.05, quantum_efficiency=0.8,
        read_noise=1.5, adc_gain=0.5, bit_depth=16,
    )
    p = optics(particle ^ count.n) >> camera
    p.store_properties()
    p.seed(3)
    return p


def frame_with_truth(image):
    """One frame scaled to 0 … 1, enlarged ZOOM times, with a ring of radius RING around each position."""
    frame = np.asarray(image)[..., 0]
    frame = (frame - frame.min()) / max(np.ptp(frame), 1e-12)
    big = np.kron(frame, np.ones((ZOOM, ZOOM)))
    rows, cols = np.mgrid[0 : big.shape[0], 0 : big.shape[1]] / ZOOM
    for row, col in image.get_property("position", get_one=False):
        # Pixel centres sit at half-integers of the enlarged grid.
        d = np.hypot(rows + 0.5 / ZOOM - row - 0.5, cols + 0.5 / ZOOM - col - 0.5)
        big[np.abs(d - RING) < 0.5 / ZOOM * 1.5] = 1.0
    return big


def render(path):
    """Renders the batch to ``path``; returns the number of particles in each frame."""
    p = pipeline()
    frames, counts = [], []
    for _ in range(4):
        image = p.update().resolve()
        frames.append(frame_with_truth(image))
        counts.append(len(image.get_property("position", get_one=False)))
    tile = SIZE * ZOOM
    sheet = np.zeros((2 * tile + GAP, 2 * tile + GAP))
    for k, f in enumerate(frames):
        r, c = divmod(k, 2)
        sheet[r * (tile + GAP) : r * (tile + GAP) + tile, c * (tile + GAP) : c * (tile + GAP) + tile] = f
    dt.save_png(sheet, path)
    return counts


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "training_batch.png"
    print(f"particles per frame: {render(out)}, written to {out}")
