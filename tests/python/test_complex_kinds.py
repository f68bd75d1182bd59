"""Complex images through every kind (issue 13, audit item 4): numpy's (and DeepTrack2 2.0.1's)
complex results for the kinds users apply to fields, a clear error naming the kind for the others,
and never the library's interleaved representation (a real array with a trailing axis of 2)."""

import unittest
import warnings

import numpy as np
from scipy import ndimage

import deeptrack_native as dt
from deeptrack_native.features import registry

RNG = np.random.RandomState(0)
A = RNG.randn(4, 5) + 1j * RNG.randn(4, 5)
A3 = RNG.randn(3, 4, 5) + 1j * RNG.randn(3, 4, 5)


def close(test, got, want, rtol=1e-12):
    got, want = np.asarray(got), np.asarray(want)
    test.assertEqual((got.dtype, got.shape), (want.dtype, want.shape))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(1.0, float(np.nanmax(np.abs(want)))))


class NoKindLeaksTheParts(unittest.TestCase):
    def test_every_kind_gives_numbers_or_refuses_by_name(self):
        # Every kind of the registry built with its defaults and given a complex image: its result is
        # complex, or real of the image's shape of numbers (never with an extra trailing axis of 2),
        # or an error; a refusal of complex images names the kind.
        leaks, checked = [], 0
        for kind in registry():
            cls = None
            for module in (dt.features, dt.math, dt.augmentations, dt.noises, dt.elementwise, dt.statistics,
                           dt.optics, dt.holography):
                cls = getattr(module, kind["name"], None) or cls
            if cls is None:
                continue
            try:
                feature = cls()
            except Exception:
                continue  # a required parameter or sub-feature
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = feature.resolve(A.copy())
            except Exception as e:
                if "complex" in str(e) and "does not accept complex" in str(e):
                    self.assertIn(kind["name"], str(e))
                continue
            checked += 1
            out = np.asarray(out)
            if out.dtype.kind != "c" and out.ndim >= 1 and out.shape[-1] == 2 and out.shape != (2,):
                leaks.append((kind["name"], out.dtype, out.shape))
        self.assertEqual(leaks, [])
        self.assertGreater(checked, 40)

    def test_a_refusal_names_the_kind_and_says_why(self):
        with self.assertRaises(dt.TypeMismatchError) as cm:
            dt.MedianBlur(ksize=3).resolve(A.copy())
        self.assertIn("feature 'MedianBlur': MedianBlur does not accept complex images (got a complex image of "
                      "shape [4, 5])", str(cm.exception))
        for kind, message in ((dt.Floor(), "numpy's floor is not defined for complex numbers"),
                              (dt.Ceil(), "numpy's ceil is not defined for complex numbers"),
                              (dt.Quantile(q=0.5), "numpy's quantile needs an array of real numbers"),
                              (dt.FloorDivide(value=2), "FloorDivide does not accept complex images")):
            with self.assertRaises(dt.TypeMismatchError) as cm:
                kind.resolve(A.copy())
            self.assertIn(message, str(cm.exception))
        # An empty complex image too, as numpy (2.0.1) refuses the type, not the numbers.
        for kind in (dt.Floor(), dt.Ceil()):
            with self.assertRaises(dt.TypeMismatchError):
                kind.resolve(np.zeros((0, 5), complex))


class ShapeAndViews(unittest.TestCase):
    def test_flips_permutations_and_reshapes_act_on_the_numbers(self):
        f = dt.features
        cases = [
            (dt.FlipLR(p=1), A3, A3[:, ::-1]),
            (dt.FlipUD(p=1), A3, A3[::-1]),
            (dt.FlipDiagonal(p=1), A3, np.swapaxes(A3, 0, 1)),
            (f.Transpose(), A3, A3.T),
            (f.Transpose(axes=(1, 0, 2)), A3, np.transpose(A3, (1, 0, 2))),
            (f.MoveAxis(source=0, destination=-1), A3, np.moveaxis(A3, 0, -1)),
            (f.Squeeze(), A3[:1], A3[0]),
            (f.Unsqueeze(axis=-1), A, A[..., None]),
            (f.ExpandDims(axis=0), A, A[None]),
            (dt.Crop(crop=(2, 3), corner=(1, 1)), A, A[1:3, 1:4]),
        ]
        for feature, x, want in cases:
            with self.subTest(feature=type(feature).__name__):
                close(self, feature.resolve(x.copy()), want)

    def test_a_random_crop_takes_one_window_for_both_parts(self):
        out = np.asarray(dt.Crop(crop=(2, 3)).resolve(A.copy()))
        windows = [A[r:r + 2, c:c + 3] for r in range(3) for c in range(3)]
        self.assertTrue(any(np.array_equal(out, w) for w in windows))

    def test_slices_index_the_numbers(self):
        close(self, dt.Value(A3.copy())[1:, ::-1, 2].resolve(), A3[1:, ::-1, 2])
        close(self, dt.Value(A3.copy())[..., 1].resolve(), A3[..., 1])

    def test_pad_pads_with_cval_plus_0j(self):
        close(self, dt.Pad(px=(1, 2, 0, 1)).resolve(A.copy()), np.pad(A, ((1, 2), (0, 1))))
        close(self, dt.Pad(px=(1, 1, 1, 1), cval=2).resolve(A.copy()), np.pad(A, 1, constant_values=2))
        close(self, dt.Pad(px=(1, 2, 0, 1), mode="reflect").resolve(A.copy()), np.pad(A, ((1, 2), (0, 1)), "reflect"))


