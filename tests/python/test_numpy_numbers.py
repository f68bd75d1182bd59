"""Numbers in numpy's other spellings are numbers: wherever a parameter reads a number (an element of a
sequence parameter included), a 0-d numpy array is that number and a bool is 1 or 0, as DeepTrack2
2.0.1 computes with them (numpy's and Python's arithmetic). The expected arrays are 2.0.1's outputs
for the same pipelines on `np.arange(12.0).reshape(3, 4)`. Flags stay flags, and an integer parameter
given a non-integral 0-d float is still refused."""

import unittest

import numpy as np

import deeptrack_native as dt


def _x():
    return np.arange(12.0).reshape(3, 4)


class ZeroDArraysInSequences(unittest.TestCase):
    def check(self, feature, expected):
        out = np.asarray(feature.resolve(_x()))
        np.testing.assert_array_equal(out, np.array(expected, dtype=float))

    def test_pad_px(self):
        self.check(
            dt.Pad(px=(np.array(2), 1, 1, np.array(0))),
            [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 2, 3], [0, 4, 5, 6, 7], [0, 8, 9, 10, 11], [0, 0, 0, 0, 0]],
        )

    def test_crop_sizes_and_corner(self):
        self.check(
            dt.Crop(crop=(np.array(2), np.array(3)), corner=(np.array(1), np.array(1))),
            [[5, 6, 7], [9, 10, 11]],
        )

    def test_pooling_ksize(self):
        self.check(dt.AveragePooling(ksize=(np.array(1), 2)), [[0.5, 2.5], [4.5, 6.5], [8.5, 10.5]])

    def test_pad_to_multiples_of(self):
        self.check(
            dt.PadToMultiplesOf(multiple=(np.array(2), 3)),
            [[0, 0, 1, 2, 3, 0], [0, 4, 5, 6, 7, 0], [0, 8, 9, 10, 11, 0], [0, 0, 0, 0, 0, 0]],
        )

    def test_one_of_key(self):
        self.check(
            dt.OneOf([dt.Add(value=10), dt.Add(value=20)], key=np.array(0)),
            [[10, 11, 12, 13], [14, 15, 16, 17], [18, 19, 20, 21]],
        )

    def test_a_ragged_element_is_refused(self):
        # numpy cannot make one array of (np.zeros(1), 1, 1, 1) either.
        with self.assertRaisesRegex(dt.TypeMismatchError, "property 'px' of feature 'Pad': expected a number, got an array"):
            dt.Pad(px=(np.zeros(1), 1, 1, 1))


class BoolsAreOneOrZero(unittest.TestCase):
    def check(self, feature, expected):
        out = np.asarray(feature.resolve(_x()))
        np.testing.assert_array_equal(out, np.array(expected, dtype=float))

    def test_probability_true_always_applies(self):
        self.check(dt.Probability(dt.Add(value=1), probability=True), _x() + 1)
        self.check(dt.Probability(dt.Add(value=1), probability=False), _x())

    def test_arithmetic_operands(self):
        self.check(dt.Add(value=True), _x() + 1)
        self.check(dt.Multiply(value=False), np.zeros((3, 4)))

    def test_clip_bounds(self):
        self.check(dt.Clip(min=True, max=np.array(5)), [[1, 1, 2, 3], [4, 5, 5, 5], [5, 5, 5, 5]])

    def test_gaussian_blur_sigma(self):
        out = np.asarray(dt.GaussianBlur(sigma=True).resolve(_x()))
        np.testing.assert_allclose(out, np.asarray(dt.GaussianBlur(sigma=1).resolve(_x())), rtol=0, atol=0)
        # 2.0.1's first row, rounded to 6 decimals.
        np.testing.assert_allclose(out[0], [2.115202, 2.751418, 3.625173, 4.261388], atol=1e-6)

    def test_in_sequences(self):
        self.check(
            dt.Pad(px=(True, False, 1, 0)),
            [[0, 0, 0, 0, 0], [0, 0, 1, 2, 3], [0, 4, 5, 6, 7], [0, 8, 9, 10, 11]],
        )
        self.check(
            dt.PadToMultiplesOf(multiple=(True, np.array(3))),
            [[0, 0, 1, 2, 3, 0], [0, 4, 5, 6, 7, 0], [0, 8, 9, 10, 11, 0]],
        )

    def test_a_bool_where_a_size_or_sigma_is(self):
        self.check(dt.Crop(crop=True, corner=(0, 0)), [[0]])
        out = np.asarray(dt.GaussianBlur(sigma=True).resolve(_x()))
        np.testing.assert_array_equal(out, np.asarray(dt.GaussianBlur(sigma=1).resolve(_x())))

    def test_integer_index(self):
        self.check(
            dt.OneOf([dt.Add(value=10), dt.Add(value=20)], key=True),
            [[20, 21, 22, 23], [24, 25, 26, 27], [28, 29, 30, 31]],
        )


class WhatStaysAsItWas(unittest.TestCase):
    def test_flags_stay_flags(self):
        out = np.asarray(dt.Sum(axis=0, keepdims=True).resolve(_x()))
        np.testing.assert_array_equal(out, [[12, 15, 18, 21]])
        with self.assertRaisesRegex(dt.TypeMismatchError, "property 'keepdims' of feature 'Sum': expected a bool"):
            dt.Sum(axis=0, keepdims=np.array(1.5))

    def test_an_integer_parameter_refuses_a_non_integral_0d_float(self):
        with self.assertRaisesRegex(dt.InvalidArgumentError, "property 'key' of feature 'OneOf'"):
            dt.OneOf([dt.Add(value=10), dt.Add(value=20)], key=np.array(0.5))
        with self.assertRaisesRegex(dt.InvalidArgumentError, "property 'px' of feature 'Pad'"):
            dt.Pad(px=(np.array(1.5), 1, 1, 1))


if __name__ == "__main__":
    unittest.main()
