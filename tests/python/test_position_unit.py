"""``position_unit="meter"`` (DeepTrack2 2.0.1 stores the unit and ignores it; the README's deliberate
differences): a scatterer's position in meters is converted to camera pixels with the optics' pixel
size (``resolution / magnification``), as DeepTrack2's scatterers did before 2.0.1, and recorded in
pixels."""

import unittest

import numpy as np

import deeptrack_native as dt


class PositionUnit(unittest.TestCase):
    def test_a_position_in_meters_images_as_the_same_position_in_pixels(self):
        pixel = 1e-6 / 8  # resolution / magnification
        for optics, make in [
            (dt.Fluorescence(NA=0.7, magnification=8, output_region=(0, 0, 32, 32)),
             lambda **kw: dt.Sphere(radius=0.6e-6, intensity=50, z=1.5, **kw)),
            (dt.Brightfield(NA=0.7, magnification=8, output_region=(0, 0, 32, 32)),
             lambda **kw: dt.Ellipse(radius=(0.8e-6, 0.4e-6), rotation=0.3, refractive_index=1.45 + 0.02j, **kw)),
            (dt.Brightfield(NA=0.7, magnification=8, output_region=(0, 0, 32, 32), upscale=2),
             lambda **kw: dt.MieSphere(radius=0.4e-6, **kw)),
        ]:
            in_pixels = np.asarray(optics(make(position=(15.3, 16.7)))())
            pipeline = optics(make(position=np.array([15.3, 16.7]) * pixel, position_unit="meter"))
            pipeline.store_properties()
            image = pipeline()
            np.testing.assert_allclose(np.asarray(image), in_pixels, rtol=0, atol=1e-9 * np.abs(in_pixels).max())
            np.testing.assert_allclose(image.get_property("position"), [15.3, 16.7], rtol=1e-12)
            self.assertEqual(image.get_property("position_unit"), "pixel")

    def test_the_feature_keeps_the_position_it_was_given(self):
        # As DeepTrack2 processes the properties it computes with, not the feature's own.
        sphere = dt.Sphere(position=(2e-6, 3e-6), position_unit="meter")
        self.assertEqual(sphere.position_unit(), "meter")
        np.testing.assert_allclose(sphere.position(), (2e-6, 3e-6))
        # Outside a microscope, DeepTrack2's default pixel of 1 um.
        sphere.store_properties()
        np.testing.assert_allclose(sphere().get_property("position"), [2.0, 3.0], rtol=1e-12)

    def test_a_third_coordinate_in_meters_is_a_depth_in_pixels(self):
        optics = dt.Fluorescence(NA=0.7, magnification=10, output_region=(0, 0, 24, 24))
        in_pixels = np.asarray(optics(dt.Sphere(radius=0.5e-6, intensity=10, position=(12, 11, 3)))())
        in_meters = np.asarray(optics(dt.Sphere(radius=0.5e-6, intensity=10, position=(12e-7, 11e-7, 3e-7),
                                                position_unit="meter"))())
        np.testing.assert_allclose(in_meters, in_pixels, rtol=0, atol=1e-9 * in_pixels.max())

    def test_other_units_are_refused(self):
        with self.assertRaisesRegex(dt.InvalidArgumentError, "expected 'pixel' or 'meter', got 'inch'"):
            dt.Sphere(position_unit="inch")


if __name__ == "__main__":
    unittest.main()
