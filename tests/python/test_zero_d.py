"""0-d inputs stay 0-d, as in DeepTrack2 2.0.1 (checked with 2.0.1 itself): through arithmetic,
comparisons, math, noise, augmentations, DummyFeature, Value, chains, repeats, batches and custom
features, as arrays and as Images; a 0-d array as a property value stays 0-d too. What 2.0.1 refuses
on a 0-d input (AverageBlur, a flip that flips, Pad with more than one pair) raises here too."""

import math
import unittest

import numpy as np
import scipy.ndimage

import deeptrack_native as dt
from deeptrack_native import Feature, Image

# (feature, value for the input 2.0; None: any finite value (noise), nan: NaN)
CASES = [
    (lambda: dt.DummyFeature(), 2.0),
    (lambda: dt.Value(value=3), 3.0),
    (lambda: dt.Value(value=np.array(3.0)), 3.0),
    (lambda: dt.Add(value=1), 3.0),
    (lambda: dt.Add(value=np.array(0.5)), 2.5),
    (lambda: dt.Subtract(value=1), 1.0),
    (lambda: dt.Multiply(value=2), 4.0),
    (lambda: dt.Divide(value=4), 0.5),
    (lambda: dt.FloorDivide(value=4), 0.0),
    (lambda: dt.Power(value=3), 8.0),
    (lambda: dt.GreaterThan(value=1), 1.0),
    (lambda: dt.LessThan(value=1), 0.0),
    (lambda: dt.GreaterThanOrEquals(value=2), 1.0),
    (lambda: dt.LessThanOrEquals(value=1), 0.0),
    (lambda: dt.Equals(value=2), 1.0),
    (lambda: dt.Clip(min=0, max=1), 1.0),
    (lambda: dt.NormalizeStandard(), math.nan),
    (lambda: dt.GaussianBlur(sigma=1), 2.0),
    (lambda: dt.AveragePooling(ksize=2), 2.0),
    (lambda: dt.MaxPooling(ksize=2), 2.0),
    (lambda: dt.MinPooling(ksize=2), 2.0),
    (lambda: dt.Gaussian(sigma=0.1), None),
    (lambda: dt.Poisson(snr=10), None),
    (lambda: dt.Background(offset=1), 3.0),
    (lambda: dt.Offset(offset=1), 3.0),
    (lambda: dt.FlipLR(p=0), 2.0),
    (lambda: dt.FlipUD(p=0), 2.0),
    (lambda: dt.FlipDiagonal(p=0), 2.0),
    (lambda: dt.Pad(px=(1, 1)), 2.0),
    (lambda: dt.Crop(crop=1), 2.0),
    (lambda: dt.Add(value=1) >> dt.Multiply(value=2), 6.0),
    (lambda: dt.Add(value=1) ^ 3, 5.0),
]


class AddOne(Feature):
    def get(self, image, **kwargs):
        self.__dict__["seen"] = np.ndim(image)
        return image + 1


class ZeroDimensionalInputs(unittest.TestCase):
    def check(self, result, expected, what):
        self.assertEqual(np.ndim(result), 0, what)
        value = float(np.asarray(result))
        if expected is None:
            self.assertTrue(math.isfinite(value), what)
        elif math.isnan(expected):
            self.assertTrue(math.isnan(value), what)
        else:
            self.assertEqual(value, expected, what)

    def test_every_builtin_that_accepts_a_0d_input_keeps_it_0d(self):
        for make, expected in CASES:
            for wrap in (np.array, lambda x: Image(np.array(x))):
                feature = make()
                what = f"{type(feature).__name__} on {wrap(2.0)!r}"
                with self.subTest(what):
                    self.check(feature.resolve(wrap(2.0)), expected, what)
                    feature.store_properties()
                    result = feature.update().resolve(wrap(2.0))
                    self.assertIsInstance(result, Image)
                    self.check(result, expected, what + " (stored properties)")

    def test_batches_and_custom_features_keep_0d(self):
        f = AddOne()
        self.check(f.resolve(np.array(2.0)), 3.0, "custom get")
        self.assertEqual(f.seen, 0)
        pipe = dt.Gaussian(sigma=0.1) >> dt.Add(value=1)
        for item in pipe.resolve_batch(3, seed=1, threads=2, image=np.array(2.0)):
            self.assertEqual(np.ndim(item), 0)
        numpy_scalar = AddOne().resolve(np.float64(2.0))
        self.check(numpy_scalar, 3.0, "a numpy scalar input")

    def test_0d_property_values_stay_0d(self):
        f = dt.Add(value=np.array(0.5))
        f.store_properties()
        out = f.resolve(np.zeros((2, 2)))
        value = out.get_property("value")
        self.assertEqual(np.ndim(value), 0)
        self.assertEqual(float(value), 0.5)
        self.assertEqual(f.value().shape, ())

    def test_what_deeptrack2_refuses_on_0d_raises(self):
        for feature in (dt.AverageBlur(), dt.FlipLR(p=1), dt.FlipUD(p=1), dt.Pad(px=(1, 1, 1, 1))):
            with self.subTest(type(feature).__name__):
                with self.assertRaises(dt.InvalidArgumentError):
                    feature.resolve(np.array(2.0))


