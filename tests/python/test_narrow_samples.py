"""Narrow samples through Python: AsType's casts and the comparisons come back in numpy's dtype with
numpy's values, as read-only views of the library's samples (one native pass, no conversion in
Python), and chains reading them compute on their values as numpy does on the cast arrays."""

import unittest

import numpy as np

import deeptrack_native as dt

CASTS = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float16", "bool")


def _owner_base(arr):
    """The innermost base of ``arr`` (the library's buffer for a view of its samples)."""
    while isinstance(arr, np.ndarray) and arr.base is not None:
        arr = arr.base
    return arr


class NarrowSamples(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(3)
        # In-range values for every type (numpy's cast is undefined beyond them), negatives included
        # for the unsigned types' wrapping, halves for the truncation.
        self.x = np.concatenate([rng.uniform(-300, 300, 60), [0.5, -0.5, 1.5, -0.0, 0.0, 127.9, -128.9, 255.5]])
        self.x = self.x.reshape(4, 17)

    def test_every_cast_has_numpys_dtype_and_values(self):
        for name in CASTS:
            with self.subTest(dtype=name):
                with np.errstate(invalid="ignore", over="ignore"):
                    expected = self.x.astype(name)
                out = dt.AsType(dtype=name).resolve(self.x)
                self.assertIsInstance(out, np.ndarray)
                self.assertEqual(out.dtype, np.dtype(name))
                np.testing.assert_array_equal(out, expected)
                self.assertFalse(out.flags.writeable)
                # A view of the library's samples, not a numpy conversion of doubles.
                self.assertNotIsInstance(_owner_base(out), np.ndarray)

    def test_undefined_casts_are_the_types_minimum_as_documented(self):
        y = np.array([np.nan, np.inf, -np.inf, 1e300])
        self.assertEqual(dt.AsType("int32").resolve(y).tolist(), [-(2**31)] * 4)
        self.assertEqual(dt.AsType("uint8").resolve(y).tolist(), [0] * 4)
        self.assertEqual(dt.AsType("bool").resolve(y).tolist(), [True] * 4)
        with np.errstate(over="ignore"):
            np.testing.assert_array_equal(dt.AsType("float16").resolve(y), y.astype(np.float16))

    def test_comparisons_are_numpys_bools(self):
        x = np.array([[0.2, 0.5, 0.7], [np.nan, -1.0, 0.5]])
        # The comparisons' per-kind expectations: numpy's ufuncs.
        cases = {
            "GreaterThan": np.greater,
            "LessThan": np.less,
            "GreaterThanOrEquals": np.greater_equal,
            "GreaterThanOrEqual": np.greater_equal,
            "LessThanOrEquals": np.less_equal,
            "LessThanOrEqual": np.less_equal,
            "Equals": np.equal,
            "Equal": np.equal,
        }
        for name, op in cases.items():
            with self.subTest(kind=name):
                out = getattr(dt, name)(value=0.5).resolve(x)
                self.assertEqual(out.dtype, np.bool_)
                np.testing.assert_array_equal(out, op(x, 0.5))
                self.assertFalse(out.flags.writeable)
                row = np.array([0.5, 0.6, 0.7])
                by_row = getattr(dt, name)(value=row).resolve(x)
                self.assertEqual(by_row.dtype, np.bool_)
                np.testing.assert_array_equal(by_row, op(x, row))

    def test_images_with_properties_keep_the_dtype(self):
        f = dt.AsType("uint16")
        f.store_properties()
        out = f.resolve(self.x)
        self.assertIsInstance(out, dt.Image)
        self.assertEqual(np.asarray(out).dtype, np.uint16)
        self.assertEqual([d["name"] for d in out.properties], ["AsType"])
        mask = (dt.GreaterThan(value=0.0) >> dt.Transpose())(self.x)
        self.assertEqual(mask.dtype, np.bool_)
        np.testing.assert_array_equal(mask, (self.x > 0).T)

    def test_chains_compute_on_the_cast_values(self):
        x = self.x
        blurred = (dt.AsType("uint8") >> dt.GaussianBlur(sigma=1.0))(x)
        expected = dt.GaussianBlur(sigma=1.0).resolve(x.astype(np.uint8).astype(np.float64))
        self.assertEqual(np.asarray(blurred).dtype, np.float64)
        np.testing.assert_array_equal(blurred, expected)
        scaled = (dt.GreaterThan(value=0.0) >> dt.Multiply(value=2.0))(x)
        np.testing.assert_array_equal(scaled, (x > 0) * 2.0)
        total = (dt.AsType("int16") >> dt.Sum(axis=0))(x)
        np.testing.assert_array_equal(total, x.astype(np.int16).sum(axis=0).astype(np.float64))
        mean = (dt.AsType("float32") >> dt.Mean(axis=None))(x)
        self.assertAlmostEqual(float(mean), float(x.astype(np.float32).astype(np.float64).mean()), places=12)
        again = (dt.AsType("int32") >> dt.AsType("int8"))(x)
        np.testing.assert_array_equal(again, x.astype(np.int32).astype(np.int8))
        back = (dt.AsType("int32") >> dt.AsType("float64"))(x)
        self.assertEqual(back.dtype, np.float64)
        np.testing.assert_array_equal(back, x.astype(np.int32).astype(np.float64))


if __name__ == "__main__":
    unittest.main()
