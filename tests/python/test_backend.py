"""``deeptrack_native.backend``: DeepTrack2's ``backend.polynomials`` and ``backend.mie`` through the
Python package.

The ``backend`` cases of ``tests/fixtures/deeptrack-2.0.1/manifest.json`` (DeepTrack2 2.0.1's own
functions, which call scipy.special, run by tests/fixtures/generate.py) are computed with the same
names and arguments and must agree to 1e-11 of each value, or 1e-13 of the output's peak (Amos's
algorithm here for real arguments where scipy uses Cephes; the harmonics, ``exact``, to 1e-12), as in
tests/mie_backend.rs. Then what users rely on beyond the values: types and shapes, broadcasting,
scalars, and the errors of bad arguments.
"""

import importlib
import json
import os
import unittest

import numpy as np

from deeptrack_native.backend import mie, polynomials

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("DEEPTRACK_FIXTURES", os.path.join(HERE, "..", "fixtures", "deeptrack-2.0.1"))


def argument(spec):
    if isinstance(spec, list):
        return [argument(s) for s in spec]
    if isinstance(spec, dict) and "complex" in spec:
        return complex(*spec["complex"])
    if isinstance(spec, dict):
        a = np.array(spec["data"], dtype=np.float64).reshape(spec["shape"])
        if "imag" in spec:
            a = a + 1j * np.array(spec["imag"], dtype=np.float64).reshape(spec["shape"])
        return a
    return spec


def as_saved(out):
    """An output as generate.py saves it: tuples stacked, complex values split on a last axis."""
    out = np.stack(out) if isinstance(out, tuple) else np.asarray(out)
    if np.iscomplexobj(out):
        out = np.stack([out.real, out.imag], axis=-1)
    return out


class BackendFixtures(unittest.TestCase):
    def test_backend_cases_match_deeptrack2(self):
        with open(os.path.join(FIXTURES, "manifest.json")) as f:
            cases = [c for c in json.load(f)["cases"] if "backend" in c]
        self.assertGreaterEqual(len(cases), 29)
        for case in cases:
            with self.subTest(case=case["id"]):
                spec = case["backend"]
                module = importlib.import_module(f"deeptrack_native.backend.{spec['module']}")
                out = as_saved(getattr(module, spec["function"])(*[argument(a) for a in spec["args"]]))
                expected = np.load(os.path.join(FIXTURES, case["expected"]))
                self.assertEqual(out.shape, expected.shape)
                if case.get("tolerance") == "exact":
                    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=0, err_msg=case["id"])
                else:
                    peak = np.abs(expected).max()
                    np.testing.assert_allclose(out, expected, rtol=1e-11, atol=1e-13 * peak, err_msg=case["id"])


class Polynomials(unittest.TestCase):
    def test_scalars_types_and_broadcasting(self):
        j = polynomials.besselj(1, 5)
        self.assertIsInstance(j, np.float64)
        self.assertEqual(j, -polynomials.besselj(-1, 5))
        self.assertIsInstance(polynomials.ricbesh(1, 2.0), np.complex128)
        self.assertIsInstance(polynomials.ricbesj(1, 2.0 + 0.5j), np.complex128)
        out = polynomials.ricbesj(np.arange(4)[:, None], np.linspace(1, 5, 3))
        self.assertEqual(out.shape, (4, 3))
        self.assertEqual(out.dtype, np.float64)
        x = np.linspace(1, 5, 3)
        np.testing.assert_allclose(out[1], np.sin(x) / x - np.cos(x), rtol=1e-13)
        # psi_1 of x + 0i is psi_1 of x; the real function of a negative argument is NaN, the complex one is not.
        np.testing.assert_allclose(polynomials.ricbesj(1, x + 0j).real, out[1], rtol=1e-13)
        self.assertTrue(np.isnan(polynomials.ricbesj(1, -2.0)))
        self.assertTrue(np.isfinite(polynomials.ricbesj(1, -2.0 + 0j)))
        self.assertEqual(polynomials.besselj(0, np.zeros((2, 0))).shape, (2, 0))

    def test_bad_arguments(self):
        with self.assertRaises(TypeError):
            polynomials.besselj(1 + 1j, 2.0)
        with self.assertRaises(TypeError):
            polynomials.besselj(1, "x")
        with self.assertRaises(ValueError):
            polynomials.besselj(np.ones(3), np.ones(2))


class Mie(unittest.TestCase):
    def test_shapes_and_layers(self):
        a, b = mie.coefficients(1.5 + 0.01j, 0.5, 5)
        self.assertEqual((a.shape, b.shape, a.dtype), ((5,), (5,), np.complex128))
        self.assertEqual(mie.coefficients(1.5, 0.5, 0)[0].shape, (0,))
        # One layer, or layers of one material, are the homogeneous sphere.
        one = mie.stratified_coefficients([1.5 + 0.01j], [0.5], 5)
        np.testing.assert_array_equal(one[0], a)
        two = mie.stratified_coefficients([1.5 + 0.01j] * 2, [0.2, 0.5], 5)
        np.testing.assert_allclose(two[0], a, rtol=1e-9)
        pi, tau = mie.harmonics(np.linspace(-1, 1, 12).reshape(3, 4), 6)
        self.assertEqual((pi.shape, tau.shape), ((6, 3, 4), (6, 3, 4)))
        # Order 1 alone (DeepTrack2 2.0.1 raises an IndexError): pi_1 = 1, tau_1 = x.
        pi, tau = mie.harmonics(np.array([0.25, -0.5]), 1)
        np.testing.assert_array_equal(pi, [[1.0, 1.0]])
        np.testing.assert_array_equal(tau, [[0.25, -0.5]])

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "2 refractive indices for 1 radii"):
            mie.stratified_coefficients([1.5, 1.2], [0.5], 3)
        with self.assertRaisesRegex(ValueError, "cannot be negative"):
            mie.coefficients(1.5, 0.5, -1)
        with self.assertRaises(TypeError):
            mie.coefficients(1.5, 0.5, 2.5)
        with self.assertRaises(TypeError):
            mie.harmonics(np.array([0.5j]), 3)


if __name__ == "__main__":
    unittest.main()
