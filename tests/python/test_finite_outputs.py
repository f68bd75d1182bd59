"""Finite inputs that cannot give a finite image are an error naming the property responsible, in the
feature where the user set it (issue 12), and nothing returns NaN with no error: a point particle's
intensity of 1e308 (it was a PanicError), tiny sigmas of GaussianBlur and BilateralBlur (scipy's and
OpenCV's results: the input), noise and scale parameters whose products overflow, Mie errors naming L,
the optics' wavelength and ISCAT's amp_factor."""

import unittest
import warnings

import numpy as np

import deeptrack_native as dt
from deeptrack_native import InvalidArgumentError


def optics(cls, **kwargs):
    return cls(output_region=(0, 0, 16, 16), padding=(4, 4, 4, 4), **kwargs)


class FiniteOutputs(unittest.TestCase):
    def setUp(self):
        warnings.simplefilter("ignore")

    def raises(self, pipeline, start, *args):
        with self.assertRaises(InvalidArgumentError) as caught:
            pipeline.resolve(*args)
        self.assertTrue(str(caught.exception).startswith(start), str(caught.exception))
        return str(caught.exception)

    def test_a_point_particle_near_the_largest_float_names_its_property(self):
        for cls, key in [(dt.Fluorescence, "intensity"), (dt.Fluorescence, "value"), (dt.Brightfield, "intensity"),
                         (dt.Brightfield, "refractive_index")]:
            for v in (1e308, -1e308):
                if key == "refractive_index" and v < 0:
                    continue
                particle = dt.PointParticle(position=(8, 8), **{key: v})
                self.raises(optics(cls)(particle),
                            f"property '{key}' of feature 'PointParticle': the centre of mass of the scatterer's "
                            f"volume times its {key} ({v:g}) is not finite")
        image = np.asarray(optics(dt.Fluorescence)(dt.PointParticle(position=(8, 8), intensity=1e300)).resolve())
        self.assertTrue(np.isfinite(image).all())

    def test_tiny_sigmas_blur_to_the_input(self):
        x = np.arange(16.0).reshape(4, 4)
        for sigma in (1e-15, 1e-160, 1e-300, 5e-324):
            np.testing.assert_array_equal(dt.GaussianBlur(sigma=sigma).resolve(x), x)
        ramp = (np.arange(42) % 7 * 0.25).reshape(6, 7)
        for d in (3, 0):
            for sc, ss in [(1e-160, 50), (50, 1e-160), (5e-324, 5e-324)]:
                out = dt.BilateralBlur(d=d, sigma_color=sc, sigma_space=ss).resolve(ramp)
                np.testing.assert_array_equal(out, ramp)

    def test_parameters_that_overflow_name_themselves(self):
        zeros = np.zeros((8, 8))
        for cls in (dt.Gaussian, dt.ComplexGaussian):
            self.raises(dt.Value(value=zeros) >> cls(sigma=1e308),
                        f"property 'sigma' of feature '{cls.__name__}': the noise overflows: sigma (1e+308)")
        x = np.arange(16.0).reshape(4, 4)
        self.raises(dt.holography.Rescale(rescale=1e308),
                    "property 'rescale' of feature 'Rescale': the rescaled field overflows", np.stack([x, x], -1))
        self.raises(dt.NormalizeQuantile(quantiles=(0.5, 0.5)),
                    "property 'quantiles' of feature 'NormalizeQuantile': the quantiles are equal (0.5 and 0.5)", x)
        self.raises(dt.NormalizeMinMax(min=1e308), "property 'min' of feature 'NormalizeMinMax'", x)
        # numpy's arithmetic on the data keeps numpy's infinities (the README's policy).
        self.assertTrue(np.isinf(np.asarray(dt.Multiply(value=1e308).resolve(x[1:]))).all())

    def test_mie_errors_name_the_property_where_it_was_set(self):
        for cls in (dt.MieSphere, dt.MieStratifiedSphere):
            message = self.raises(dt.Brightfield(output_region=(0, 0, 32, 32))(cls(position=(16, 16), L=300)),
                                  f"property 'L' of feature '{cls.__name__}'")
            self.assertIn("[(1.0902255639097744+0j)]", message)
            self.assertNotIn("Complex {", message)
        self.raises(optics(dt.Brightfield, wavelength=1e-12)(dt.MieSphere(position=(8, 8))),
                    "property 'wavelength' of feature 'Brightfield': \"auto\" gives 6283924 expansion terms")
        self.raises(optics(dt.ISCAT, amp_factor=1e-300)(dt.MieSphere(position=(8, 8))),
                    "property 'amp_factor' of feature 'ISCAT'")
        # Set on the sphere under Brightfield (which has no amp_factor), it is the sphere's.
        self.raises(optics(dt.Brightfield)(dt.MieSphere(position=(8, 8), amp_factor=1e-300)),
                    "property 'amp_factor' of feature 'MieSphere'")


if __name__ == "__main__":
    unittest.main()
