"""A scatterer's ``voxel_size`` and ``pixel_size``, as DeepTrack2 2.0.1's ``Scatterer(voxel_size=None,
pixel_size=None)``: parameters (no "not one of its parameters" warning), None when resolved alone, the
values given when given, the optics' ``resolution / magnification`` once a microscope images it
(DeepTrack2's ``Microscope.get`` sets them on the sample), and never computed with. The dicts keep
DeepTrack2's key order, with the optics' values on a Mie scatterer. The exact dicts against DeepTrack2's
are the ``record`` fixtures (test_fixtures.py)."""

import unittest
import warnings

import numpy as np

import deeptrack_native as dt


class ScattererDicts(unittest.TestCase):
    def test_voxel_and_pixel_size_are_parameters_recorded_as_given(self):
        for cls in (dt.PointParticle, dt.Sphere, dt.Ellipse, dt.Ellipsoid):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                given = cls(position=(5, 5), voxel_size=(2e-7, 2e-7, 5e-7), pixel_size=3e-7)
            self.assertEqual([str(w.message) for w in caught], [], cls.__name__)
            given.store_properties()
            plain = cls(position=(5, 5))
            plain.store_properties()
            a, b = plain.resolve(), given.resolve()
            self.assertEqual(list(a.properties[0])[:7],
                             ["position", "z", "value", "position_unit", "upsample", "voxel_size", "pixel_size"])
            self.assertIsNone(a.properties[0]["voxel_size"])
            self.assertIsNone(a.properties[0]["pixel_size"])
            np.testing.assert_array_equal(b.properties[0]["voxel_size"], [2e-7, 2e-7, 5e-7])
            self.assertEqual(b.properties[0]["pixel_size"], 3e-7)
            # Computed at DeepTrack2's active voxel size (1 um alone) whatever they hold.
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    def test_a_microscope_records_its_own_voxel_and_pixel_size(self):
        optics = dt.Brightfield(resolution=1.5e-6, magnification=5, upscale=2, output_region=(0, 0, 24, 24))
        for make in (lambda **kw: dt.Sphere(radius=4e-7, refractive_index=1.45, **kw),
                     lambda **kw: dt.Ellipsoid(radius=(4e-7, 3e-7, 2e-7), refractive_index=1.4 + 0.01j, **kw)):
            own = optics(make(position=(11.5, 12.25), voxel_size=1e-9, pixel_size=1e-9))
            own.store_properties()
            plain = optics(make(position=(11.5, 12.25)))
            image = own.resolve()
            d = image.properties[0]
            np.testing.assert_array_equal(d["voxel_size"], [1.5e-6 / 5] * 3)
            self.assertEqual(d["pixel_size"], 1.5e-6 / 5)
            np.testing.assert_array_equal(np.asarray(image), np.asarray(plain.resolve()))

    def test_a_mie_scatterer_records_the_optics_values(self):
        optics = dt.Brightfield(NA=0.8, wavelength=5e-7, padding=(8, 8, 8, 8), output_region=(0, 0, 40, 40),
                                upscale=2)
        pipe = optics(dt.MieSphere(position=(20, 30), radius=5e-7, wavelength=7e-7, NA=0.5))
        pipe.store_properties()
        d = pipe.resolve().properties[0]
        self.assertEqual((d["wavelength"], d["NA"], d["refractive_index_medium"]), (5e-7, 0.8, 1.33))
        self.assertEqual(list(d["padding"]), [16, 16, 16, 16])
        self.assertEqual(list(d["output_region"]), [0, 0, 80, 80])
        self.assertIs(d["return_fft"], True)
        self.assertEqual(d["upsample"], 1)
        self.assertEqual(d["name"], "MieSphere")

    def test_bad_values_name_the_property(self):
        with self.assertRaisesRegex(Exception, "voxel_size"):
            dt.Sphere(voxel_size=-1e-7)
        with self.assertRaisesRegex(Exception, "pixel_size"):
            dt.Sphere(pixel_size=0)


if __name__ == "__main__":
    unittest.main()
