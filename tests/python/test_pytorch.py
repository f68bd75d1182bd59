"""deeptrack_native.pytorch.Dataset: DeepTrack2's deeptrack.pytorch.Dataset (inputs, length, replace,
float_dtype) whose item i is the batch stream's item i: with two DataLoader workers every item of an
epoch is distinct, and the same across runs with the same seed. Skipped (with a message) when torch is
not installed: torch is a multi-gigabyte install that the test environment does not make."""

import importlib.util
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import data

HAVE_TORCH = importlib.util.find_spec("torch") is not None
if HAVE_TORCH:
    import torch

    from deeptrack_native.pytorch import Dataset, ToTensor


def pipelines(size=32, n=2):
    particle = dt.PointParticle(position=lambda: 4 + np.random.rand(2) * (size - 8), intensity=100)
    particles = particle ^ n
    optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, output_region=(0, 0, size, size))
    masks = particles >> dt.SampleToMasks(
        lambda: lambda image: np.ones((3, 3, 1)), output_region=optics.output_region, merge_method="or"
    )
    return optics(particles) >> dt.Gaussian(sigma=0.01), masks


@unittest.skipUnless(HAVE_TORCH, "torch is not installed: the deeptrack_native.pytorch tests are skipped")
class TorchDataset(unittest.TestCase):
    def epoch(self, ds, workers, batch_size=4):
        loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, num_workers=workers)
        return [batch for batch in loader]

    def test_two_workers_give_distinct_items_the_same_across_runs(self):
        image, _ = pipelines()
        runs = [self.epoch(Dataset(image, length=16, seed=21), workers=2) for _ in range(2)]
        items = torch.cat([b[0] for b in runs[0]])
        self.assertEqual(items.shape, (16, 1, 32, 32))
        self.assertEqual(len({x.numpy().tobytes() for x in items}), 16, "every item of the epoch is distinct")
        for a, b in zip(runs[0], runs[1]):
            self.assertTrue(torch.equal(a[0], b[0]), "the same items with the same seed")
        # The same items as one process, and as the torch-free dataset.
        alone = torch.cat([b[0] for b in self.epoch(Dataset(image, length=16, seed=21), workers=0)])
        self.assertTrue(torch.equal(items, alone))
        plain = data.Dataset(image, length=16, seed=21)
        np.testing.assert_array_equal(items[5, 0].numpy(), plain[5][0][..., 0].astype(np.float32))
        # A new epoch: other items, the same in every run.
        epochs = []
        for _ in range(2):
            ds = Dataset(image, length=16, seed=21)
            ds.set_epoch(1)
            epochs.append(torch.cat([b[0] for b in self.epoch(ds, workers=2)]))
        self.assertTrue(torch.equal(epochs[0], epochs[1]))
        self.assertFalse(torch.equal(epochs[0][0], items[0]))
        self.assertEqual(len({x.numpy().tobytes() for x in torch.cat([items, epochs[0]])}), 32)

    def test_items_are_deeptrack2s_tensors(self):
        image, masks = pipelines()
        ds = Dataset(image & masks, length=3, seed=4)
        x, y = ds[0]
        self.assertEqual(x.dtype, torch.get_default_dtype())
        self.assertEqual(tuple(x.shape), (1, 32, 32))  # channel first, as DeepTrack2
        self.assertEqual(tuple(y.shape), (1, 32, 32))
        self.assertGreater(float(x[y > 0].mean()), 10 * float(x[y == 0].mean()))
        self.assertIs(ds[0], ds[0], "replace=False: computed once and kept")
        ds64 = Dataset(image, length=2, seed=4, float_dtype=torch.float64)
        self.assertEqual(ds64[1][0].dtype, torch.float64)
        np.testing.assert_array_equal(ds64[1][0][0].numpy(), np.asarray(image.resolve_batch(2, seed=4)[1])[..., 0])
        # A function of the properties as the target: the positions.
        px, positions = Dataset(image, length=2, seed=4, target=data.positions)[1]
        self.assertEqual(tuple(positions.shape), (2, 2))
        self.assertTrue(torch.equal(px, ds64[1][0].to(px.dtype)))
        # Positional arguments as DeepTrack2's: (pipeline, inputs, length, replace, float_dtype).
        inputs = [np.zeros((4, 4)), np.ones((4, 4))]
        by_input = Dataset(dt.Add(value=2), inputs, None, False, None)
        self.assertEqual(len(by_input), 2)
        self.assertEqual(by_input[1][0].dtype, torch.float64)
        self.assertTrue(torch.equal(by_input[1][0], torch.full((4, 4), 3.0, dtype=torch.float64)))
        with self.assertRaisesRegex(ValueError, "Either inputs or length must be specified"):
            Dataset(image)

    def test_replace_redraws_reproducibly(self):
        image, _ = pipelines()
        ds = Dataset(image, length=2, seed=9, replace=True)
        first, second = ds[0][0], ds[0][0]
        self.assertFalse(torch.equal(first, second), "replace=True: every read draws anew")
        again = Dataset(image, length=2, seed=9, replace=True)
        self.assertTrue(torch.equal(again[0][0], first))
        self.assertTrue(torch.equal(again[0][0], second))
        never = Dataset(image, length=2, seed=9, replace=lambda index: index == 1)
        self.assertIs(never[0], never[0])
        self.assertIsNot(never[1], never[1])
        with self.assertRaisesRegex(TypeError, "replace must be a boolean"):
            bad = Dataset(image, length=1, seed=9, replace="often")
            bad[0], bad[0]