class Statistics(unittest.TestCase):
    def test_reductions_are_numpys(self):
        s = dt.statistics
        ops = {"Sum": np.sum, "Mean": np.mean, "Prod": np.prod, "Max": np.max, "Min": np.min,
               "PeakToPeak": np.ptp, "Std": np.std, "Variance": np.var, "Median": np.median}
        for name, fn in ops.items():
            for axis in (0, 1, None, (0, 2), -1):
                for keepdims in (False, True):
                    with self.subTest(kind=name, axis=axis, keepdims=keepdims):
                        got = getattr(s, name)(axis=axis, keepdims=keepdims).resolve(A3.copy())
                        close(self, got, fn(A3, axis=axis, keepdims=keepdims))
        for axis in (0, 1, -1, None):
            close(self, s.Cumsum(axis=axis).resolve(A3.copy()), np.cumsum(A3, axis=axis))

    def test_ties_of_real_parts_order_by_the_imaginary_part(self):
        x = np.array([[1 + 2j, 1 - 5j, -3 + 9j], [1 + 3j, 0 + 0j, -3 - 9j]])
        for name, fn in (("Max", np.max), ("Min", np.min), ("Median", np.median), ("PeakToPeak", np.ptp)):
            for axis in (0, 1, None):
                close(self, getattr(dt.statistics, name)(axis=axis).resolve(x.copy()), fn(x, axis=axis))

    def test_not_distributed_stacks_the_complex_images(self):
        got = dt.statistics.Sum(axis=0, distributed=False).resolve([A.copy(), 2 * A.copy()])
        close(self, got, np.sum([A, 2 * A], axis=0))


class Filters(unittest.TestCase):
    def test_blurs_and_poolings_are_scipys_and_skimages(self):
        for sigma in (0.5, 1, 2):
            close(self, dt.GaussianBlur(sigma=sigma).resolve(A.copy()), ndimage.gaussian_filter(A, sigma))
        close(self, dt.GaussianBlur(sigma=1, mode="constant", cval=2).resolve(A.copy()),
              ndimage.gaussian_filter(A, 1, mode="constant", cval=2))
        close(self, dt.AverageBlur(ksize=3).resolve(A.copy()),
              ndimage.uniform_filter(A.real, (3, 3)) + 1j * ndimage.uniform_filter(A.imag, (3, 3)))
        blocks = np.pad(A, ((0, 0), (0, 1))).reshape(2, 2, 3, 2)
        close(self, dt.AveragePooling(ksize=2).resolve(A.copy()), blocks.mean(axis=(1, 3)))
        close(self, dt.MaxPooling(ksize=2).resolve(A.copy()), blocks.max(axis=(1, 3)))
        close(self, dt.MinPooling(ksize=2).resolve(A.copy()), blocks.min(axis=(1, 3)))
        close(self, dt.MedianPooling(ksize=2).resolve(A.copy()),
              np.median(blocks.transpose(0, 2, 1, 3).reshape(2, 3, 4), axis=-1))

    def test_normalisations_and_clip_are_deeptrack2s(self):
        # DeepTrack2 2.0.1's formulas with numpy's complex min, max and ptp.
        def min_max(x, lo=0.0, hi=1.0):
            y = x / np.ptp(x) * (hi - lo)
            y = y - np.min(y) + lo
            y[np.isnan(y)] = 0
            return y
        close(self, dt.NormalizeMinMax().resolve(A.copy()), min_max(A))
        close(self, dt.NormalizeMinMax(min=-1, max=3).resolve(A3.copy()), min_max(A3, -1, 3))
        close(self, dt.NormalizeStandard().resolve(A3.copy()), (A3 - np.mean(A3)) / np.std(A3))
        close(self, dt.Clip(min=-1, max=1).resolve(A.copy()), np.clip(A, -1, 1))


