"""SampleToMasks from Python: DeepTrack2's example (a Lambda transformation, masks on the pixels where
the optics put the particles), merge methods, and its errors."""

import unittest

import numpy as np

import deeptrack_native as dt


class TestSampleToMasks(unittest.TestCase):
    def test_masks_land_where_the_optics_put_the_particles(self):
        microscope = dt.Fluorescence(output_region=(0, 0, 64, 64))
        particle = dt.PointParticle(position=lambda: dt.random.uniform(5, 55, size=2))
        particles = particle ^ 12
        image_pipeline = microscope(particles)
        mask_pipeline = particles >> dt.SampleToMasks(
            lambda: lambda particles: particles > 0, output_region=microscope.output_region, merge_method="or"
        )
        image_pipeline.store_properties()
        mask_pipeline.store_properties()
        image_pipeline.seed(3)
        image = image_pipeline.update().resolve()
        mask = np.asarray(mask_pipeline.resolve())
        self.assertEqual(mask.shape, (64, 64, 1))
        self.assertTrue(np.all((mask == 0) | (mask == 1)))
        positions = np.array(image.get_property("position", get_one=False))
        self.assertEqual(len(positions), 12)
        expected = np.zeros((64, 64))
        for row, col in np.round(positions).astype(int):
            expected[row, col] = 1
        np.testing.assert_array_equal(mask[..., 0], expected)

    def test_merge_methods_and_transformations(self):
        a = dt.PointParticle(position=(3, 4))
        b = dt.PointParticle(position=(3, 4))
        add = (a >> b) >> dt.SampleToMasks(lambda: lambda v: v * 2, output_region=(0, 0, 6, 6))
        add.store_properties()
        out = np.asarray(add.resolve())
        self.assertEqual(out[3, 4, 0], 4.0)
        self.assertEqual(out.sum(), 4.0)
        overwrite = (a >> b) >> dt.SampleToMasks(dt.Multiply(value=5), 1, (1, 1, 6, 6), "overwrite")
        overwrite.store_properties()
        out = np.asarray(overwrite.resolve())
        self.assertEqual((out.shape, out[2, 3, 0], out.sum()), ((5, 5, 1), 5.0, 5.0))

    def test_point_particles_without_store_properties(self):
        """Issue 17: `SampleToMasks(lambda: lambda image: image > 0)` on point particles. DeepTrack2
        2.0.1 marks pixel (10, 20) for one PointParticle at (10, 20) without store_properties; here
        too, and for several particles (where DeepTrack2 fails with a TypeError)."""
        def masks():
            return dt.SampleToMasks(lambda: lambda image: image > 0, output_region=(0, 0, 32, 32), merge_method="or")

        one = dt.PointParticle(position=(10, 20), intensity=1) >> masks()
        mask = np.asarray(one.update().resolve())
        self.assertEqual(mask.shape, (32, 32, 1))
        self.assertEqual(np.argwhere(mask[..., 0]).tolist(), [[10, 20]])
        two = dt.PointParticle(position=(3, 4)) >> dt.PointParticle(position=(12, 25)) >> masks()
        self.assertEqual(np.argwhere(np.asarray(two.update().resolve())[..., 0]).tolist(), [[3, 4], [12, 25]])
        particle = dt.PointParticle(position=lambda: np.random.uniform(2, 30, 2), intensity=1)
        marked = np.asarray(((particle ^ 4) >> masks()).update().resolve())
        self.assertTrue(1 <= marked.sum() <= 4)
        # Storing turned off on purpose: an error saying what is missing, never empty masks.
        one.store_properties(False)
        with self.assertRaisesRegex(dt.InvalidArgumentError, "SampleToMasks.*carries no properties"):
            one.update().resolve()

    def test_errors_name_the_property(self):
        with self.assertRaises(NotImplementedError):
            dt.SampleToMasks(lambda: lambda v: v, output_region=(0, 0, 4, 4), merge_method=lambda x, y: x)
        with self.assertRaisesRegex(ValueError, "property 'merge_method' of feature 'SampleToMasks'"):
            dt.SampleToMasks(lambda: lambda v: v, output_region=(0, 0, 4, 4), merge_method="max")
        masks = dt.PointParticle() >> dt.SampleToMasks(lambda: lambda v: v)
        masks.store_properties()
        with self.assertRaisesRegex(ValueError, "property 'output_region' of feature 'SampleToMasks'"):
            masks.resolve()


if __name__ == "__main__":
    unittest.main()