# The type of the result on a 0-d float64 input, as DeepTrack2 2.0.1 gives it (checked with 2.0.1):
# a 0-d ndarray where 2.0.1 returns the input array or a 0-d array of scipy's or numpy's, a numpy
# scalar from numpy's arithmetic, math functions and reductions, numpy's bool scalar from comparisons.
RESULT_TYPES = [
    (lambda: dt.DummyFeature(), np.ndarray, np.float64),
    (lambda: dt.Squeeze(), np.ndarray, np.float64),
    (lambda: dt.Transpose(), np.ndarray, np.float64),
    (lambda: dt.FlipLR(p=0), np.ndarray, np.float64),
    (lambda: dt.FlipDiagonal(p=0), np.ndarray, np.float64),
    (lambda: dt.GaussianBlur(), np.ndarray, np.float64),
    (lambda: dt.Poisson(snr=10), np.ndarray, np.float64),
    (lambda: dt.Real(), np.ndarray, np.float64),
    (lambda: dt.Imag(), np.ndarray, np.float64),
    (lambda: dt.AsType("float64"), np.ndarray, np.float64),
    (lambda: dt.AsType("int32"), np.ndarray, np.int32),
    (lambda: dt.math.Blur(filter_function=scipy.ndimage.gaussian_filter, sigma=1), np.ndarray, np.float64),
    (lambda: dt.Add(value=1) >> dt.DummyFeature(), np.ndarray, np.float64),
    (lambda: dt.Add(value=1), np.float64, np.float64),
    (lambda: dt.DummyFeature() >> dt.Add(value=1), np.float64, np.float64),
    (lambda: dt.Sin(), np.float64, np.float64),
    (lambda: dt.Sum(), np.float64, np.float64),
    (lambda: dt.GreaterThan(value=1), np.bool_, np.bool_),
    (lambda: dt.Equals(value=2.5), np.bool_, np.bool_),
]


