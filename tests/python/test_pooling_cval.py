"""The poolings' ``cval``: the value skimage's ``block_reduce`` pads the axes that do not divide with,
which DeepTrack2 2.0.1 passes on (``AveragePooling(ksize=2, cval=10.0)``). The expected values are
DeepTrack2 2.0.1's outputs for the same images."""

import unittest

import numpy as np

import deeptrack_native as dt


class PoolingCval(unittest.TestCase):
    def test_an_integer_image_is_padded_with_cval_in_its_type(self):
        # skimage's np.pad casts cval to the image's type: 3.5 pads int32 with 3, -2 uint8 with 254.
        # The values are DeepTrack2 2.0.1's (whose Min/MaxPooling keep the integer type).
        xi = (np.arange(35).reshape(5, 7) * 3).astype(np.int32)
        self.assertEqual(np.asarray(dt.MinPooling(ksize=2, cval=3.5).resolve(xi))[:, -1].tolist(), [3, 3, 3])
        self.assertEqual(np.asarray(dt.SumPooling(ksize=2, cval=3.5).resolve(xi))[:, -1].tolist(), [63, 147, 111])
        pooled = dt.Pool(pooling_function=np.sum, ksize=2, cval=3.5).resolve(xi)
        self.assertEqual(np.asarray(pooled)[:, -1].tolist(), [63, 147, 111])
        xu = np.arange(35, dtype=np.uint8).reshape(5, 7)
        pooled = dt.Pool(pooling_function=np.max, ksize=2, cval=-2).resolve(xu)
        self.assertEqual(np.asarray(pooled)[:, -1].tolist(), [254, 254, 254])
        pooled = dt.MaxPooling(ksize=2, cval=-2).resolve(xu.astype(np.float64))  # a float image: as given
        self.assertEqual(np.asarray(pooled)[:, -1].tolist(), [13, 27, 34])

    def test_a_cval_no_integer_holds_is_an_error_naming_it(self):
        xi = np.arange(35, dtype=np.int32).reshape(5, 7)
        with self.assertRaisesRegex(Exception, "cval.*does not fit the image's int32 samples"):
            dt.Pool(pooling_function=np.sum, ksize=2, cval=1e300).resolve(xi)

    def setUp(self):
        self.x = np.arange(15.0).reshape(3, 5) - 4

    def test_every_pooling_pads_with_cval(self):
        expected = {
            "AveragePooling": [[-1.0, 1.0, 6.25], [8.25, 9.25, 10.0]],
            "MaxPooling": [[2.0, 4.0, 10.0], [10.0, 10.0, 10.0]],
            "MinPooling": [[-4.0, -2.0, 0.0], [6.0, 8.0, 10.0]],
            "MedianPooling": [[-1.0, 1.0, 7.5], [8.5, 9.5, 10.0]],
        }
        for name, values in expected.items():
            with self.subTest(name):
                pool = getattr(dt, name)(ksize=2, cval=10.0)
                pool.store_properties()
                out = pool(dt.Image(self.x))
                np.testing.assert_allclose(np.asarray(out), values, rtol=1e-15, atol=0)
                self.assertEqual(
                    [list(d.items()) for d in out.properties], [[("ksize", 2), ("cval", 10.0), ("name", name)]]
                )

    def test_cval_with_a_size_per_axis(self):
        np.testing.assert_array_equal(dt.MinPooling(ksize=(2, 3), cval=-50.0)(self.x), [[-4.0, -50.0], [-50.0, -50.0]])

    def test_sum_pooling_counts_each_padding_sample(self):
        # 2.0.2's SumPooling is block_reduce with np.sum: a block holding 3 padding samples adds 3 cval.
        out = dt.SumPooling(ksize=2, cval=1.5)(self.x)
        padded = np.pad(self.x, ((0, 1), (0, 1)), constant_values=1.5)
        np.testing.assert_allclose(out, padded.reshape(2, 2, 3, 2).sum(axis=(1, 3)), rtol=1e-15)

    def test_complex_images_pad_with_cval_plus_0j(self):
        z = self.x + 1j * self.x[::-1]
        expected = {
            "AveragePooling": [[-1 + 4j, 1 + 6j, 2.75 + 3.75j], [4.75 - 1.75j, 5.75 - 0.75j, 4.75 + 0j]],
            "MaxPooling": [[2 + 2j, 4 + 4j, 5 + 5j], [7 - 3j, 9 - 1j, 10 + 0j]],
            "MinPooling": [[-4 + 6j, -2 + 8j, 10j], [3 + 0j, 3 + 0j, 3 + 0j]],
            "MedianPooling": [[-1 + 4j, 1 + 6j, 3 + 0j], [4.5 - 2j, 5.5 - 1j, 3 + 0j]],
        }
        for name, values in expected.items():
            with self.subTest(name):
                np.testing.assert_allclose(getattr(dt, name)(ksize=2, cval=3.0)(z), values, rtol=1e-15, atol=0)

    def test_without_cval_the_padding_is_zero_and_not_a_property(self):
        pool = dt.AveragePooling(ksize=2)
        pool.store_properties()
        out = pool(dt.Image(self.x))
        np.testing.assert_allclose(np.asarray(out), [[-1.0, 1.0, 1.25], [3.25, 4.25, 2.5]], rtol=1e-15)
        self.assertEqual(list(out.properties[0]), ["ksize", "name"])


if __name__ == "__main__":
    unittest.main()
