"""Shard a simulated dataset across a Dask cluster by index ranges.

Item ``i`` of ``Feature.resolve_batch`` depends only on (pipeline, seed, i), so each worker can build
the pipeline itself and render its own range of indices: the shards, concatenated, are exactly the
dataset one process would render with the same seed.

    python python/examples/dask_shards.py          # a LocalCluster of 2 workers, 64 images
    python python/examples/dask_shards.py movies   # the same for 16 movies of 10 frames

Sequences shard the same way: item ``i`` of a ``Sequence``'s ``resolve_batch`` is a whole movie (its
frames, each with its particles' true positions), so ``render_movie_shard`` gives a range of movies
and their tracks, and ``render_distributed(..., shard=render_movie_shard)`` the whole set.

Needs ``pip install "dask[distributed]"`` besides the package.
"""

import sys

import numpy as np

import deeptrack_native as dt
from deeptrack_native import sequences

SIZE = 64


def pipeline():
    """Five point particles at random positions, imaged by fluorescence, with noise."""
    particle = dt.PointParticle(
        position=lambda: dt.random.uniform(4, SIZE - 4, size=2),
        intensity=lambda: dt.random.uniform(50, 150),
    )
    optics = dt.Fluorescence(
        NA=0.8, wavelength=680e-9, magnification=10, resolution=1e-6, output_region=(0, 0, SIZE, SIZE)
    )
    pipe = optics(particle ^ 5) >> dt.Gaussian(sigma=0.001) >> dt.NormalizeMinMax()
    pipe.store_properties()
    return pipe


def render_shard(first, count, seed):
    """Items ``first .. first + count`` of the dataset ``seed``: images and particle positions."""
    items = pipeline().resolve_batch(count, seed=seed, first=first, threads=1)
    images = np.stack([np.asarray(item) for item in items])
    positions = np.stack([np.array(item.get_property("position", get_one=False)) for item in items])
    return images, positions


def movie_pipeline(frames=10):
    """Movies of five particles diffusing (the built-in Brownian rule, 1 pixel per axis and frame),
    imaged by fluorescence, with noise on every frame."""
    particle = dt.PointParticle(position=lambda: dt.random.uniform(8, SIZE - 8, size=2), intensity=100)
    sequences.Sequential(particle, position=sequences.brownian(diffusion=0.5))
    optics = dt.Fluorescence(
        NA=0.8, wavelength=680e-9, magnification=10, resolution=1e-6, output_region=(0, 0, SIZE, SIZE)
    )
    movie = sequences.Sequence(optics(particle ^ 5) >> dt.Poisson(snr=20), sequence_length=frames)
    movie.store_properties()
    return movie


def render_movie_shard(first, count, seed):
    """Movies ``first .. first + count`` of the set ``seed``: an array (count, frames, H, W, 1) and
    the tracks (count, frames, particles, 2)."""
    movies = movie_pipeline().resolve_batch(count, seed=seed, first=first, threads=1)
    frames = np.stack([np.stack([np.asarray(f) for f in movie]) for movie in movies])
    tracks = np.stack([[f.get_property("position", get_one=False) for f in movie] for movie in movies])
    return frames, tracks


def render_distributed(client, total, shard_size, seed, shard=render_shard):
    """The dataset of ``total`` items rendered in shards of ``shard_size`` on the cluster's workers
    (``shard``: ``render_shard`` for images, ``render_movie_shard`` for movies)."""
    starts = list(range(0, total, shard_size))
    futures = client.map(shard, starts, [min(shard_size, total - s) for s in starts], [seed] * len(starts))
    shards = client.gather(futures)
    return np.concatenate([s[0] for s in shards]), np.concatenate([s[1] for s in shards])


if __name__ == "__main__":
    from dask.distributed import Client, LocalCluster

    movies = sys.argv[1:] == ["movies"]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:
        if movies:
            images, positions = render_distributed(client, total=16, shard_size=4, seed=2026, shard=render_movie_shard)
        else:
            images, positions = render_distributed(client, total=64, shard_size=16, seed=2026)
    what = "movies" if movies else "images"
    print(f"{len(images)} {what} of shape {images.shape[1:]}, ground truth {positions.shape}")
