"""Differences found by the differential sweep of the scene and structural kinds against DeepTrack2
2.0.1 (session 33), fixed here: the values below are what 2.0.1 gives for the same pipelines."""

import os
import tempfile
import unittest

import numpy as np

import deeptrack_native as dt


class TestRecordedPositions(unittest.TestCase):
    """2.0.1's scatterers record `position` through their conversion table, which makes a list or
    tuple an ndarray (`np.array` of it); the feature's own property stays as given."""

    def test_a_tuple_of_integers_is_recorded_as_an_int64_array(self):
        particle = dt.PointParticle(position=(3, 4))
        particle.store_properties()
        position = particle.resolve().get_property("position")
        self.assertIsInstance(position, np.ndarray)
        self.assertEqual(position.dtype, np.int64)
        np.testing.assert_array_equal(position, [3, 4])
        # Computes as an array, as users of 2.0.1's ground truth write it (a tuple would repeat).
        np.testing.assert_array_equal(position * 2, [6, 8])
        self.assertEqual(particle.position(), (3, 4))

    def test_every_scatterer_records_its_position_as_numpy_makes_it(self):
        optics = dt.Fluorescence(output_region=(0, 0, 16, 16))
        sample = (
            dt.PointParticle(position=(3, 4))
            >> dt.PointParticle(position=[3.5, 4])
            >> dt.Sphere(position=(5, 6, 1), radius=1e-6)
            >> dt.Ellipse(position=np.array([7, 8]), radius=1e-6)
            >> dt.PointParticle(position=lambda: (1, 2))
        )
        image = optics(sample)
        image.store_properties()
        positions = image.resolve().get_property("position", get_one=False)
        # 2.0.1: int64 [3, 4], float64 [3.5, 4.], int64 [5, 6, 1], int64 [7, 8], int64 [1, 2].
        expected = [([3, 4], np.int64), ([3.5, 4.0], np.float64), ([5, 6, 1], np.int64), ([7, 8], np.int64), ([1, 2], np.int64)]
        self.assertEqual(len(positions), len(expected))
        for position, (values, dtype) in zip(positions, expected):
            self.assertIsInstance(position, np.ndarray)
            self.assertEqual(position.dtype, dtype)
            np.testing.assert_array_equal(position, values)

    def test_masks_and_repeats_keep_the_arrays(self):
        particle = dt.PointParticle(position=(3, 4), intensity=2)
        masks = (particle ^ 3) >> dt.SampleToMasks(
            lambda: lambda image: image > 0, output_region=(0, 0, 8, 8), merge_method="add"
        )
        masks.store_properties()
        mask = masks.resolve()
        # 2.0.1: three dicts of int64 [3, 4], and the three masks added at (3, 4).
        positions = mask.get_property("position", get_one=False)
        self.assertEqual([p.tolist() for p in positions], [[3, 4]] * 3)
        self.assertTrue(all(p.dtype == np.int64 for p in positions))
        self.assertEqual(np.asarray(mask)[3, 4, 0], 3.0)
        self.assertEqual(np.asarray(mask).sum(), 3.0)


class TestLoadImageStacks(unittest.TestCase):
    """2.0.1's `LoadImage` of several paths is `np.stack` of the files: their types promoted."""

    def test_files_of_different_types_stack_in_numpys_type(self):
        from PIL import Image as PILImage

        with tempfile.TemporaryDirectory() as tmp:
            g8, g16 = os.path.join(tmp, "g8.png"), os.path.join(tmp, "g16.png")
            PILImage.fromarray(np.array([[7, 250]], dtype=np.uint8)).save(g8)
            PILImage.fromarray(np.array([[256, 65535]], dtype=np.uint16)).save(g16)
            f32 = os.path.join(tmp, "f.tif")
            PILImage.fromarray(np.array([[0.5, 2.0]], dtype=np.float32)).save(f32)
            # 2.0.1: uint16 [[[7, 256], [250, 65535]]]; float32 with the float TIFF.
            stacked = np.asarray(dt.LoadImage(path=[g8, g16]).resolve())
            self.assertEqual(stacked.dtype, np.uint16)
            np.testing.assert_array_equal(stacked, [[[7, 256], [250, 65535]]])
            mixed = np.asarray(dt.LoadImage(path=[g8, f32]).resolve())
            self.assertEqual(mixed.dtype, np.float32)
            np.testing.assert_array_equal(mixed, [[[7, 0.5], [250, 2.0]]])


if __name__ == "__main__":
    unittest.main()
