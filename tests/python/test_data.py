"""deeptrack_native.data.Dataset (no torch): item i is item i of the batch stream, with its ground truth
(``pipeline & target`` or a function of the properties); epochs re-draw from derived seeds; workers in
other processes see distinct, reproducible items."""

import multiprocessing
import os
import unittest
import warnings

import numpy as np

import deeptrack_native as dt
from deeptrack_native import data


def particles_pipeline(size=32, n=3):
    particle = dt.PointParticle(position=lambda: np.random.rand(2) * size, intensity=100)
    optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, output_region=(0, 0, size, size))
    return optics(particle ^ n) >> dt.Gaussian(sigma=0.01)


def native_pipeline(size=32):
    particle = dt.PointParticle(position=(10.0, 12.0), intensity=100)
    return dt.Fluorescence(output_region=(0, 0, size, size))(particle) >> dt.Gaussian(sigma=0.5)


_X, _Y = np.mgrid[:6, :6]
#: A disk of radius 3 pixels, each particle's mark in the mask (DeepTrack2's multi-molecule example).
DISK = np.expand_dims((_X - 2.5) ** 2 + (_Y - 2.5) ** 2 < 9, -1)


def image_and_mask_pipelines(size=32, n=2):
    """``(image pipeline, mask pipeline)`` over the same particles, as DeepTrack2 users write them."""
    particle = dt.PointParticle(position=lambda: 4 + np.random.rand(2) * (size - 8), intensity=100)
    particles = particle ^ n
    optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, output_region=(0, 0, size, size))
    masks = particles >> dt.SampleToMasks(
        lambda: lambda image: DISK, output_region=optics.output_region, merge_method="or"
    )
    return optics(particles), masks


def _worker_items(args):
    """What one data-loader worker renders: the items i with i % workers == rank."""
    seed, epoch, rank, workers = args
    ds = data.Dataset(particles_pipeline(), length=12, seed=seed, epoch=epoch)
    return {i: ds[i][0].tobytes() for i in range(rank, len(ds), workers)}


