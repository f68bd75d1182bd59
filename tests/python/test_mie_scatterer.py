"""MieScatterer with a coefficients function (issue 14 item 4): DeepTrack2's ``MieScatterer(coefficients,
...)``, whose sampled ``coefficients`` is a function of ``L`` giving ``a_n``, ``b_n``."""

import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native.backend import mie

#: A sphere of index 1.45 and radius 0.5 µm in water at 633 nm, its coefficients as a function of L.
M, X = 1.45 / 1.33, 2 * np.pi * 0.5e-6 / 633e-9 * 1.33


def sphere(L):
    return mie.coefficients(M, X, L)


def of_properties(radius, wavelength, refractive_index_medium):
    """As DeepTrack2's MieSphere gives its coefficients: a function of properties returning one of L."""

    def inner(L):
        return mie.coefficients(1.45 / refractive_index_medium, radius * 2 * np.pi / wavelength * refractive_index_medium, L)

    return inner


def brightfield(**kwargs):
    grid = {"NA": 0.7, "wavelength": 633e-9, "resolution": 1e-7, "magnification": 1}
    return dt.Brightfield(**grid, output_region=(0, 0, 32, 32), padding=(8, 8, 8, 8), **kwargs)


class MieScatterers(unittest.TestCase):
    def field(self, scatterer, optics=None):
        return np.asarray((optics or brightfield(return_field=True))(scatterer).resolve())

    def test_deeptrack2s_fields(self):
        # DeepTrack2 2.0.1's field at the centre and its sum, for each way of giving the coefficients.
        cases = [
            (dict(coefficients=lambda: sphere, L=8), 1.5342741954258827 - 1.0595494742592888j, 1031.3539711230237 - 54.58949200522652j),
            (dict(coefficients=lambda: sphere, radius=0.5e-6), 1.5343980513982878 - 1.059249902472786j, 1031.2639745089255 - 54.596354725709034j),
            (dict(coefficients=of_properties, radius=0.4e-6), 1.2539847238799942 - 0.7180665557756623j, 1030.2136974023222 - 24.72696607432941j),
        ]
        for kwargs, centre, total in cases:
            field = self.field(dt.MieScatterer(position=(16, 16), z=2, **kwargs))
            self.assertEqual((field.shape, field.dtype), ((32, 32, 1), np.complex128))
            self.assertLess(abs(field[16, 16, 0] - centre), 1e-12 * abs(centre))
            self.assertLess(abs(field.sum() - total), 1e-12 * abs(total))
        iscat = dt.ISCAT(NA=0.7, wavelength=633e-9, resolution=1e-7, magnification=1, output_region=(0, 0, 32, 32), padding=(8, 8, 8, 8))
        image = self.field(dt.MieScatterer(coefficients=of_properties, radius=0.4e-6, position=(16, 16), z=2), iscat)
        self.assertAlmostEqual(image.max() / 1.0026813685105258, 1, delta=1e-12)
        self.assertAlmostEqual(image.sum() / 1024.1719766942756, 1, delta=1e-12)

    def test_a_spheres_coefficients_give_mie_sphere(self):
        given = dt.MieScatterer(sphere_coefficients := of_properties, radius=0.4e-6, position=(16, 15.5), z=-1)
        self.assertIs(sphere_coefficients, of_properties)
        reference = dt.MieSphere(radius=0.4e-6, refractive_index=1.45, position=(16, 15.5), z=-1)
        a, b = self.field(given), self.field(reference)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * np.abs(b).max())
        # A function of L returning the pair itself (DeepTrack2 2.0.1 raises: it calls the pair).
        direct = dt.MieScatterer(coefficients=lambda L: of_properties(0.4e-6, 633e-9, 1.33)(L), position=(16, 15.5), z=-1, L=11)
        np.testing.assert_allclose(self.field(direct), b, rtol=0, atol=1e-12 * np.abs(b).max())

    def test_subclasses_as_deeptrack2_writes_them(self):
        class MySphere(dt.MieScatterer):
            def __init__(self, radius=1e-6, **kwargs):
                super().__init__(coefficients=of_properties, radius=radius, **kwargs)

        mine = MySphere(radius=0.4e-6, position=(16, 16), z=2)
        reference = dt.MieSphere(radius=0.4e-6, refractive_index=1.45, position=(16, 16), z=2)
        np.testing.assert_allclose(self.field(mine), self.field(reference), rtol=0, atol=1e-12)

        class Own(dt.MieScatterer):  # its own get: a feature of one's own
            def get(self, image, **kwargs):
                return np.ones((2, 2))

        np.testing.assert_array_equal(Own().resolve(), np.ones((2, 2)))
        self.assertTrue(issubclass(dt.scatterers.MieScatterer, dt.Scatterer))

    def test_bad_coefficients_say_what_is_wrong(self):
        with self.assertRaisesRegex(dt.InvalidArgumentError, r"property 'L' of feature 'MieScatterer'.*computed from the radius"):
            self.field(dt.MieScatterer(coefficients=lambda: sphere))
        with self.assertRaisesRegex(TypeError, "missing the argument 'coefficients'"):
            dt.MieScatterer()
        with self.assertRaisesRegex(ValueError, "coefficients gave 3 a_n and 3 b_n for L = 5"):
            self.field(dt.MieScatterer(coefficients=lambda: lambda L: (np.ones(3), np.ones(3)), L=5))


if __name__ == "__main__":
    unittest.main()
