"""`NormalizeStandard` and `NormalizeMinMax` of complex images give DeepTrack2 2.0.1's bits. Its `get`s
are ``(image - np.mean(image)) / np.std(image)`` and ``image / np.ptp(image) * (max - min)``, then
``image - np.min(image) + min`` with NaN numbers set to 0: numpy's complex mean, its deviation (the
mean of ``|z - mean|²``, not the parts' variances added) and its complex division (Smith's method: by
``std + 0j`` is ``(re + im·0)·(1/std)``, not ``re / std``). Checked here against those expressions
(the same bits as DeepTrack2 2.0.1 itself gave for these inputs), and a finite range that overflows is
an error naming the property, as for real images."""

import unittest
import warnings

import numpy as np

import deeptrack_native as dt


def same_bits(a, b):
    """Equal to the bit (NaN where the other is NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    pa, pb = a.view(np.float64), b.view(np.float64)
    nan = np.isnan(pa)
    return np.array_equal(nan, np.isnan(pb)) and np.array_equal(pa[~nan].view(np.uint64), pb[~nan].view(np.uint64))


def images():
    rng = np.random.default_rng(11)
    for shape in [(1,), (7,), (129,), (3, 4, 5), (300, 170), (33, 70)]:
        # Parts of different sizes and an offset, so that rounding shows.
        yield rng.normal(size=shape) * 1e3 + 1j * rng.normal(size=shape) * 7 + (5 - 0.3j)
    yield (rng.normal(size=(16, 16)) + 3j) * 1e-3
    yield rng.normal(size=1000) + 1j * rng.normal(size=1000) * 1e8


def standard(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return (x - np.mean(x)) / np.std(x)


def min_max(x, lo=0, hi=1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = x / np.ptp(x) * (hi - lo)
        y = y - np.min(y) + lo
        y[np.isnan(y)] = 0
        return y


class ComplexNormalizeBits(unittest.TestCase):
    def test_normalize_standard_is_numpys_to_the_bit(self):
        for x in images():
            with self.subTest(shape=x.shape):
                got = np.asarray(dt.NormalizeStandard().resolve(x.copy()))
                self.assertTrue(same_bits(got, standard(x)), f"{x.shape}: largest difference "
                                f"{np.max(np.abs(got - standard(x)))}")

    def test_the_deviation_is_not_the_parts_variances_added(self):
        # The case the summation decides: the sum of |z - mean|² (numpy) differs from var(re) + var(im).
        x = np.array([1e8 + 0.1j, 1e8 + 1j, 1e8 + 0.3j, 1e8 + 1e-3 + 7j, 1e8 - 5e-4 + 0.2j])
        self.assertNotEqual(np.std(x), np.sqrt(np.var(x.real) + np.var(x.imag)))
        got = np.asarray(dt.NormalizeStandard().resolve(x.copy()))
        self.assertTrue(same_bits(got, standard(x)), f"{got!r} against {standard(x)!r}")

    def test_constant_and_special_images(self):
        for x in [np.full((3, 3), 2 + 1j), np.array([1 + 1j, np.nan + 0j, 2j]), np.array([np.inf + 0j, 1j, 2])]:
            with self.subTest(x=x.tolist()):
                self.assertTrue(same_bits(np.asarray(dt.NormalizeStandard().resolve(x.copy())), standard(x)))
                self.assertTrue(same_bits(np.asarray(dt.NormalizeMinMax().resolve(x.copy())), min_max(x)))

    def test_normalize_min_max_is_numpys_to_the_bit(self):
        for x in images():
            for lo, hi in [(0, 1), (-1, 3), (2, -5), (0, 1e308), (-1e300, 1e300)]:
                with self.subTest(shape=x.shape, min=lo, max=hi):
                    got = np.asarray(dt.NormalizeMinMax(min=lo, max=hi).resolve(x.copy()))
                    self.assertTrue(same_bits(got, min_max(x, lo, hi)))

    def test_a_range_that_overflows_names_the_property(self):
        # DeepTrack2 2.0.1 returns infinities; as for real images, finite parameters that alone make
        # the image infinite are an error naming the larger one.
        x = np.array([[1 + 2j, 3 - 1j], [0.5j, 2 + 0j]])
        for (lo, hi), key in [((1e308, 2e307), "min"), ((-1e308, 1.7e308), "max")]:
            with self.subTest(min=lo, max=hi):
                with self.assertRaises(ValueError) as caught:
                    dt.NormalizeMinMax(min=lo, max=hi).resolve(x.copy())
                self.assertIn(f"property '{key}' of feature 'NormalizeMinMax': the normalised range", str(caught.exception))
                # The same parameters on the real parts: the same error.
                with self.assertRaises(ValueError) as real:
                    dt.NormalizeMinMax(min=lo, max=hi).resolve(x.real.copy())
                self.assertEqual(str(real.exception), str(caught.exception))
        # A constant image stays finite (DeepTrack2's NaN become 0).
        flat = np.full((2, 2), 1 + 1j)
        self.assertTrue(np.isfinite(np.asarray(dt.NormalizeMinMax(min=1e308).resolve(flat))).all())


if __name__ == "__main__":
    unittest.main()