class ZeroDimensionalResultTypes(unittest.TestCase):
    def test_the_type_of_a_0d_result_is_deeptrack2s(self):
        for make, kind, dtype in RESULT_TYPES:
            feature = make()
            with self.subTest(feature=repr(feature), kind=kind.__name__):
                result = feature.resolve(np.array(2.5))
                self.assertIs(type(result), kind)
                self.assertEqual((np.ndim(result), np.asarray(result).dtype), (0, np.dtype(dtype)))
                # A list of inputs gives a list of such results.
                results = make().resolve([np.array(2.5), np.array(0.5)])
                self.assertEqual([type(r) for r in results], [kind, kind])

    def test_average_of_0d_images_is_a_0d_array(self):
        # 2.0.1's Average returns Image(np.mean(images, axis)): a 0-d ndarray once unwrapped.
        result = dt.Average([dt.Value(value=1.0), dt.Value(value=3.0)]).resolve()
        self.assertIs(type(result), np.ndarray)
        self.assertEqual((result.ndim, result.dtype, float(result)), (0, np.dtype(np.float64), 2.0))

    def test_pool_calls_its_function_on_a_0d_image(self):
        # skimage's block_reduce (2.0.1's Pool) calls the function on the one block of no axis,
        # `axis=()`; numpy's reductions return the value itself (checked with 2.0.1).
        cases = [
            (lambda: dt.Pool(np.std, ksize=2), np.array(5.0), 0.0),
            (lambda: dt.Pool(lambda x, axis: np.ptp(x, axis=axis) + 1, ksize=3), np.array(5.0), 1.0),
            (lambda: dt.Pool(lambda x, axis: np.ptp(x, axis=axis) + 1, ksize=1), np.array(5.0), 1.0),
            (lambda: dt.Pool(np.std, ksize=2), np.array(5.0 + 1j), 0.0),
            (lambda: dt.Pool(lambda x, axis: np.ptp(x, axis=axis) + 1, ksize=3), np.array(5.0 + 1j), 1 + 0j),
            (lambda: dt.Pool(np.mean, ksize=2), np.array(5.0), 5.0),
            (lambda: dt.MaxPooling(ksize=2), np.array(5.0), 5.0),
        ]
        for make, x, expected in cases:
            with self.subTest(feature=repr(make()), x=x):
                result = make().resolve(x)
                self.assertEqual(np.ndim(result), 0)
                self.assertEqual(result, expected)
                self.assertEqual(np.iscomplexobj(result), np.iscomplexobj(expected))
        # A function of one block (no `axis`) receives the 0-d block once.
        seen = []
        result = dt.Pool(lambda block: seen.append(np.shape(block)) or np.ptp(block) + 1, ksize=2).resolve(np.array(5.0))
        self.assertEqual((float(result), seen), (1.0, [()]))

    def test_every_comparison_of_the_registry_gives_a_bool_scalar(self):
        # The comparisons are the registry's bool_output kinds (no hand list), each numpy's bool
        # scalar on a 0-d input as in 2.0.1, under its aliases too.
        from deeptrack_native import features

        kinds = [k for k in features.registry() if k["bool_output"]]
        self.assertEqual(
            sorted(k["name"] for k in kinds),
            ["Equals", "GreaterThan", "GreaterThanOrEquals", "LessThan", "LessThanOrEquals"],
        )
        self.assertEqual(features._COMPARISON_KINDS, frozenset(k["name"] for k in kinds))
        expected = {"Equals": False, "GreaterThan": True, "GreaterThanOrEquals": True, "LessThan": False,
                    "LessThanOrEquals": False}
        for kind in kinds:
            for name in [kind["name"], *kind["aliases"]]:
                with self.subTest(name):
                    result = getattr(dt, name)(value=1).resolve(np.array(2.5))
                    self.assertIs(type(result), np.bool_)
                    self.assertEqual(bool(result), expected[kind["name"]])
        self.assertFalse(any(k["bool_output"] for k in features.registry() if k["name"] in ("Add", "AsType", "Sum")))

    def test_a_comparison_after_a_value_is_a_bool_scalar(self):
        result = (dt.Value(np.array(2.5)) >> dt.LessThanOrEquals(value=1)).resolve()
        self.assertIs(type(result), np.bool_)
        self.assertFalse(result)

    def test_numpys_0d_arrays_by_parameters(self):
        # Where 2.0.1's numpy call gives a 0-d ndarray for its parameters: np.median, np.quantile and
        # np.percentile with keepdims=True (np.sum and the others give scalars either way), and an
        # index holding an Ellipsis (x[..., 0], x[...]); without them, numpy's scalars.
        x, row = np.array(2.5), np.array([1.5, 2.5, 4.0])
        cases = [
            (dt.Median(keepdims=True), x, np.ndarray, 2.5),
            (dt.Median(axis=(), keepdims=True), x, np.ndarray, 2.5),
            (dt.Quantile(q=0.5, keepdims=True), x, np.ndarray, 2.5),
            (dt.Percentile(q=50, keepdims=True), x, np.ndarray, 2.5),
            (dt.Median(), x, np.float64, 2.5),
            (dt.Median(axis=(), keepdims=False), x, np.float64, 2.5),
            (dt.Sum(keepdims=True), x, np.float64, 2.5),
            (dt.Mean(axis=(), keepdims=True), x, np.float64, 2.5),
            (dt.Slice(slices=(Ellipsis, 1)), row, np.ndarray, 2.5),
            (dt.Slice(slices=(1, Ellipsis)), row, np.ndarray, 2.5),
            (dt.Slice(slices=(Ellipsis,)), x, np.ndarray, 2.5),
            (dt.Slice(slices=(1,)), row, np.float64, 2.5),
            (dt.Slice(slices=(-1,)), row, np.float64, 4.0),
        ]
        for feature, image, kind, value in cases:
            with self.subTest(feature=repr(feature), kind=kind.__name__):
                result = feature.resolve(image)
                self.assertIs(type(result), kind)
                self.assertEqual((np.ndim(result), result[()]), (0, value))
        # The same through a chain (the last feature decides) and for each image of a list.
        chained = (dt.Value(np.array(2.5)) >> dt.Median(keepdims=True)).resolve()
        self.assertIs(type(chained), np.ndarray)
        results = dt.Quantile(q=0.5, keepdims=True).resolve([np.array(1.0), np.array(2.0)])
        self.assertEqual([type(r) for r in results], [np.ndarray, np.ndarray])
        # Not 0-d: untouched (a keepdims median of a 2-d image is (1, 1)).
        self.assertEqual(np.shape(dt.Median(keepdims=True).resolve(np.ones((2, 3)))), (1, 1))

    def test_complex_pass_through_is_a_0d_array(self):
        for feature in (dt.DummyFeature(), dt.Transpose(), dt.GaussianBlur()):
            with self.subTest(feature=type(feature).__name__):
                result = feature.resolve(np.array(1.5 + 2j))
                self.assertIs(type(result), np.ndarray)
                self.assertEqual((result.shape, result.dtype, result[()]), ((), np.complex128, 1.5 + 2j))

    def test_astype_transpose_and_squeeze_of_a_reduction_keep_its_numpy_scalar(self):
        # DeepTrack2 2.0.1: numpy's astype, transpose and squeeze of a reduction's numpy scalar give a
        # numpy scalar; of a 0-d array (the input, scipy's result, keepdims) a 0-d array.
        x = np.array([[1.5, 2.0], [3.0, 4.0]])
        c = np.array([[1 + 2j, 2], [3, 4j]])
        scalars = [
            (dt.Sum(axis=None) >> dt.AsType("int32"), x, np.int32, 10),
            (dt.Sum(axis=None) >> dt.AsType("float32"), x, np.float32, 10.5),
            (dt.Mean(axis=None) >> dt.Transpose(), x, np.float64, 2.625),
            (dt.Max(axis=None) >> dt.Squeeze(), x, np.float64, 4.0),
            (dt.Sum(axis=None) >> (dt.Squeeze() >> dt.AsType("float64")), x, np.float64, 10.5),
            (dt.Sum(axis=None) >> dt.Squeeze(), c, np.complex128, 6 + 6j),
            (dt.Sum(axis=None) >> dt.AsType("bool"), x, np.bool_, True),
        ]
        for feature, image, kind, value in scalars:
            with self.subTest(feature=repr(feature)):
                result = feature.resolve(image)
                self.assertIs(type(result), kind)
                self.assertEqual(result, value)
        arrays = [
            (dt.Sum(axis=None) >> dt.GaussianBlur(sigma=1), x),
            (dt.Median(axis=(0, 1), keepdims=True) >> dt.Squeeze(), x),
            (dt.Squeeze(), np.array(2.5)),
            (dt.AsType("float64"), np.array(2.5)),
            (dt.Transpose(), np.array(2.5)),
        ]
        for feature, image in arrays:
            with self.subTest(feature=repr(feature)):
                result = feature.resolve(image)
                self.assertIs(type(result), np.ndarray)
                self.assertEqual(result.shape, ())


if __name__ == "__main__":
    unittest.main()
