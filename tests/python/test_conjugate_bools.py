"""``Conjugate`` of bools: numpy has no conjugate of bools and conjugates them as int8, which
DeepTrack2 2.0.1 returns."""

import unittest

import numpy as np

import deeptrack_native as dt


class ConjugateOfBools(unittest.TestCase):
    def test_bools_conjugate_as_int8(self):
        out = dt.Conjugate()(np.array([True, False]))
        self.assertEqual(out.dtype, np.int8)
        np.testing.assert_array_equal(out, [1, 0])

    def test_other_real_types_keep_theirs(self):
        for dtype in (np.uint8, np.int16, np.float32, np.float64):
            with self.subTest(dtype=dtype):
                self.assertEqual(dt.Conjugate()(np.array([1, 2], dtype=dtype)).dtype, dtype)


if __name__ == "__main__":
    unittest.main()
