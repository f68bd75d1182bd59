"""Pupils and illumination (issue 14): DeepTrack2's ``aberrations`` given as ``pupil=`` and
``IlluminationGradient`` as ``illumination=`` of the optics, through the package's generated classes."""

import inspect
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import aberrations, optics


def fluorescence(**kwargs):
    kwargs = {"NA": 0.8, "wavelength": 680e-9, "output_region": (0, 0, 32, 40), "padding": (8, 8, 8, 8), **kwargs}
    return dt.Fluorescence(**kwargs)


PARTICLE = dt.PointParticle(position=(16.2, 19.7), intensity=10)


class Pupils(unittest.TestCase):
    def test_the_aberrations_module_is_deeptrack2s(self):
        self.assertEqual(
            aberrations.__all__,
            ["Aberration", "Astigmatism", "Defocus", "GaussianApodization", "HorizontalComa", "HorizontalTilt",
             "ObliqueAstigmatism", "ObliqueTrefoil", "Piston", "SphericalAberration", "Trefoil", "VerticalComa",
             "VerticalTilt", "Zernike"],
        )
        self.assertIs(aberrations.Defocus, dt.Defocus)
        self.assertIs(optics.IlluminationGradient, dt.IlluminationGradient)
        self.assertEqual(list(inspect.signature(dt.Zernike).parameters)[:3], ["n", "m", "coefficient"])
        self.assertEqual(dt.Defocus(coefficient=0.3).properties(), {"n": 2, "m": 0, "coefficient": 0.3, "name": "Defocus"})
        self.assertEqual(dt.IlluminationGradient().vmax(), np.inf)

    def test_a_random_coefficient_is_drawn_again_on_update(self):
        pipe = fluorescence(pupil=dt.Defocus(coefficient=lambda: np.random.uniform(-1, 1)))(PARTICLE)
        first = pipe.resolve()
        np.testing.assert_array_equal(first, pipe.resolve())
        pipe.update()
        self.assertGreater(np.abs(pipe.resolve() - first).max(), 1e-4)

    def test_fluorescence_images_carry_their_pupils_dicts(self):
        # As DeepTrack2's: the sample's dicts, the pupil's (in chain order), the optics', the microscope's;
        # a drawn coefficient is there as ground truth.
        pupil = dt.Defocus(coefficient=lambda: np.random.uniform(-1, 1)) >> dt.Astigmatism(coefficient=0.2)
        pipe = fluorescence(pupil=pupil)(PARTICLE)
        pipe.store_properties(True)
        image = pipe.resolve()
        names = [d["name"] for d in image.properties]
        self.assertEqual(names, ["PointParticle", "Defocus", "Astigmatism", "Fluorescence", "Microscope"])
        drawn = image.properties[1]["coefficient"]
        self.assertTrue(-1 <= drawn <= 1)
        self.assertEqual(image.properties[2]["coefficient"], 0.2)
        pipe.update()
        self.assertNotEqual(pipe.resolve().properties[1]["coefficient"], drawn)

    def test_a_phase_aberration_keeps_the_light(self):
        # |pupil| is unchanged: on the whole (unpadded, circular) grid, the image's sum (the OTF at zero
        # frequency) stays, and its peak drops.
        grid = {"output_region": (0, 0, 128, 128), "padding": (0, 0, 0, 0)}
        particle = dt.PointParticle(position=(64, 64), intensity=10)
        plain = fluorescence(**grid)(particle).resolve()
        blurred = fluorescence(**grid, pupil=dt.SphericalAberration(coefficient=1.0))(particle).resolve()
        self.assertLess(blurred.max(), 0.5 * plain.max())
        self.assertAlmostEqual(blurred.sum() / plain.sum(), 1.0, delta=1e-12)

    def test_chains_apply_in_turn_and_dummies_change_nothing(self):
        chained = fluorescence(pupil=dt.Defocus(coefficient=0.6) >> dt.Astigmatism(coefficient=-0.4))(PARTICLE)
        terms = fluorescence(pupil=dt.Zernike(n=[2, 2], m=[0, 2], coefficient=[0.6, -0.4]))(PARTICLE)
        np.testing.assert_allclose(chained.resolve(), terms.resolve(), rtol=0, atol=1e-12)
        plain = fluorescence()(PARTICLE).resolve()
        np.testing.assert_array_equal(fluorescence(pupil=dt.DummyFeature())(PARTICLE).resolve(), plain)

    def test_fluorescence_ignores_its_illumination_as_deeptrack2_does(self):
        plain = fluorescence()(PARTICLE).resolve()
        lit = fluorescence(illumination=dt.IlluminationGradient(gradient=(0.01, 0.02), constant=1))(PARTICLE)
        np.testing.assert_array_equal(lit.resolve(), plain)

    def test_brightfield_illumination_without_a_sample_is_the_gradient_band_limited(self):
        # No scatterer: |illumination|² filtered by the pupil; a constant stays a constant.
        scope = dt.Brightfield(illumination=dt.IlluminationGradient(constant=0.5), output_region=(0, 0, 16, 16))
        out = scope(dt.Sphere(refractive_index=1.33)).resolve()
        np.testing.assert_allclose(out, 2.25, rtol=1e-12)

    def test_a_returned_field_is_the_aberrated_field(self):
        def scope(**kwargs):
            pupil = dt.Zernike(n=[2, 3], m=[0, -1], coefficient=[0.4, 0.3])
            light = dt.IlluminationGradient(gradient=(0.003, 0.001))
            optics = dt.Brightfield(output_region=(0, 0, 24, 24), pupil=pupil, illumination=light, **kwargs)
            return optics(dt.Sphere(position=(12, 12), radius=4e-7, refractive_index=1.45))

        # DeepTrack2's complex (H, W, 1) field.
        field = np.asarray(scope(return_field=True).resolve())
        self.assertEqual((field.shape, field.dtype), ((24, 24, 1), np.complex128))
        np.testing.assert_allclose(np.abs(field) ** 2, scope().resolve(), rtol=1e-12, atol=1e-14)

    def test_bad_pupils_say_what_is_wrong(self):
        with self.assertRaisesRegex(dt.InvalidArgumentError, "the pupil must be an aberration"):
            fluorescence(pupil=dt.GaussianBlur())(PARTICLE).resolve()
        with self.assertRaisesRegex(dt.InvalidArgumentError, "expected as many coefficients as Zernike terms"):
            fluorescence(pupil=dt.Zernike(n=[2, 3], m=[0, 1], coefficient=1))(PARTICLE).resolve()
        with self.assertRaisesRegex(dt.InvalidArgumentError, "exceeds the maximum of 60"):
            dt.Zernike(n=61, m=1)
        with self.assertRaisesRegex(dt.InvalidArgumentError, "sigma"):
            dt.GaussianApodization(sigma=0)
        with self.assertRaisesRegex(dt.InvalidArgumentError, "acts on an optics' pupil"):
            dt.Defocus().resolve(np.ones((4, 4)))

    def test_illumination_gradient_on_an_image(self):
        image = np.array([[1.0, -2.0], [0.0, 3.0]])
        out = dt.IlluminationGradient(gradient=(1, 10), constant=0.5, vmax=12).resolve(image)
        # clip(|x| + column·1 + row·10 + 0.5, 0, 12) with x's sign; 0 stays 0.
        np.testing.assert_array_equal(out, [[1.5, -3.5], [0.0, 12.0]])


