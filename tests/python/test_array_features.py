"""The array features through the Python API: classes generated from the registry with DeepTrack2's
signatures and aliases, numpy-compatible results, errors naming the property, and ``Blur`` with a
Python filter."""

import inspect
import unittest

import numpy as np
from scipy.ndimage import uniform_filter

import deeptrack_native as dt


class ArrayFeatures(unittest.TestCase):
    def setUp(self):
        self.x = np.arange(24.0).reshape(2, 3, 4) % 5

    def test_signatures_and_aliases_are_deeptrack2s(self):
        self.assertIs(dt.Permute, dt.Transpose)
        self.assertIs(dt.ExpandDims, dt.Unsqueeze)
        self.assertEqual(list(inspect.signature(dt.MoveAxis).parameters)[:2], ["source", "destination"])
        self.assertEqual(inspect.signature(dt.Unsqueeze).parameters["axis"].default, -1)
        self.assertEqual(inspect.signature(dt.AsType).parameters["dtype"].default, "float64")
        self.assertEqual(inspect.signature(dt.NormalizeQuantile).parameters["quantiles"].default, (0.25, 0.75))

    def test_shapes_and_types_follow_numpy(self):
        x = self.x
        np.testing.assert_array_equal(dt.Transpose(axes=(2, 0, 1)).resolve(x), np.transpose(x, (2, 0, 1)))
        np.testing.assert_array_equal(dt.MoveAxis(0, -1).resolve(x), np.moveaxis(x, 0, -1))
        np.testing.assert_array_equal(dt.Squeeze().resolve(x[:, :1]), np.squeeze(x[:, :1]))
        self.assertEqual(np.asarray(dt.ExpandDims(axis=(0, 2)).resolve(x)).shape, (1, 2, 1, 3, 4))
        self.assertEqual(np.asarray(dt.ChannelFirst2d().resolve(x)).shape, (4, 2, 3))
        y = np.array([-1.7, 300.2, 2.5, 70000.9])
        for dtype in ("int8", "uint8", "int16", "uint16", "float32", "float16", "bool"):
            with np.errstate(over="ignore"):
                expected = y.astype(dtype).astype(np.float64)
            np.testing.assert_array_equal(dt.AsType(dtype=dtype).resolve(y), expected, dtype)
        np.testing.assert_array_equal(dt.OneHot(num_classes=4).resolve(np.array([[3.0], [1.0]])), np.eye(4)[[3, 1]])

    def test_channel_first_2d_reads_axis_only_for_3d_images(self):
        # DeepTrack2 2.0.1 adds the leading axis of a 2-d image without reading `axis`, so None is
        # accepted there; a 3-d image moves `axis`, which None cannot be (2.0.1: a TypeError).
        x2, x3 = np.arange(6.0).reshape(2, 3), np.arange(24.0).reshape(2, 3, 4)
        for axis in (None, -1, 0, 5):
            with self.subTest(axis=axis):
                out = np.asarray(dt.ChannelFirst2d(axis=axis).resolve(x2))
                np.testing.assert_array_equal(out, x2[None])
        np.testing.assert_array_equal(dt.ChannelFirst2d(axis=1).resolve(x3), np.moveaxis(x3, 1, 0))
        with self.assertRaisesRegex(TypeError, "axis"):
            dt.ChannelFirst2d(axis=None).resolve(x3)
        # A value that is not an integer is still refused for a 2-d image.
        with self.assertRaisesRegex(TypeError, "axis"):
            dt.ChannelFirst2d(axis="first").resolve(x2)

    def test_permutations_are_strided_views_of_the_same_memory(self):
        # np.transpose and np.moveaxis are views: so are the results here, with numpy's strides, over
        # the library's memory of the input (read in place: the caller's array itself).
        x = np.arange(24.0).reshape(2, 3, 4)
        cases = [
            (dt.Transpose(), np.transpose(x)),
            (dt.Transpose(axes=(2, 0, 1)), np.transpose(x, (2, 0, 1))),
            (dt.MoveAxis(0, -1), np.moveaxis(x, 0, -1)),
            (dt.ChannelFirst2d(axis=-1), np.moveaxis(x, -1, 0)),
            (dt.Transpose() >> dt.ExpandDims(axis=0), np.expand_dims(np.transpose(x), 0)),
            (dt.Transpose() >> dt.Transpose(), x),
        ]
        for f, expected in cases:
            out = np.asarray(f.resolve(x))
            np.testing.assert_array_equal(out, expected)
            self.assertEqual(out.strides, expected.strides, f)
            self.assertTrue(np.shares_memory(out, x), f)
            self.assertFalse(out.flags.writeable)
        # Kinds computing on a permuted image see it as numpy does; elementwise ones keep its layout.
        t = dt.Transpose(axes=(1, 2, 0))
        abs_out = np.asarray((t >> dt.Abs()).resolve(-x))
        np.testing.assert_array_equal(abs_out, np.abs(np.transpose(-x, (1, 2, 0))))
        self.assertEqual(abs_out.strides, np.abs(np.transpose(-x, (1, 2, 0))).strides)
        np.testing.assert_array_equal((t >> dt.Sum(axis=1)).resolve(x), np.transpose(x, (1, 2, 0)).sum(axis=1))
        np.testing.assert_allclose(
            (t >> dt.GaussianBlur(sigma=1)).resolve(x), (dt.GaussianBlur(sigma=1)).resolve(np.transpose(x, (1, 2, 0)).copy())
        )

    def test_pad_modes_and_statistics_follow_numpy_and_scipy(self):
        x = self.x[0]
        for mode in ("edge", "reflect", "symmetric", "wrap", "mean", "median", "maximum", "minimum"):
            np.testing.assert_array_equal(dt.Pad(px=(2, 1, 0, 3), mode=mode).resolve(x), np.pad(x, ((2, 1), (0, 3)), mode=mode))
        np.testing.assert_array_equal(
            dt.Pad(px=(1, 1, 1, 1), mode="constant", cval=7).resolve(x), np.pad(x, 1, constant_values=7)
        )
        q = np.quantile(x, (0.25, 0.75, 0.5))
        np.testing.assert_array_equal(dt.NormalizeQuantile().resolve(x), (x - q[2]) / (q[1] - q[0]))

    def test_errors_name_the_property(self):
        with self.assertRaisesRegex(dt.InvalidArgumentError, "property 'axis' of feature 'Squeeze': cannot remove axis 0"):
            dt.Squeeze(axis=0).resolve(self.x)
        with self.assertRaisesRegex(dt.InvalidArgumentError, "property 'order' of feature 'Affine': 3 exceeds the maximum of 1"):
            dt.Affine(order=3)
        with self.assertRaisesRegex(dt.InvalidArgumentError, "property 'mode' of feature 'Pad': expected one of"):
            dt.Pad(mode="circular")

    def test_get_on_a_built_in_computes_with_the_given_properties(self):
        # DeepTrack2 2.0.1's test_ChannelFirst2d and test_OneHot call get directly.
        self.assertEqual(np.asarray(dt.ChannelFirst2d().get(np.zeros((10, 20)), axis=-1)).shape, (1, 10, 20))
        np.testing.assert_array_equal(dt.OneHot(num_classes=3).get(np.array([0, 1, 2]), num_classes=3), np.eye(3))
        clip = dt.Clip(min=0, max=1)
        np.testing.assert_array_equal(clip.get(np.array([-2.0, 5.0]), min=-1, max=2), [-1, 2])
        self.assertEqual(clip.max(), 1)

    def test_blur_calls_the_filter_with_the_properties_it_names(self):
        # DeepTrack2 2.0.1's test_Blur.
        image = np.array([[1, 2], [3, 4]], dtype=float)
        np.testing.assert_array_equal(dt.Blur(filter_function=uniform_filter, size=2).resolve(image), [[1, 1.5], [2, 2.5]])
        # mode reaches the filter (DeepTrack2 2.0.1 drops it).
        out = dt.Blur(uniform_filter, mode="constant", size=3, cval=0.0).resolve(image)
        np.testing.assert_allclose(out, uniform_filter(image, size=3, mode="constant"))
        with self.assertRaisesRegex(TypeError, "filter_function must be callable"):
            dt.Blur(3)


if __name__ == "__main__":
    unittest.main()