class DatasetItems(unittest.TestCase):
    def test_item_i_is_the_batch_streams_item_i(self):
        pipeline = particles_pipeline()
        ds = data.Dataset(pipeline, length=6, seed=17)
        self.assertEqual(len(ds), 6)
        batch = pipeline.resolve_batch(6, seed=17)
        for i in range(6):
            (image,) = ds[i]
            self.assertIsInstance(image, np.ndarray)
            np.testing.assert_array_equal(image, np.asarray(batch[i]))
        np.testing.assert_array_equal(ds[-1][0], ds[5][0])
        with self.assertRaisesRegex(IndexError, "dataset index 6 out of range for 6 items"):
            ds[6]
        # items() and batches() render several items at once: the same ones.
        for i, item in enumerate(ds.items(2, 5)):
            np.testing.assert_array_equal(item[0], ds[2 + i][0])
        (stacked,) = next(ds.batches(4))
        self.assertEqual(stacked.shape, (4, 32, 32, 1))
        np.testing.assert_array_equal(stacked[3], ds[3][0])
        self.assertEqual([len(b[0]) for b in ds.batches(4)], [4, 2])
        self.assertEqual([len(b[0]) for b in ds.batches(4, drop_last=True)], [4])

    def test_a_function_of_the_properties_is_the_target(self):
        pipeline = particles_pipeline(n=4)
        ds = data.Dataset(pipeline, length=3, seed=2, target=data.positions)
        image, positions = ds[1]
        reference = pipeline.resolve_batch(2, seed=2)[1]
        np.testing.assert_array_equal(image, np.asarray(reference))
        expected = np.array(reference.get_property("position", get_one=False))
        self.assertEqual(positions.shape, (4, 2))
        np.testing.assert_array_equal(positions, expected)
        self.assertTrue(((positions >= 0) & (positions < 32)).all())
        # Images with different particle counts: the positions are not stacked.
        ragged = dt.PointParticle(position=lambda: np.random.rand(2) * 32, intensity=100)
        pipe = dt.Fluorescence(output_region=(0, 0, 32, 32))(ragged ^ (lambda: np.random.randint(1, 6)))
        images, positions = next(data.Dataset(pipe, length=8, seed=1, target=data.positions).batches(8))
        self.assertEqual(images.shape, (8, 32, 32, 1))
        self.assertIsInstance(positions, list)
        self.assertGreater(len({len(p) for p in positions}), 1)

    def test_pipeline_and_mask_gives_image_and_mask_of_the_same_particles(self):
        pipeline, masks = image_and_mask_pipelines()
        for ds in (
            data.Dataset(pipeline & masks, length=4, seed=8),
            data.Dataset(pipeline, length=4, seed=8, target=masks),
        ):
            for i in range(4):
                image, mask = ds[i]
                self.assertEqual(image.shape, (32, 32, 1))
                self.assertEqual(mask.shape, (32, 32, 1))
                self.assertTrue(0 < mask.sum() <= 2 * DISK.sum())
                # The mask is on where the image is bright: the same particles.
                self.assertGreater(image[mask > 0].mean(), 10 * image[mask == 0].mean())
        a, b = (data.Dataset(pipeline & masks, length=4, seed=8), ds)
        for i in range(4):
            np.testing.assert_array_equal(a[i][1], b[i][1])
        self.assertFalse(np.array_equal(a[0][1], a[1][1]))

    def test_epochs_redraw_every_item_from_a_derived_seed(self):
        pipeline = particles_pipeline()
        ds = data.Dataset(pipeline, length=4, seed=5)
        fixed = [ds[i][0] for i in range(4)]
        ds.set_epoch(1)
        self.assertEqual(ds.stream_seed, data.epoch_seed(5, 1))
        first = [ds[i][0] for i in range(4)]
        for a, b in zip(fixed, first):
            self.assertFalse(np.array_equal(a, b))
        batch = pipeline.resolve_batch(4, seed=data.epoch_seed(5, 1))
        for a, b in zip(first, batch):
            np.testing.assert_array_equal(a, np.asarray(b))
        ds.set_epoch(2)
        second = [ds[i][0] for i in range(4)]
        self.assertFalse(np.array_equal(first[0], second[0]))
        ds.set_epoch(1)
        np.testing.assert_array_equal(ds[0][0], first[0])
        self.assertEqual(len({data.epoch_seed(5, e) for e in range(1000)}), 1000)
        self.assertEqual(data.epoch_seed(5, None), 5)

    def test_without_a_seed_np_random_seed_makes_it_reproducible(self):
        np.random.seed(3)
        a = data.Dataset(particles_pipeline(), length=2)
        np.random.seed(3)
        b = data.Dataset(particles_pipeline(), length=2)
        self.assertEqual(a.seed, b.seed)
        np.testing.assert_array_equal(a[1][0], b[1][0])

    def test_inputs_one_per_item(self):
        pipeline = dt.Add(value=lambda: np.random.rand())
        inputs = [np.full((2, 2), float(k)) for k in range(3)]
        ds = data.Dataset(pipeline, inputs=inputs, seed=4)
        self.assertEqual(len(ds), 3)
        for k in range(3):
            (out,) = ds[k]
            self.assertTrue(((out >= k) & (out < k + 1)).all())
            np.testing.assert_array_equal(out, np.asarray(pipeline.resolve_batch(1, seed=4, first=k, image=inputs[k])[0]))

    def test_arguments_are_checked(self):
        with self.assertRaisesRegex(ValueError, "Either inputs or length must be specified"):
            data.Dataset(native_pipeline())
        with self.assertRaisesRegex(TypeError, "Dataset takes a feature"):
            data.Dataset(np.zeros(3), length=2)
        with self.assertRaisesRegex(ValueError, r"seed must be an integer in \[0, 2\*\*64\)"):
            data.Dataset(native_pipeline(), length=2, seed=-1)
        with self.assertRaisesRegex(TypeError, "target must be a feature or a callable"):
            data.Dataset(native_pipeline(), length=2, target=3)