class Elementwise(unittest.TestCase):
    def test_numpys_functions_and_branch_cuts(self):
        # A grid through the axes, signed zeros, the branch points and large numbers.
        v = np.array([-3, -1.5, -1, -0.5, -1e-300, -0.0, 0.0, 1e-300, 0.5, 1, 1.5, 3, 1e200, -1e200])
        z = np.array([complex(a, b) for a in v for b in v]).reshape(len(v), len(v))
        names = {"Exp": np.exp, "Log": np.log, "Log10": np.log10, "Log2": np.log2, "Sqrt": np.sqrt,
                 "Sin": np.sin, "Cos": np.cos, "Tan": np.tan, "Sinh": np.sinh, "Cosh": np.cosh, "Tanh": np.tanh,
                 "Arcsin": np.arcsin, "Arccos": np.arccos, "Arctan": np.arctan, "Arcsinh": np.arcsinh,
                 "Arccosh": np.arccosh, "Arctanh": np.arctanh, "Square": np.square, "Sign": np.sign,
                 "Round": np.round, "Conjugate": np.conjugate}
        with np.errstate(all="ignore"):
            for name, fn in names.items():
                with self.subTest(kind=name):
                    got = np.asarray(getattr(dt.elementwise, name)().resolve(z.copy()))
                    want = fn(z)
                    self.assertEqual((got.dtype, got.shape), (want.dtype, want.shape))
                    for part in (np.real, np.imag):
                        g, w = part(got), part(want)
                        np.testing.assert_allclose(g, w, rtol=1e-15, atol=0)
                        # The side of each branch cut: the signs of zeros and infinities too.
                        same = np.isnan(w) | (np.signbit(g) == np.signbit(w)) | (w != 0)
                        self.assertTrue(same.all(), f"{name}: signs differ at {z[~same]}")

    def test_sign_is_numpy_2s_unit_number(self):
        close(self, dt.Sign().resolve(np.array([3 + 4j, 0j, -2j])), np.array([0.6 + 0.8j, 0j, -1j]))

    def test_sign_of_an_infinite_number_is_the_direction_of_its_infinite_part(self):
        # numpy 2.4's sign (DeepTrack2 2.0.1's Sign) where |z| is infinite: the infinite part's
        # direction (the other part finite or NaN), NaN with both parts infinite; |z| NaN gives NaN.
        inf, nan = np.inf, np.nan
        z = np.array([complex(inf, 1), complex(-inf, nan), complex(1, inf), complex(nan, -inf),
                      complex(inf, inf), complex(-inf, inf), complex(nan, 1), 1e308 + 1e308j, complex(0, -0.0)])
        want = np.array([1, -1, 1j, -1j, complex(nan, nan), complex(nan, nan), complex(nan, nan),
                         0.7071067811865475 + 0.7071067811865475j, 0])  # numpy 2.4.6's values
        got = np.asarray(dt.Sign().resolve(z))
        np.testing.assert_array_equal(got, want)
        self.assertEqual(got.dtype, np.complex128)


