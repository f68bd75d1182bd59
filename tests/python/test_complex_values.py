"""Complex property values: an absorbing particle's refractive index (``1.45+0.1j``) is a library value
that reads back as a Python complex, alone or in a list, and Mie scatterers and volume scatterers image
it as DeepTrack2 2.0.1 does (its pixels in the fixtures bf_mie_sphere_absorbing and bf_absorbing_*)."""

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
        self.assertEqual(shells.refractive_index(), (1.6 + 0.05j, 1.45 + 0.01j))
        # A complex array is a library value: the shells' indices read back as the array.
        given = np.array([1.6 + 0.05j, 1.45])
        shells = dt.MieStratifiedSphere(radius=[3e-7, 6e-7], refractive_index=given)
        value = shells.refractive_index()
        self.assertEqual(value.dtype, np.complex128)
        np.testing.assert_array_equal(value, given)

    def test_complex_arrays_are_values_both_ways(self):
        given = np.array([[1 + 2j, 3 - 1j], [0.5j, 2]])
        v = dt.Value(value=given)
        np.testing.assert_array_equal(v.value(), given)
        self.assertEqual(v.value().dtype, np.complex128)
        out = v.resolve()
        self.assertEqual(np.asarray(out).dtype, np.complex128)
        np.testing.assert_array_equal(np.asarray(out), given)
        # complex64, non-contiguous and empty arrays convert too.
        for arr in (given.astype(np.complex64), given.T, np.zeros((0, 3), complex)):
            got = dt.Value(value=arr).value()
            self.assertEqual((got.dtype, got.shape), (np.complex128, arr.shape))
            np.testing.assert_array_equal(got, arr)
        # Recorded in the image's properties as the array.
        v = dt.Value(value=given)
        v.store_properties()
        recorded = v.resolve().get_property("value")
        np.testing.assert_array_equal(recorded, given)
        # The arithmetic kinds compute with it in complex numbers, as numpy does.
        np.testing.assert_array_equal(dt.Add(value=np.array([1j])).resolve(np.zeros(1)), np.array([1j]))

    def test_the_stratified_spheres_complex_array_images_as_its_list(self):
        optics = dt.Brightfield(NA=0.7, wavelength=6.6e-7, resolution=1e-6, magnification=10,
                                output_region=(0, 0, 32, 32), padding=(8, 8, 8, 8))
        def image(index):
            shells = dt.MieStratifiedSphere(position=(16, 15), radius=[3e-7, 6e-7], refractive_index=index, L=6)
            return np.asarray(optics(shells).resolve())
        np.testing.assert_array_equal(image(np.array([1.6 + 0.05j, 1.45])), image([1.6 + 0.05j, 1.45]))

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