@unittest.skipUnless(HAVE_TORCH, "torch is not installed: the deeptrack_native.pytorch tests are skipped")
class TorchToTensor(unittest.TestCase):
    def test_results_leave_the_library_as_tensors(self):
        image, _ = pipelines()
        pipe = image >> ToTensor(dtype=torch.float32, permute_mode="numpy")
        out = pipe.resolve_batch(2, seed=3)
        reference = image.resolve_batch(2, seed=3)
        self.assertIsInstance(out[0], torch.Tensor)
        self.assertEqual(tuple(out[0].shape), (1, 32, 32))
        self.assertEqual(out[0].dtype, torch.float32)
        self.assertTrue(torch.equal(out[1][0], torch.from_numpy(np.asarray(reference[1])[..., 0].astype(np.float32))))
        self.assertIsInstance(pipe(), torch.Tensor)
        # The chain inside the library holds no Python callable of ToTensor's: batches use threads.
        self.assertFalse(dt._batch.holds_python(dt.PointParticle(position=(5, 5)) >> ToTensor()))
        # On its own it converts its input; numbers stay numbers unless add_dim_to_number.
        t = ToTensor().resolve(np.arange(6.0).reshape(2, 3))
        self.assertEqual((t.dtype, tuple(t.shape)), (torch.float64, (2, 3)))
        self.assertEqual(ToTensor(permute_mode="always").resolve(np.zeros((2, 3, 4))).shape, (4, 2, 3))
        self.assertEqual(ToTensor().convert(3.0), 3.0)
        self.assertTrue(torch.equal(ToTensor(add_dim_to_number=True).convert(3.0), torch.tensor([3.0])))
        self.assertEqual(ToTensor(permute_mode="numpy_and_not_int", dtype=torch.int64).convert(np.zeros((2, 3, 4))).shape, (2, 3, 4))
        with self.assertRaisesRegex(ValueError, "permute_mode must be one of"):
            ToTensor(permute_mode="sometimes")
        # Datasets of such a pipeline give its tensors.
        (x,) = data.Dataset(pipe, length=2, seed=3)[1]
        self.assertTrue(torch.equal(x, out[1]))
        (y,) = Dataset(pipe, length=2, seed=3)[1]
        self.assertTrue(torch.equal(y, out[1]))


if __name__ == "__main__":
    unittest.main()