class BatchesOnProcesses(unittest.TestCase):
    """items() and batches() of a pipeline holding Python callables render on worker processes (the
    path of resolve_batch(processes=N)): the same items, ground truth included, as in one process."""

    def test_processes_give_the_serial_items(self):
        pipeline, masks = image_and_mask_pipelines(n=3)
        serial = data.Dataset(pipeline & masks, length=9, seed=4, target=data.positions, processes=1)
        forked = data.Dataset(pipeline & masks, length=9, seed=4, target=data.positions, processes=3)
        expected = serial.items()
        self.assertEqual(len(expected), 9)
        got = forked.items()
        self.assertEqual(len(got), 9)
        for a, b in zip(expected, got):
            self.assertEqual(len(a), 3)  # image, mask, positions
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)
        # Batches, across their boundaries, are the same items; each item is dataset[i].
        images, mask_batch, positions = next(forked.batches(5))
        self.assertEqual(images.shape, (5, 32, 32, 1))
        for i in range(5):
            np.testing.assert_array_equal(images[i], expected[i][0])
            np.testing.assert_array_equal(mask_batch[i], expected[i][1])
            np.testing.assert_array_equal(positions[i], expected[i][2])
        np.testing.assert_array_equal(forked[7][0], expected[7][0])
        last = list(forked.batches(5))[1]
        np.testing.assert_array_equal(last[0][3], expected[8][0])
        # One image per item (no target) too.
        one = data.Dataset(particles_pipeline(), length=4, seed=3, processes=2)
        for i, (image,) in enumerate(one.items()):
            np.testing.assert_array_equal(image, one[i][0])

    def test_items_render_in_several_processes(self):
        parent = os.getpid()
        rendered_elsewhere = multiprocessing.get_context("fork").Event()

        def pid():
            # This process waits (bounded) for a worker to render an item, so that the workers take
            # items too however late a loaded machine starts them (a fixed sleep could let this
            # process render them all first).
            if os.getpid() != parent:
                rendered_elsewhere.set()
            else:
                rendered_elsewhere.wait(60)
            return os.getpid()

        with warnings.catch_warnings():  # 'pid' is not a PointParticle parameter: kept as a property
            warnings.simplefilter("ignore")
            particle = dt.PointParticle(position=lambda: np.random.rand(2) * 16, intensity=100, pid=pid)
        pipe = dt.Fluorescence(output_region=(0, 0, 16, 16))(particle)
        ds = data.Dataset(pipe, length=24, seed=1, processes=3, target=lambda image: image.get_property("pid"))
        pids = {item[1] for item in ds.items()}
        self.assertGreater(len(pids), 1)
        self.assertEqual({ds[0][1]}, {os.getpid()})  # a single item: this process

    def test_processes_are_checked(self):
        with self.assertRaisesRegex(ValueError, "processes must not be negative, got -1"):
            data.Dataset(particles_pipeline(), length=2, seed=1, processes=-1)


class WorkersInOtherProcesses(unittest.TestCase):
    def test_two_workers_see_distinct_items_the_same_across_runs(self):
        ctx = multiprocessing.get_context("fork")
        for epoch in (None, 3):
            runs = []
            for _ in range(2):
                with ctx.Pool(2) as pool:
                    parts = pool.map(_worker_items, [(11, epoch, rank, 2) for rank in range(2)])
                runs.append({i: b for part in parts for i, b in part.items()})
            self.assertEqual(sorted(runs[0]), list(range(12)))
            self.assertEqual(len(set(runs[0].values())), 12, "every item of the epoch is distinct")
            self.assertEqual(runs[0], runs[1], "the same items in every run with the same seed")
            # and the same as one process rendering them all
            alone = _worker_items((11, epoch, 0, 1))
            self.assertEqual(alone, runs[0])


if __name__ == "__main__":
    unittest.main()