class AbsorbingVolumes(unittest.TestCase):
    """Volume scatterers (PointParticle, Sphere, Ellipse, Ellipsoid) with a complex refractive index:
    absorbing particles in Brightfield and the systems built on it (fixtures bf_absorbing_*)."""

    def optics(self, cls=dt.Brightfield, **extra):
        return cls(
            NA=0.7,
            wavelength=5.32e-7,
            resolution=1e-7,
            magnification=1,
            refractive_index_medium=1.33,
            output_region=(0, 0, 48, 48),
            padding=(10, 10, 10, 10),
            **extra,
        )

    def test_an_absorbing_sphere_matches_deeptrack2(self):
        sphere = dt.Sphere(position=(24, 24), radius=5e-7, refractive_index=1.45 + 0.05j)
        self.assertEqual(sphere.refractive_index(), 1.45 + 0.05j)
        expected = np.load(os.path.join(FIXTURES, "bf_absorbing_sphere.npy"))
        for cls in (dt.Brightfield, dt.ISCAT):
            out = np.asarray(self.optics(cls)(sphere).resolve())
            self.assertLess(np.abs(out - expected).max(), 1e-6 * np.abs(expected).max())
        # It absorbs: less light than through the clear sphere.
        clear = np.asarray(self.optics()(dt.Sphere(position=(24, 24), radius=5e-7, refractive_index=1.45))())
        self.assertLess(out.sum(), clear.sum() - 1)

    def test_an_absorbing_point_returns_a_complex_field(self):
        point = dt.PointParticle(position=(24.2, 23.7), refractive_index=1.45 + 0.1j)
        field = np.asarray(self.optics(return_field=True)(point)())
        self.assertTrue(np.iscomplexobj(field))
        expected = np.load(os.path.join(FIXTURES, "bf_absorbing_point_field.npy"))
        expected = expected[..., 0] + 1j * expected[..., 1]
        self.assertLess(np.abs(field - expected).max(), 1e-6 * np.abs(expected).max())

    def test_a_refractive_index_must_be_a_number(self):
        with self.assertRaisesRegex(TypeError, "refractive_index.*real or complex number"):
            dt.Sphere(refractive_index="glass")

    def test_the_volume_imaged_is_the_scatterers_cached_output(self):
        # As in DeepTrack2: resolving a scatterer again after a microscope imaged it gives the volume
        # the microscope computed (at its voxel size), until an update.
        sphere = dt.Sphere(radius=1e-6, intensity=1)
        self.assertEqual(np.asarray(sphere()).shape, (2, 2, 2))
        dt.Fluorescence(resolution=1e-6, magnification=10, output_region=(0, 0, 64, 64))(sphere)()
        self.assertEqual(np.asarray(sphere()).shape, (20, 20, 20))
        sphere.update()
        self.assertEqual(np.asarray(sphere()).shape, (2, 2, 2))


if __name__ == "__main__":
    unittest.main()


class ComplexNoise(unittest.TestCase):
    """DeepTrack2 2.0.1's ``Gaussian(sigma=0.005j)``: ``mu + image + randn * sigma`` is complex."""

    def test_gaussian_with_an_imaginary_sigma(self):
        noise = dt.Gaussian(mu=0.5, sigma=2j)
        noise.seed(3)  # the moments are checked within 5 standard errors: a fixed draw, not a 1e-6 chance
        image = np.ones((200, 200))
        out = np.asarray(noise.resolve(image))
        self.assertTrue(np.iscomplexobj(out))
        self.assertEqual(out.shape, (200, 200))
        np.testing.assert_array_equal(out.real, 1.5)
        self.assertAlmostEqual(out.imag.mean(), 0.0, delta=0.05)
        self.assertAlmostEqual(out.imag.var(), 4.0, delta=0.15)
        self.assertEqual(noise.sigma(), 2j)

    def test_seeded_complex_noise_is_reproducible(self):
        for kind in (dt.Gaussian, dt.ComplexGaussian):
            noise = kind(mu=1 - 1j, sigma=0.5 + 1j)
            np.random.seed(7)
            a = np.asarray(noise.update().resolve(np.zeros((8, 8))))
            np.random.seed(7)
            b = np.asarray(noise.update().resolve(np.zeros((8, 8))))
            self.assertTrue(np.iscomplexobj(a))
            np.testing.assert_array_equal(a, b)

    def test_complex_gaussian_with_a_complex_sigma(self):
        noise = dt.ComplexGaussian(mu=1j, sigma=1 + 2j)
        noise.seed(3)  # the moments are checked within 6 standard errors: a fixed draw
        out = np.asarray(noise.resolve(np.zeros((300, 300))))
        self.assertAlmostEqual(out.real.mean(), 0.0, delta=0.05)
        self.assertAlmostEqual(out.imag.mean(), 1.0, delta=0.05)
        self.assertAlmostEqual(out.real.var(), 5.0, delta=0.15)
        self.assertAlmostEqual(out.imag.var(), 5.0, delta=0.15)

    def test_a_bad_complex_sigma_names_the_property(self):
        with self.assertRaisesRegex(Exception, "sigma.*Gaussian.*complex number with finite parts"):
            dt.Gaussian(sigma=complex("nan+1j")).resolve(np.zeros((2, 2)))
