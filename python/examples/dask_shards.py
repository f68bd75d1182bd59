"""Shard a simulated dataset across a Dask cluster by index ranges.

Item ``i`` of ``Feature.resolve_batch`` depends only on (pipeline, seed, i), so each worker can build
the pipeline itself and render its own range of indices: the shards, concatenated, are exactly the
dataset one process would render with the same seed.

    python python/examples/dask_shards.py          # a LocalCluster of 2 workers, 64 images

Needs ``pip install "dask[distributed]"`` besides the package.
"""

import numpy as np

import deeptrack_native as dt

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


def render_distributed(client, total, shard_size, seed):
    """The dataset of ``total`` items rendered in shards of ``shard_size`` on the cluster's workers."""
    starts = list(range(0, total, shard_size))
    futures = client.map(render_shard, starts, [min(shard_size, total - s) for s in starts], [seed] * len(starts))
    shards = client.gather(futures)
    return np.concatenate([s[0] for s in shards]), np.concatenate([s[1] for s in shards])


if __name__ == "__main__":
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:
        images, positions = render_distributed(client, total=64, shard_size=16, seed=2026)
    print(f"{len(images)} images of shape {images.shape[1:]}, ground truth {positions.shape}")
