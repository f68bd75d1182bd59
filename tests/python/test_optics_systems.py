"""Darkfield, ISCAT and Holography from Python: DeepTrack2's signatures and defaults, and their images
against Brightfield's (Darkfield is |field - 1|^2 of Brightfield's field; ISCAT and Holography image
volume scatterers as Brightfield does)."""

import inspect
import math
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import optics


def image(cls, **extra):
    particle = dt.Sphere(position=(14.5, 17), z=2, radius=3e-7, refractive_index=1.45)
    system = cls(NA=0.8, resolution=1e-7, magnification=1, output_region=(0, 0, 32, 32), **extra)
    return np.asarray(system(particle).resolve())


class SystemTests(unittest.TestCase):
    def test_signatures_and_defaults(self):
        self.assertEqual(str(inspect.signature(optics.Darkfield)).split(",")[0], "(illumination_angle=1.5707963267948966")
        self.assertEqual(
            str(inspect.signature(optics.ISCAT)).split(", ")[:2], ["(illumination_angle=3.141592653589793", "amp_factor=1"]
        )
        self.assertEqual(dt.Darkfield().illumination_angle(), math.pi / 2)
        iscat = dt.ISCAT(0.5)
        self.assertEqual(iscat.illumination_angle(), 0.5)
        self.assertEqual(iscat.amp_factor(), 1)
        self.assertEqual(iscat.input_polarization(), "circular")
        self.assertIs(iscat.phase_shift_correction(), True)
        self.assertIs(optics.Holography, dt.Holography)

    def test_microscope_get_images_the_sample(self):
        # DeepTrack2's direct call, Microscope.get(image): the image is ignored, the sample imaged.
        scope = dt.optics.Microscope(sample=dt.PointParticle(intensity=10), objective=dt.Fluorescence())
        out = scope.get(None)
        self.assertIsInstance(out, np.ndarray)
        self.assertEqual(out.shape, (128, 128, 1))
        np.testing.assert_array_equal(np.asarray(out), np.asarray(scope()))
        self.assertGreater(np.asarray(out).max(), 0)

    def test_darkfield_is_the_scattered_intensity(self):
        field = image(dt.Brightfield, return_field=True)
        self.assertTrue(np.iscomplexobj(field))
        dark = image(dt.Darkfield)
        self.assertEqual(dark.shape, (32, 32, 1))
        np.testing.assert_allclose(dark, np.abs(field - 1) ** 2, rtol=0, atol=1e-12)
        self.assertGreater(dark.max(), 1e-3)

    def test_iscat_and_holography_image_volumes_as_brightfield(self):
        bright = image(dt.Brightfield)
        np.testing.assert_array_equal(image(dt.ISCAT), bright)
        np.testing.assert_array_equal(image(dt.Holography), bright)

    def test_a_mie_sphere_records_the_illumination_it_was_imaged_with(self):
        # As DeepTrack2 2.0.1: image.get_property("illumination_angle") of a MieSphere in ISCAT is the
        # optics' angle, in the sphere's dict too (which keeps its name here); the sphere's own value
        # is not changed.
        sphere = dt.MieSphere(position=(16, 16), radius=5e-7, refractive_index=1.45, L=4, illumination_angle=0.25)
        region = dict(output_region=(0, 0, 32, 32), padding=(8, 8, 8, 8))
        for optics, angle in ((dt.ISCAT, np.pi), (dt.Darkfield, np.pi / 2), (dt.Brightfield, 0.25)):
            imaged = optics(**region)(sphere)
            imaged.store_properties()
            image = imaged.resolve()
            first = image.properties[0]
            self.assertEqual((first["name"], first["illumination_angle"]), ("MieSphere", angle), optics.__name__)
            self.assertEqual(image.get_property("illumination_angle"), angle)
        iscat = dt.ISCAT(**region)(sphere)
        iscat.store_properties()
        image = iscat.resolve()
        self.assertEqual(image.get_property("illumination_angle", get_one=False), [np.pi, np.pi])
        self.assertEqual(image.get_property("input_polarization", get_one=False), ["circular", "circular"])
        self.assertEqual(image.get_property("phase_shift_correction", get_one=False), [True, True])
        self.assertEqual(sphere.illumination_angle(), 0.25)


if __name__ == "__main__":
    unittest.main()
