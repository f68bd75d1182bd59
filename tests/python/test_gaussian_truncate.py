"""``GaussianBlur``'s ``truncate``: DeepTrack2 2.0.1 passes it on to scipy's ``gaussian_filter``
(the kernel's radius ``int(truncate * sigma + 0.5)``). The expected values are 2.0.1's outputs."""

import unittest

import numpy as np

import deeptrack_native as dt


class GaussianBlurTruncate(unittest.TestCase):
    def setUp(self):
        self.x = np.arange(12.0).reshape(3, 4) ** 2 % 7

    def test_truncate_cuts_the_kernel(self):
        blur = dt.GaussianBlur(sigma=1.5, truncate=1.0)
        blur.store_properties()
        out = blur(dt.Image(self.x))
        expected = [
            [1.616791436834041, 1.7866851611654286, 1.9112806478624527, 1.9253995226245038],
            [1.8234823669598925, 1.9252580027609416, 2.0065885628522904, 1.952589349084003],
            [2.1637945781503025, 2.096148556715479, 2.0077013429974118, 1.784280471993252],
        ]
        np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-14, atol=0)
        # 2.0.1's dict holds borderType where this one holds mode and cval (see the README).
        self.assertEqual(out.properties[0]["truncate"], 1.0)
        self.assertEqual(list(dt.GaussianBlur(sigma=1.5).properties), ["sigma", "mode", "cval", "name"])

    def test_a_zero_truncate_is_a_kernel_of_one_tap(self):
        np.testing.assert_array_equal(dt.GaussianBlur(sigma=1.0, truncate=0.0)(self.x), self.x)

    def test_the_default_is_four_deviations(self):
        np.testing.assert_array_equal(dt.GaussianBlur(sigma=1.0, truncate=4.0)(self.x), dt.GaussianBlur(sigma=1.0)(self.x))
        self.assertFalse(np.array_equal(dt.GaussianBlur(sigma=1.0, truncate=1.0)(self.x), dt.GaussianBlur(sigma=1.0)(self.x)))

    def test_a_kernel_too_wide_is_an_error_naming_truncate(self):
        with self.assertRaisesRegex(ValueError, "truncate"):
            dt.GaussianBlur(sigma=1e6, truncate=100.0)(self.x)


if __name__ == "__main__":
    unittest.main()
