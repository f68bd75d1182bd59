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
