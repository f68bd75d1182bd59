"""Sharding a dataset across a Dask cluster (a LocalCluster of 2 worker processes) by index ranges:
the shards, concatenated, equal the single-process batch with the same seed
(python/examples/dask_shards.py), for images and for movies (sequences). Skipped, saying so, where
dask.distributed is not installed."""

import os
import sys
import unittest

import numpy as np

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python", "examples")

try:
    import dask.distributed  # noqa: F401
except ImportError:  # pragma: no cover - make python-test installs it
    HAVE_DASK = False
else:
    HAVE_DASK = True


@unittest.skipUnless(HAVE_DASK, 'dask.distributed is not installed (pip install "dask[distributed]")')
class DaskShards(unittest.TestCase):
    def setUp(self):
        # The worker processes import the example module by name: python/examples on their
        # PYTHONPATH and on this process's path, for this test only (the modules run after this one
        # get the environment and the path they had).
        saved_path, saved_env = list(sys.path), os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.abspath(EXAMPLES), saved_env) if p)
        sys.path.insert(0, os.path.abspath(EXAMPLES))

        def restore():
            sys.path[:] = saved_path
            if saved_env is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = saved_env

        self.addCleanup(restore)

    def test_shards_concatenated_equal_one_process(self):
        from dask.distributed import Client, LocalCluster

        import dask_shards

        total, seed = 24, 2026
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            with Client(cluster) as client:
                images, positions = dask_shards.render_distributed(client, total=total, shard_size=5, seed=seed)
                workers = {w for w in client.run(os.getpid).values()}
        self.assertEqual(len(workers), 2)
        alone, alone_positions = dask_shards.render_shard(0, total, seed)
        self.assertEqual(images.shape, (total, 64, 64, 1))
        np.testing.assert_array_equal(images, alone)
        np.testing.assert_array_equal(positions, alone_positions)
        self.assertEqual(len({p.tobytes() for p in positions}), total)  # every item is its own sample

    def test_movie_shards_concatenated_equal_one_process(self):
        from dask.distributed import Client, LocalCluster

        import dask_shards

        total, seed = 6, 2027
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            with Client(cluster) as client:
                movies, tracks = dask_shards.render_distributed(
                    client, total=total, shard_size=2, seed=seed, shard=dask_shards.render_movie_shard
                )
        alone, alone_tracks = dask_shards.render_movie_shard(0, total, seed)
        self.assertEqual(movies.shape, (total, 10, 64, 64, 1))
        self.assertEqual(tracks.shape, (total, 10, 5, 2))
        np.testing.assert_array_equal(movies, alone)
        np.testing.assert_array_equal(tracks, alone_tracks)
        # Every movie its own trajectories, which move from frame to frame.
        self.assertEqual(len({t.tobytes() for t in tracks}), total)
        self.assertTrue(np.all(np.diff(tracks, axis=1) != 0))


if __name__ == "__main__":
    unittest.main()
