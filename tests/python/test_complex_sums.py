"""`Sum` and `Mean` of complex images over their trailing axes (every axis, or the last ones) sum
each contiguous run of numbers as numpy's pairwise complex sum does: the same bits as numpy for
`Sum` and for `Mean` (numpy divides the complex sum by the count as a complex number, and so does the
library: test_complex_reductions_bits.py), for every axis, keepdims and run lengths around numpy's blocks of 8 and 128 parts."""

import unittest

import numpy as np

import deeptrack_native as dt


class ComplexSums(unittest.TestCase):
    def cases(self):
        rng = np.random.default_rng(3)
        for shape in [(1,), (3,), (4,), (7,), (64,), (65,), (129,), (1000,), (3, 5), (33, 70), (4, 5, 6), (2, 3, 300)]:
            x = rng.normal(size=shape) * 10 + 1j * rng.normal(size=shape) * 3
            axes = [None, *range(len(shape))]
            if len(shape) > 1:
                axes.append((len(shape) - 2, len(shape) - 1))
            for axis in axes:
                for keepdims in (False, True):
                    yield x, axis, keepdims

    def test_sum_is_numpys_to_the_bit(self):
        for x, axis, keepdims in self.cases():
            with self.subTest(shape=x.shape, axis=axis, keepdims=keepdims):
                got = np.asarray(dt.Sum(axis=axis, keepdims=keepdims).resolve(x))
                want = np.sum(x, axis=axis, keepdims=keepdims)
                self.assertEqual(got.shape, np.shape(want))
                self.assertTrue(np.array_equal(got, want), f"{got} against {want}")

    def test_mean_is_numpys_to_the_bit(self):
        for x, axis, keepdims in self.cases():
            with self.subTest(shape=x.shape, axis=axis, keepdims=keepdims):
                got = np.asarray(dt.Mean(axis=axis, keepdims=keepdims).resolve(x))
                want = np.mean(x, axis=axis, keepdims=keepdims)
                self.assertEqual(got.shape, np.shape(want))
                self.assertTrue(np.array_equal(got, want), f"{got} against {want}")


if __name__ == "__main__":
    unittest.main()
