"""Complex property values: an absorbing particle's refractive index (``1.45+0.1j``) is a library value
that reads back as a Python complex, alone or in a list, and Mie scatterers image it as DeepTrack2
2.0.1 does (its pixels in the fixture bf_mie_sphere_absorbing)."""

import os
import unittest

import numpy as np

import deeptrack_native as dt

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "deeptrack-2.0.1")


class ComplexValues(unittest.TestCase):
    def test_a_complex_reads_back_as_a_complex(self):
        for given in (1.45 + 0.1j, np.complex128(1.45 + 0.1j), np.complex64(1.5 + 0.25j), np.array(1.45 + 0.1j)):
            sphere = dt.MieSphere(refractive_index=given)
            value = sphere.refractive_index()
            self.assertIs(type(value), complex)
            self.assertEqual(value, complex(given))

    def test_lists_of_complex_numbers(self):
        shells = dt.MieStratifiedSphere(radius=[3e-7, 6e-7], refractive_index=[1.6 + 0.05j, 1.45])
        self.assertEqual(shells.refractive_index(), [1.6 + 0.05j, 1.45])
        shells = dt.MieStratifiedSphere(radius=[3e-7, 6e-7], refractive_index=(1.6 + 0.05j, 1.45 + 0.01j))
        self.assertEqual(shells.refractive_index(), [1.6 + 0.05j, 1.45 + 0.01j])
        # A complex array is kept as given (any object is a value, as in DeepTrack2), but the library
        # cannot compute with it (images hold real numbers): give a list or tuple.
        shells = dt.MieStratifiedSphere(refractive_index=np.array([1.6 + 0.05j, 1.45]))
        with self.assertRaisesRegex(TypeError, "refractive_index.*complex128 array.*list of complex numbers"):
            shells.resolve()

    def test_a_bad_index_names_the_property(self):
        with self.assertRaisesRegex(Exception, "refractive_index.*positive real part"):
            dt.MieSphere(refractive_index=-1 + 0.1j).resolve()

    def test_an_absorbing_sphere_matches_deeptrack2(self):
        optics = dt.Brightfield(
            NA=0.7,
            wavelength=6.6e-7,
            resolution=1e-6,
            magnification=10,
            refractive_index_medium=1.33,
            output_region=(0, 0, 64, 64),
            padding=(10, 10, 10, 10),
        )
        sphere = dt.MieSphere(position=(32, 30), z=0, radius=5e-7, refractive_index=1.45 + 0.1j, L=8)
        out = np.asarray(optics(sphere).resolve())
        expected = np.load(os.path.join(FIXTURES, "bf_mie_sphere_absorbing.npy"))
        self.assertLess(np.abs(out - expected).max(), 1e-6 * np.abs(expected).max())


if __name__ == "__main__":
    unittest.main()
