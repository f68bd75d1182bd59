"""``deeptrack_native.units`` as DeepTrack2 2.0.1's ``dt.units``: a pint registry with DeepTrack2's pixel
units; quantities given to properties become SI numbers (lengths in meters, angles in radians),
pixels stay pixels outside lengths; ``ConversionTable`` as DeepTrack2's."""

import math
import subprocess
import sys
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import units

# pint is imported only inside the tests: discovery imports every test module first, and pint imports
# dask (when installed), whose tblib support makes every exception pickle, which test_batch's test of
# an exception that does not pickle must not see.

# This module's rules draw from np.random; the draws of the modules after it stay as without it.
_STATE = []


def setUpModule():
    _STATE.append(np.random.get_state())


def tearDownModule():
    np.random.set_state(_STATE.pop())



class Registry(unittest.TestCase):
    def test_pint_registry_with_deeptrack2s_pixel_units(self):
        import pint  # here, not at import: pint imports dask when installed, which changes pickling

        self.assertIsInstance(units.registry(), pint.UnitRegistry)
        self.assertIsInstance(5 * units.um, pint.Quantity)
        self.assertAlmostEqual((0.5 * units.um).m_as(units.nm), 500.0)
        for name in ("pixel", "px", "xpixel", "ypx", "zpx", "sxpx", "simulation_ypixel", "szpx"):
            self.assertAlmostEqual((1 * getattr(units, name)).m_as(units.meter), 1e-6, msg=name)
        self.assertEqual(str((3 * units.px).units), "pixel")
        self.assertAlmostEqual((1 * units.degree).m_as(units.radian), math.pi / 180)
        self.assertAlmostEqual((1 * units.inch).m_as(units.mm), 25.4, msg="pint's other units are there")

    def test_pint_is_imported_only_when_a_unit_is_used(self):
        code = (
            "import sys, numpy as np, deeptrack_native as dt\n"
            "p = dt.PointParticle(position=lambda: np.random.rand(2) * 32, intensity=2, label='a', meta={'k': 1})\n"
            "image = dt.Fluorescence(NA=0.8, wavelength=680e-9, output_region=(0, 0, 32, 32))(p ^ 3)\n"
            "image.update()(); a = 'pint' in sys.modules; dt.units.um\n"
            "print(a, 'pint' in sys.modules)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.split(), ["False", "True"])


class AsPropertyValues(unittest.TestCase):

    def test_lengths_angles_and_times_become_si(self):
        self.assertAlmostEqual(dt.Add(value=680 * units.nm).value(), 6.8e-7)
        self.assertAlmostEqual(dt.Add(value=30 * units.degree).value(), math.pi / 6)
        self.assertAlmostEqual(dt.Add(value=2 * units.ms).value(), 2e-3)
        self.assertAlmostEqual(dt.Add(value=5 * units.dimensionless).value(), 5.0)
        optics = dt.Fluorescence(wavelength=0.68 * units.um, resolution=1 * units.um)
        self.assertAlmostEqual(optics.wavelength(), 6.8e-7)
        self.assertAlmostEqual(optics.resolution(), 1e-6)

    def test_quantities_inside_sequences_and_from_callables(self):
        f = dt.DummyFeature(a=(1 * units.um, 2 * units.um), b=lambda: 3 * units.nm, c=np.array([1, 2]) * units.mm)
        self.assertIsInstance(f.a(), tuple)
        np.testing.assert_allclose(f.a(), (1e-6, 2e-6))
        self.assertAlmostEqual(f.b(), 3e-9)
        np.testing.assert_allclose(f.c(), [1e-3, 2e-3])

    def test_pixels_are_pixels_outside_lengths_and_converted_inside(self):
        self.assertEqual(dt.DummyFeature(position=4 * units.px).position(), 4)
        sphere = dt.Sphere(radius=4 * units.pixel, position=(16, 16))
        self.assertAlmostEqual(sphere.radius(), 4e-6, msg="1 µm per pixel outside a microscope")


class ConversionTables(unittest.TestCase):
    def test_convert_as_deeptrack2(self):
        u = units
        table = units.ConversionTable(radius=(u.meter, u.micrometer), position=(u.pixel, u.pixel))
        out = table.convert(radius=2e-6, position=(1, 2), other=3, name="x")
        self.assertAlmostEqual(out["radius"].m_as(u.micrometer), 2.0)
        self.assertEqual(str(out["radius"].units), "micrometer")
        np.testing.assert_array_equal(out["position"].magnitude, [1, 2])
        self.assertEqual((out["other"], out["name"]), (3, "x"))
        self.assertAlmostEqual(table.convert(radius=500 * u.nm)["radius"].m_as(u.micrometer), 0.5)
        self.assertIs(dt.ConversionTable, units.ConversionTable)

    def test_a_bad_table_names_the_key(self):
        with self.assertRaisesRegex(TypeError, "'radius' must be a tuple of two units"):
            units.ConversionTable(radius=units.meter)


if __name__ == "__main__":
    unittest.main()
