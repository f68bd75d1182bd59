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


if __name__ == "__main__":
    unittest.main()
