"""``Blur(filter_function)`` and ``Pool(pooling_function, ksize)``: registry kinds whose function is a
Python callable (a C callback), numpy's reductions recognised and computed natively, errors raised by
the callable re-raised as they are."""

import inspect
import unittest

import numpy as np
from scipy.ndimage import gaussian_filter, uniform_filter

import deeptrack_native as dt
import deeptrack_native.math


def _block_reduce(x, k, fn):
    """skimage's block_reduce with zero padding, written out with numpy (skimage may be absent)."""
    k = (k,) * x.ndim if np.isscalar(k) else tuple(k)
    pad = [(0, (-n) % b) for n, b in zip(x.shape, k)]
    y = np.pad(x, pad)
    shape = [s for n, b in zip(y.shape, k) for s in (n // b, b)]
    return fn(y.reshape(shape), axis=tuple(range(1, 2 * x.ndim, 2)))


class Blur(unittest.TestCase):
    def setUp(self):
        self.x = np.random.default_rng(4).normal(size=(11, 9))

    def test_a_lambda_filter_receives_the_image_and_the_properties_it_names(self):
        blur = dt.Blur(lambda input, factor, mode: input * factor + (mode == "reflect"), factor=3)
        np.testing.assert_array_equal(blur.resolve(self.x), self.x * 3 + 1)
        self.assertEqual(list(blur.properties), ["mode", "factor", "name"])
        self.assertIs(dt.math.Blur, dt.Blur)

    def test_scipy_gaussian_filter_as_the_filter(self):
        sigma = dt.Blur(gaussian_filter, sigma=lambda: 1.5)
        np.testing.assert_allclose(sigma.resolve(self.x), gaussian_filter(self.x, 1.5), rtol=0, atol=1e-15)
        constant = dt.Blur(gaussian_filter, mode="constant", sigma=2)
        np.testing.assert_allclose(constant.resolve(self.x), gaussian_filter(self.x, 2, mode="constant"), atol=1e-15)

    def test_errors_of_the_filter_are_reraised(self):
        class Mine(Exception):
            pass

        def fail(input):
            raise Mine("no")

        with self.assertRaises(Mine):
            dt.Blur(fail).resolve(self.x)
        with self.assertRaisesRegex(TypeError, "filter_function must be callable"):
            dt.Blur(3)


class Pool(unittest.TestCase):
    def setUp(self):
        self.x = np.random.default_rng(5).normal(size=(13, 10, 3))

    def test_numpy_reductions_run_natively_and_match_numpy(self):
        for fn in (np.mean, np.sum, np.max, np.min, np.median):
            for ksize in (2, 3, (4, 3, 1)):
                with self.subTest(fn=fn.__name__, ksize=ksize):
                    out = np.asarray(dt.Pool(fn, ksize=ksize).resolve(self.x))
                    expected = _block_reduce(self.x, ksize, fn)
                    self.assertEqual(out.shape, expected.shape)
                    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
        # The native path is the statistics kind (no Python call per block).
        self.assertEqual(type(dt.Pool(np.mean)._refs[0]).__name__, "Mean")

    def test_a_function_taking_axis_is_called_once_as_skimage_calls_it(self):
        # DeepTrack2's Pool calls skimage's block_reduce, which calls the function once, on the view
        # of the zero-padded image's blocks, (n..., k...), with axis the block axes.
        calls = []

        def ptp(blocks, axis):
            # numpy's strides (of the axes longer than one: the others' do not matter).
            strides = tuple(s for s, d in zip(blocks.strides, blocks.shape) if d > 1)
            calls.append((blocks.shape, strides, axis, blocks.flags.writeable))
            return np.ptp(blocks, axis=axis)

        for ksize, padded in ((2, (14, 10, 4)), ((4, 5, 1), (16, 10, 3)), (1, (13, 10, 3))):
            calls.clear()
            out = dt.Pool(ptp, ksize=ksize).resolve(self.x)
            np.testing.assert_array_equal(out, _block_reduce(self.x, ksize, np.ptp))
            k = (ksize,) * 3 if np.isscalar(ksize) else ksize
            n = tuple(p // b for p, b in zip(padded, k))
            # One call, with a strided view of the padded image (numpy's view_as_blocks strides).
            c = (padded[1] * padded[2] * 8, padded[2] * 8, 8)
            strides = tuple(c[a] * k[a] for a in range(3)) + c
            strides = tuple(s for s, d in zip(strides, n + k) if d > 1)
            self.assertEqual(calls, [(n + k, strides, (3, 4, 5), False)])
        # The image itself when the sizes divide: no copy of it.
        views = []
        dt.Pool(lambda blocks, axis: views.append(blocks) or blocks.sum(axis=axis), ksize=(13, 5, 3)).resolve(self.x)
        self.assertEqual(views[0].shape, (1, 2, 1, 13, 5, 3))
        self.assertTrue(np.shares_memory(views[0], self.x))

    def test_a_custom_function_is_called_per_block(self):
        ptp = dt.Pool(lambda block, axis: np.ptp(block, axis=axis), ksize=2)
        np.testing.assert_allclose(ptp.resolve(self.x), _block_reduce(self.x, 2, np.ptp), rtol=1e-12)
        # A function without axis gets the block.
        rms = dt.Pool(lambda block: np.sqrt((block**2).mean()), ksize=(3, 2, 3))
        expected = np.sqrt(_block_reduce(self.x**2, (3, 2, 3), np.mean))
        np.testing.assert_allclose(rms.resolve(self.x), expected, rtol=1e-12)
        self.assertEqual(list(ptp.properties), ["ksize", "name"])
        self.assertEqual(list(inspect.signature(dt.Pool).parameters)[:2], ["pooling_function", "ksize"])

    def test_cval_pads_the_blocks_that_do_not_fit_as_deeptrack2_does(self):
        # DeepTrack2 2.0.1's Pool passes cval to skimage's block_reduce; values from 2.0.1.
        x = np.arange(1.0, 10.0).reshape(3, 3)
        expected = {
            np.sum: [[12, 19], [25, 24]],
            np.mean: [[3, 4.75], [6.25, 6]],
            np.max: [[5, 6], [8, 9]],
            np.min: [[1, 3], [5, 5]],
            np.median: [[3, 5], [6, 5]],
        }
        for fn, values in expected.items():
            with self.subTest(fn=fn.__name__):
                pool = dt.Pool(fn, ksize=2, cval=5)
                np.testing.assert_array_equal(pool.resolve(x), values)
                self.assertEqual(list(pool.properties), ["ksize", "cval", "name"])
        # A function of all blocks at once, and one called per block, see the padding.
        sum_of_squares = dt.Pool(lambda b, axis: np.sum(b * b, axis=axis), ksize=2, cval=-2)
        np.testing.assert_array_equal(sum_of_squares.resolve(x), [[46, 53], [121, 93]])
        per_block = dt.Pool(lambda b: np.sum(b * b), ksize=2, cval=-2)
        np.testing.assert_array_equal(per_block.resolve(x), [[46, 53], [121, 93]])
        np.testing.assert_array_equal(dt.Pool(np.sum, ksize=2, cval=-2).resolve(np.arange(5.0)), [1, 5, 2])
        # Complex images are padded with cval + 0j.
        c = x + 1j * x[::-1]
        complex_expected = {
            np.sum: [[12 + 24j, 19 + 15j], [25 + 3j, 24 + 3j]],
            np.mean: [[3 + 6j, 4.75 + 3.75j], [6.25 + 0.75j, 6 + 0.75j]],
            np.max: [[5 + 5j, 6 + 6j], [8 + 2j, 9 + 3j]],
            np.median: [[3 + 6j, 5 + 0j], [6 + 0.5j, 5 + 0j]],
        }
        for fn, values in complex_expected.items():
            with self.subTest(fn=fn.__name__, dtype="complex"):
                np.testing.assert_array_equal(dt.Pool(fn, ksize=2, cval=5).resolve(c), values)
        complex_blocks = dt.Pool(lambda b, axis: np.sum(b, axis=axis), ksize=2, cval=5)
        np.testing.assert_array_equal(complex_blocks.resolve(c), complex_expected[np.sum])
        with self.assertRaisesRegex(ValueError, "cval"):
            dt.Pool(np.sum, ksize=2, cval=np.inf)

    def test_errors_of_the_function_are_reraised(self):
        def fail(block, axis):
            raise KeyError("block")

        with self.assertRaises(KeyError):
            dt.Pool(fail, ksize=2).resolve(self.x)
        with self.assertRaisesRegex(
            dt.CallbackError, r"pooling_function.*shape \[7, 5, 2, 2, 2, 2\] for the blocks; expected one value per block, shape \[7, 5, 2\]"
        ):
            dt.Pool(lambda blocks, axis: blocks, ksize=2).resolve(self.x)
        with self.assertRaisesRegex(dt.CallbackError, "pooling_function.*4 values for a block; expected one"):
            dt.Pool(lambda block: block, ksize=2).resolve(self.x[:, :, 0])
        with self.assertRaisesRegex(TypeError, "pooling_function must be callable"):
            dt.Pool(3)


if __name__ == "__main__":
    unittest.main()


class _Unreadable:
    """A callable whose signature cannot be read, as OpenCV's functions (built-ins): records the keywords
    it is given and returns ``src`` plus ``borderType`` times ``gain``."""

    def __init__(self):
        self.given = []

    @property
    def __signature__(self):
        raise ValueError("no signature found for builtin")

    def __call__(self, **keywords):
        self.given.append(sorted(keywords))
        return keywords["src"] + keywords["borderType"] * keywords["gain"]


class BlurCV2(unittest.TestCase):
    """2.0.1's ``BlurCV2`` cannot be constructed (``object.__new__(): not enough arguments``, and its
    default mode is misspelt "refelct"): ours calls the filter as it evidently means to, with ``src``,
    ``dst`` and OpenCV's ``borderType`` for ``mode``."""

    def setUp(self):
        self.x = np.random.default_rng(6).normal(size=(7, 6))

    def test_each_mode_is_given_as_opencvs_border_type(self):
        seen = []

        def record(src, dst, borderType):
            seen.append(borderType)
            return src + 1

        self.assertIs(dt.math.BlurCV2, dt.BlurCV2)
        for mode, border in (("reflect", 2), ("wrap", 3), ("constant", 0), ("mirror", 4), ("nearest", 1)):
            np.testing.assert_array_equal(dt.BlurCV2(record, mode).resolve(self.x), self.x + 1)
            self.assertEqual(seen[-1], border)
        np.testing.assert_array_equal(dt.BlurCV2(record).resolve(self.x), self.x + 1)
        self.assertEqual(seen[-1], 2)

    def test_a_filter_writing_into_dst_gives_dst_and_the_properties_it_names(self):
        def box(src, dst, borderType, size):
            dst[...] = uniform_filter(src, size, mode={2: "reflect", 0: "constant"}[borderType])

        blur = dt.BlurCV2(box, size=lambda: 3)
        np.testing.assert_allclose(blur.resolve(self.x), uniform_filter(self.x, 3, mode="reflect"), rtol=0, atol=1e-15)
        self.assertEqual(list(blur.properties), ["mode", "size", "name"])
        constant = dt.BlurCV2(box, mode="constant", size=3)
        np.testing.assert_allclose(constant.resolve(self.x), uniform_filter(self.x, 3, mode="constant"), atol=1e-15)
        # The input itself is not written.
        before = self.x.copy()
        dt.BlurCV2(box, size=3).resolve(self.x)
        np.testing.assert_array_equal(self.x, before)

    def test_a_function_without_a_signature_gets_src_dst_border_type_and_the_given_properties(self):
        fn = _Unreadable()
        out = dt.BlurCV2(fn, "wrap", gain=0.5).resolve(self.x)
        np.testing.assert_array_equal(out, self.x + 1.5)
        self.assertEqual(fn.given, [["borderType", "dst", "gain", "src"]])

    def test_bad_filters_and_modes_are_refused(self):
        with self.assertRaisesRegex(TypeError, "BlurCV2: filter_function must be callable"):
            dt.BlurCV2(3)
        with self.assertRaisesRegex(Exception, "property 'mode' of feature 'BlurCV2'.*'reflect', 'wrap'"):
            dt.BlurCV2(lambda src: src, mode="refelct").resolve(self.x)