class MyApodization(aberrations.Aberration):
    """DeepTrack2's tutorial DTAT325's aberration of one's own."""

    def get(self, pupil, sigma=1, rho=None, **kwargs):
        return pupil * np.exp(-((rho / sigma) ** 2))


class MyTilt(aberrations.Aberration):
    def get(self, pupil, rho, theta, c=1.0, **kwargs):
        return pupil * np.exp(1j * c * rho * np.cos(theta))


#: The optics and sample DeepTrack2 2.0.1 imaged with MyTilt(c=2.0) as the pupil (its peaks below).
GRID = {"NA": 0.8, "wavelength": 600e-9, "output_region": (0, 0, 40, 44), "padding": (10, 10, 10, 10)}


class PupilsOfOnesOwn(unittest.TestCase):
    """A subclass of Aberration (its get) and an array as the pupil (issue 14, DTAT325)."""

    def images(self, pupil):
        point = dt.PointParticle(position=(20, 24), z=3, intensity=1)
        sphere = dt.Sphere(position=(20, 24), z=3, radius=1e-6, refractive_index=1.4)
        return (
            np.asarray(dt.Fluorescence(**GRID, pupil=pupil)(point).resolve()),
            np.asarray(dt.Brightfield(**GRID, pupil=pupil)(sphere).resolve()),
        )

    def test_an_aberration_of_ones_own_is_applied_as_deeptrack2_applies_it(self):
        # The tutorial's GaussianApodization gives the library's.
        for mine, builtin in zip(self.images(MyApodization(sigma=0.7)), self.images(dt.GaussianApodization(sigma=0.7))):
            np.testing.assert_allclose(mine, builtin, rtol=0, atol=1e-12 * builtin.max())
        # A tilt from rho and theta: DeepTrack2 2.0.1's peaks.
        fluo, bright = self.images(MyTilt(c=2.0))
        self.assertAlmostEqual(fluo.max() / 0.0027730357321890694, 1, delta=1e-9)
        self.assertAlmostEqual(bright.max() / 1.3329567484212255, 1, delta=1e-9)
        # In a chain with the library's aberrations.
        fluo, bright = self.images(MyTilt(c=1.5) >> dt.GaussianApodization(sigma=0.8))
        self.assertAlmostEqual(fluo.max() / 0.000735882677500161, 1, delta=1e-9)
        self.assertAlmostEqual(bright.max() / 1.022999611178188, 1, delta=1e-9)

    def test_get_receives_the_complex_pupil_of_the_grid_with_rho_and_theta(self):
        seen = {}

        class Look(aberrations.Aberration):
            def get(self, pupil, rho, theta, **kwargs):
                seen.update(pupil=pupil.copy(), rho=rho, theta=theta, kwargs=kwargs)
                return pupil

        dt.Fluorescence(**GRID, pupil=Look(extra=3))(PARTICLE).resolve()
        pupil, rho = seen["pupil"], seen["rho"]
        # The padded region, 60 × 64, on its FFT grid: 64 × 64, centred at (32, 32).
        self.assertEqual((pupil.shape, pupil.dtype), ((64, 64), np.complex128))
        self.assertEqual(set(np.unique(pupil)), {0, 1})
        self.assertEqual(pupil[32, 32], 1)
        self.assertEqual(rho[32, 32], 0)
        self.assertAlmostEqual(rho[pupil != 0].max(), 1, delta=1e-15)
        self.assertEqual(seen["theta"][0, 32], -np.pi / 2)
        self.assertEqual(seen["kwargs"]["extra"], 3)

    def test_an_aberration_of_ones_own_is_never_reused_across_images(self):
        # Its properties unchanged, its result changed: the next image has the new pupil.
        tilt = {"c": 0.0}

        class Outside(aberrations.Aberration):
            def get(self, pupil, rho, theta, **kwargs):
                return pupil * np.exp(1j * tilt["c"] * rho * np.cos(theta))

        pipe = dt.Fluorescence(**GRID, pupil=Outside())(PARTICLE)
        first = pipe.resolve()
        tilt["c"] = 3.0
        pipe.update()
        self.assertGreater(np.abs(pipe.resolve() - first).max(), 0.05 * first.max())

    def test_a_pupil_of_the_wrong_shape_says_so(self):
        class Small(aberrations.Aberration):
            def get(self, pupil, **kwargs):
                return np.ones((3, 3))

        with self.assertRaisesRegex(dt.InvalidArgumentError, r"returned a pupil of shape \[3, 3\], expected the pupil's shape \[64, 64\]"):
            dt.Fluorescence(**GRID, pupil=Small())(PARTICLE).resolve()

    def test_an_array_multiplies_the_pupil(self):
        # DeepTrack2 2.0.1's Optics._pupil multiplies its pupil by an array pupil (its constructor
        # refuses arrays: see the README's deliberate differences): as an aberration doing so.
        array = np.outer(np.hanning(64), np.linspace(0.5, 1, 64))

        class Times(aberrations.Aberration):
            def get(self, pupil, **kwargs):
                return pupil * array

        for given, mine in zip(self.images(array), self.images(Times())):
            np.testing.assert_allclose(given, mine, rtol=0, atol=1e-12 * mine.max())
        # numpy's broadcasting: a row, a number.
        for given, mine in zip(self.images(np.full(64, 0.5)), self.images(np.array(0.5))):
            np.testing.assert_array_equal(given, mine)
        with self.assertRaisesRegex(dt.InvalidArgumentError, r"the pupil array's shape \[60, 64\] does not broadcast"):
            self.images(np.ones((60, 64)))

    def test_a_complex_array_multiplies_the_pupil(self):
        rows, columns = np.meshgrid(np.arange(64) - 32, np.arange(64) - 32, indexing="ij")
        array = np.exp(-((rows / 40.0) ** 2) + 0.2j * columns + 0.05j * rows)

        class Times(aberrations.Aberration):
            def get(self, pupil, **kwargs):
                return pupil * array

        for given, mine in zip(self.images(array), self.images(Times())):
            np.testing.assert_allclose(given, mine, rtol=0, atol=1e-12 * mine.max())
        # A tilt moves the spot: the phase counts.
        fluo, _ = self.images(array)
        plain, _ = self.images(np.abs(array))
        self.assertGreater(np.abs(fluo - plain).max(), 0.1 * plain.max())
        with self.assertRaisesRegex(TypeError, "an array pupil of object is not numbers"):
            self.images(np.array([object()] * 64))