class Arithmetic(unittest.TestCase):
    def test_complex_operands_and_complex_images(self):
        ops = {"Add": np.add, "Subtract": np.subtract, "Multiply": np.multiply, "Divide": np.divide,
               "Power": np.power}
        with np.errstate(all="ignore"):
            for value in (1j, 2 + 1j, 3, -0.5, 2, -7, 0.5 - 2j, np.arange(5) * 1j, np.arange(5)):
                for name, fn in ops.items():
                    for x in (A, A.real):
                        with self.subTest(kind=name, value=value, complex_image=x is A):
                            close(self, getattr(dt.features, name)(value=value).resolve(x.copy()), fn(x, value))

    def test_power_takes_numpys_fast_paths_for_python_exponents(self):
        # numpy 2's `array ** exponent` (DeepTrack2 2.0.1's Power) computes a complex array's power by
        # `reciprocal` for the Python int -1, `square` for the int 2 and `sqrt` for the float 0.5, and
        # by `power` for any other exponent (the floats -1.0 and 2.0, numpy's 0-d arrays): they differ
        # where a part is infinite or the products overflow. The reference is numpy's own `**`.
        inf, nan = np.inf, np.nan
        z = np.array([complex(inf, 1), complex(1, -inf), complex(-inf, 0), complex(nan, inf), 0j, 3 - 4j,
                      complex(inf, inf), 1e-300 + 2j, -0.5 + 1e-9j, complex(0, -1e308)])
        with np.errstate(all="ignore"):
            for e in (-1, 2, 0.5, -1.0, 2.0, 0.5 + 0j, 3, -2, np.array(0.5), np.array(-1)):
                with self.subTest(exponent=repr(e)):
                    want = z ** e
                    for got in (dt.Power(value=e).resolve(z.copy()), (dt.Value(z.copy()) ** e).resolve()):
                        got = np.asarray(got)
                        self.assertEqual(got.dtype, np.complex128)
                        np.testing.assert_array_equal(got, want)
                        for part in (np.real, np.imag):
                            g, w = part(got), part(want)
                            self.assertTrue((np.isnan(w) | (np.signbit(g) == np.signbit(w))).all())
            # The numbers that tell the paths apart, as numpy 2.4.6 gives them.
            first = complex(inf, 1)
            self.assertEqual(complex(dt.Power(value=-1).resolve(np.array([first]))[0]), 0j)
            self.assertTrue(np.isnan(dt.Power(value=-1.0).resolve(np.array([first]))[0]))
            self.assertEqual(complex(dt.Power(value=0.5).resolve(np.array([first]))[0]), complex(inf, 0))
            self.assertTrue(np.isnan(dt.Power(value=np.array(0.5)).resolve(np.array([first]))[0].imag))

    def test_comparisons_order_complex_numbers_as_numpy_2(self):
        x = np.array([1 + 2j, 1 - 5j, -3 + 9j, 2 + 0j])
        for name, fn in (("GreaterThan", np.greater), ("LessThan", np.less), ("Equals", np.equal),
                         ("GreaterThanOrEquals", np.greater_equal), ("LessThanOrEquals", np.less_equal)):
            for value in (1, 1 + 2j, 2):
                got = np.asarray(getattr(dt.features, name)(value=value).resolve(x.copy()))
                np.testing.assert_array_equal(got, fn(x, value))

    def test_operators_of_features(self):
        # `feature + 1j`, `feature * (2 + 1j)`: the same kinds through Python's operators.
        close(self, (dt.Value(A.real.copy()) + 1j).resolve(), A.real + 1j)
        close(self, (dt.Value(A.copy()) * (2 + 1j)).resolve(), A * (2 + 1j))


class Fields(unittest.TestCase):
    def test_an_illumination_gradient_scales_the_amplitude_of_a_field(self):
        # DeepTrack2 2.0.1's formula: clip(|z| + plane + constant, vmin, vmax) * z / |z|, NaN to 0.
        x = A.copy()
        x[1, 2] = 0
        X, Y = np.meshgrid(np.arange(5), np.arange(4))  # column and row indices
        amplitude = np.abs(x) + X * 0.1 + Y * 0.2 + 0.5
        with np.errstate(all="ignore"):
            want = amplitude * x / np.abs(x)
        want[np.isnan(want)] = 0
        got = dt.optics.IlluminationGradient(gradient=(0.1, 0.2), constant=0.5).resolve(x)
        close(self, got, want)
        np.testing.assert_allclose(np.asarray(got)[0, :2], [2.04828665 - 2.96434229j, 0.71343959 + 1.16533546j],
                                   rtol=1e-8)


class Noise(unittest.TestCase):
    def test_a_background_adds_a_real_offset(self):
        close(self, dt.Background(offset=1.5).resolve(A.copy()), A + 1.5)


class Types(unittest.TestCase):
    def test_astype_casts_the_real_parts_with_numpys_warning(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = np.asarray(dt.features.AsType(dtype="float32").resolve(A.copy()))
        np.testing.assert_array_equal(out, A.real.astype(np.float32))
        self.assertEqual(out.dtype, np.float32)
        self.assertTrue(any("discards the imaginary part" in str(w.message) for w in caught), caught)

    def test_astype_bool_is_whether_the_number_is_nonzero(self):
        # numpy's (DeepTrack2 2.0.1's) cast of complex numbers to bool reads both parts, NaN counting
        # as nonzero, and warns of nothing: the imaginary part is not discarded.
        z = np.array([[0j, 1j, 1e-320j, -0.0 - 0.0j], [2 + 0j, complex(0, np.nan), complex(np.nan, 0), -3 - 1j]])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = np.asarray(dt.features.AsType(dtype="bool").resolve(z.copy()))
            alias = np.asarray(dt.features.AsType(dtype="?").resolve(z.copy()))
        want = np.array([[False, True, True, False], [True, True, True, True]])
        for got in (out, alias):
            self.assertEqual((got.dtype, got.shape), (np.dtype(bool), (2, 4)))
            np.testing.assert_array_equal(got, want)


class Structural(unittest.TestCase):
    def test_average_of_complex_outputs(self):
        got = dt.Average(features=[dt.Value(A.copy()), dt.Value(2 * A.copy()), dt.Value(A.real.copy())]).resolve()
        close(self, got, np.mean([A, 2 * A, A.real], axis=0))


if __name__ == "__main__":
    unittest.main()