if __name__ == "__main__":
    unittest.main()


class Illumination(unittest.TestCase):
    """Any feature as ``illumination=``: resolved on the complex unit field of the optics' grid, as
    DeepTrack2 2.0.1's ``Brightfield.get`` does."""

    def test_dtex231i_pipeline_resolves(self):
        # DeepTrack2's tutorial DTEx231I_LodeSTAR_measure_mass_simulated, cell 3, as the notebook builds it.
        crop_size, padding, wavelength, pixel_size = 40, 32, 633e-9, 114e-9
        dt.get_propagation_matrix((crop_size + 2 * padding,) * 2, 1e-7, pixel_size * 2, wavelength)
        particle = dt.MieSphere(
            radius=lambda: 228e-9, refractive_index=lambda: 1.58, z=lambda: 0, position=(crop_size / 2,) * 2, L=100
        )
        optics = dt.Brightfield(
            NA=1.3,
            magnification=1,
            wavelength=633e-9,
            resolution=2 * 1.14e-7,
            illumination=dt.Gaussian(sigma=0.005) >> dt.Gaussian(sigma=0.005j),
            return_field=True,
            output_region=(0, 0, 40, 40),
        )
        imaged_particle = optics(particle)
        training_data = (imaged_particle >> dt.Real()) & (imaged_particle >> dt.Imag())
        training_data = training_data >> dt.Merge(lambda: lambda x: np.concatenate([np.array(_x) for _x in x], axis=-1))
        np.random.seed(5)
        val = np.array(training_data.update()())
        self.assertEqual((val.shape, val.dtype), ((40, 40, 2), np.float64))
        # DeepTrack2 2.0.1 gives means of about 1.0002 and -0.0014, deviations of about 0.0135 and 0.032.
        self.assertAlmostEqual(val[..., 0].mean(), 1.0, delta=0.01)
        self.assertAlmostEqual(val[..., 1].mean(), 0.0, delta=0.01)
        self.assertTrue(0.005 < val[..., 0].std() < 0.05 and 0.01 < val[..., 1].std() < 0.1)
        # The noise stays until an update, is drawn again with one, and follows np.random's seed.
        np.testing.assert_array_equal(np.array(training_data()), val)
        self.assertGreater(np.abs(np.array(training_data.update()()) - val).max(), 1e-4)
        np.random.seed(5)
        np.testing.assert_array_equal(np.array(training_data.update()()), val)
        # Without the illumination, another field.
        plain = dt.Brightfield(
            NA=1.3, magnification=1, wavelength=633e-9, resolution=2 * 1.14e-7, return_field=True,
            output_region=(0, 0, 40, 40),
        )(particle)
        self.assertGreater(np.abs(np.array(plain.update()())[..., 0] - val[..., 0] - 1j * val[..., 1]).max(), 1e-3)

    def test_a_python_feature_as_the_illumination(self):
        # A Python callback on the unit field: 1.5 times it is the gradient of constant 0.5.
        seen = []

        def brighter():
            def f(field):
                seen.append((np.asarray(field).shape, np.asarray(field).dtype))
                return np.asarray(field) * 1.5

            return f

        def scope(light):
            return dt.Brightfield(illumination=light, output_region=(0, 0, 16, 16))(
                dt.Sphere(position=(8, 8), radius=5e-7, refractive_index=1.45)
            )

        expected = scope(dt.IlluminationGradient(constant=0.5)).resolve()
        got = scope(dt.Lambda(brighter)).resolve()
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        # The padded 16 × 16 region (padding 10) on its FFT grid: 36 × 36, complex ones.
        self.assertEqual(seen, [((36, 36), np.complex128)])

    def test_a_bad_illumination_says_what_is_wrong(self):
        scope = dt.Brightfield(illumination=dt.Value(np.ones(3)), output_region=(0, 0, 16, 16))(dt.Sphere())
        with self.assertRaisesRegex(dt.InvalidArgumentError, r"the illumination returned a field of shape \[3\]"):
            scope.resolve()
