"""Parameters given as numpy gives them, as DeepTrack2 2.0.1 hands them to numpy: every case of
tests/fixtures/deeptrack-2.0.1/params (0-d and one-element arrays where a number is expected, arrays
that broadcast with the image, GaussianBlur's sigma per axis, crossed Clip bounds, FlipUD of a 1-d
image) with numpy arrays as the properties; a feature's number output (a 0-d array) as a parameter;
axes as an integer array; numpy dtype objects and complex dtypes in AsType; LoadImage keeping the
file's dtype."""

import json
import os
import tempfile
import unittest

import numpy as np

import deeptrack_native as dt

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "deeptrack-2.0.1", "params")


def _value(v):
    if isinstance(v, dict) and "array" in v:
        return np.array(v["array"]["data"], dtype=float).reshape(v["array"]["shape"])
    return v


def _x():
    return np.random.RandomState(0).randn(6, 5)


class FixtureCases(unittest.TestCase):
    def test_every_case_is_deeptrack2s(self):
        with open(os.path.join(FIXTURES, "manifest.json")) as f:
            cases = json.load(f)["cases"]
        self.assertGreaterEqual(len(cases), 24)
        for case in cases:
            with self.subTest(case["id"]):
                spec = case["pipeline"][0]
                feature = getattr(dt, spec["feature"])(**{k: _value(v) for k, v in spec["properties"].items()})
                x = np.array(case["input"]["data"], dtype=float).reshape(case["input"]["shape"])
                out = np.asarray(feature.resolve(x))
                expected = np.load(os.path.join(FIXTURES, case["expected"]))
                self.assertEqual(out.shape, expected.shape)
                np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-300)


class NumbersAsArrays(unittest.TestCase):
    def test_a_features_number_output_is_a_number(self):
        x = _x()
        np.testing.assert_array_equal(dt.Clip(min=dt.Value(value=1.0))(x), np.clip(x, 1.0, None))
        np.testing.assert_array_equal(dt.FlipLR(p=dt.Value(value=1.0))(x), x[:, ::-1])

    def test_one_element_arrays_and_lists_are_numbers(self):
        x = _x()
        np.testing.assert_array_equal(dt.Gaussian(sigma=np.zeros(1))(x), x)
        np.testing.assert_array_equal(dt.Gaussian(sigma=[0.0], mu=np.array(2.0))(x), x + 2.0)
        out = dt.Gaussian(sigma=lambda: np.random.rand(1))(x)
        self.assertEqual(out.shape, x.shape)
        self.assertFalse(np.array_equal(out, x))

    def test_arrays_broadcast_as_numpy(self):
        x = _x()
        np.testing.assert_array_equal(dt.Offset(offset=np.arange(5.0))(x), x + np.arange(5.0))
        np.testing.assert_array_equal(dt.Clip(min=np.zeros((6, 1)), max=np.arange(5.0))(x), np.clip(x, 0, np.arange(5.0)))
        with self.assertRaises(dt.InvalidArgumentError) as cm:
            dt.Offset(offset=np.arange(3.0))(x)
        self.assertIn("property 'offset' of feature 'Offset': cannot broadcast", str(cm.exception))

    def test_noise_parameters_broadcast(self):
        x = _x()
        # ComplexGaussian: numpy's `mu + image + (N + iN) * sigma`, complex, broadcast.
        out = dt.ComplexGaussian(mu=np.arange(5.0), sigma=np.zeros(5))(x)
        self.assertEqual(out.dtype, np.complex128)
        np.testing.assert_array_equal(out, x + np.arange(5.0) + 0j)
        # Seeded: the moments below are checked within a few standard errors, which a random stream
        # misses now and then (about once in 10,000 runs for the Poisson counts' mean and variance).
        noise = dt.ComplexGaussian(sigma=np.array([0.0, 1.0, 3.0]))
        noise.seed(1)
        z = np.asarray(noise(np.zeros((4000, 3))))
        np.testing.assert_array_equal(z[:, 0], 0)
        np.testing.assert_allclose(z[:, 1:].real.std(axis=0), [1.0, 3.0], rtol=0.06)
        np.testing.assert_allclose(z[:, 1:].imag.std(axis=0), [1.0, 3.0], rtol=0.06)
        # Poisson: rescale = snr² / peak² per column (here 1, 100, 10000), counts over it.
        poisson = dt.Poisson(snr=np.array([10.0, 100.0, 1000.0]))
        poisson.seed(1)
        p = np.asarray(poisson(np.full((4000, 3), 10.0)))
        np.testing.assert_allclose(p.mean(axis=0), [10.0, 10.0, 10.0], rtol=0.02)
        np.testing.assert_allclose(p.var(axis=0), [10.0, 0.1, 0.001], rtol=0.1)
        np.testing.assert_array_equal(p[:, 0], np.round(p[:, 0]))

    def test_a_number_parameter_says_which_shapes_it_takes(self):
        with self.assertRaises(dt.TypeMismatchError) as cm:
            dt.FlipLR(p=np.full(5, 0.5))(_x())
        self.assertIn("expected a number (or an array of one number), got an array of shape (5,)", str(cm.exception))

    def test_axes_as_an_integer_array(self):
        x = np.arange(6.0).reshape(2, 3)
        out = dt.Transpose(axes=np.array([1, 0]))(x)
        self.assertEqual(out.shape, (3, 2))
        np.testing.assert_array_equal(out, x.T)
        np.testing.assert_array_equal(dt.Sum(axis=np.array(1))(x), x.sum(axis=1))

    def test_clip_with_crossed_bounds_is_max(self):
        x = np.array([-2.0, 0.0, 3.0, np.nan])
        np.testing.assert_array_equal(dt.Clip(min=1, max=-1)(x), np.clip(x, 1, -1))

    def test_clip_with_a_none_bound_has_no_bound_there(self):
        # numpy's clip (2.0.1's Clip) reads None as no bound on that side; the values are 2.0.1's.
        x = np.arange(12.0).reshape(4, 3)
        np.testing.assert_array_equal(dt.Clip(min=None, max=5)(x), np.minimum(x, 5))
        np.testing.assert_array_equal(dt.Clip(min=3, max=None)(x), np.maximum(x, 3))
        np.testing.assert_array_equal(dt.Clip(min=None, max=None)(x), x)
        np.testing.assert_array_equal(dt.Clip(None, np.array([1.0, 5.0, 9.0]))(x), np.minimum(x, [1.0, 5.0, 9.0]))
        z = np.array([1 + 2j, 3 - 1j, -2 + 0j])
        np.testing.assert_array_equal(dt.Clip(min=None, max=2)(z), np.clip(z, None, 2))
        # The dict records None as given, as 2.0.1's.
        clip = dt.Clip(min=None, max=5)
        clip.store_properties()
        self.assertEqual(clip.resolve(dt.Image(x)).properties, [{"min": None, "max": 5, "name": "Clip"}])
        # NaN is still refused (it would make every sample NaN).
        with self.assertRaises(dt.InvalidArgumentError):
            dt.Clip(min=np.nan, max=None)(x)


class Dtypes(unittest.TestCase):
    def test_dtype_objects_and_scalar_types(self):
        x = _x() * 10
        for given, name in [
            (np.float32, "float32"),
            (np.int32, "int32"),
            (np.dtype("int16"), "int16"),
            (np.uint8, "uint8"),
            (np.float64, "float64"),
            (np.dtype(bool), "bool"),
        ]:
            with self.subTest(name):
                out = dt.AsType(dtype=given)(x)
                self.assertEqual(out.dtype, np.dtype(name))
                np.testing.assert_array_equal(out, x.astype(name))
                f = dt.AsType(dtype=given)
                self.assertEqual(f.dtype(), name)

    def test_complex_dtypes(self):
        x = _x()
        for given in ["complex128", "complex", np.complex128, np.dtype("complex128")]:
            with self.subTest(str(given)):
                out = dt.AsType(dtype=given)(x)
                self.assertEqual(out.dtype, np.complex128)
                np.testing.assert_array_equal(out, x.astype(np.complex128))
        # complex64: numpy's values (parts rounded to float32), held as complex128 (README).
        for given in ["complex64", np.complex64]:
            with self.subTest(str(given)):
                out = dt.AsType(dtype=given)(x)
                np.testing.assert_array_equal(out, x.astype(np.complex64))
        z = x + 1j * x[::-1]
        np.testing.assert_array_equal(dt.AsType(dtype="complex64")(z), z.astype(np.complex64))


class LoadImageDtypes(unittest.TestCase):
    def test_the_files_dtype_is_kept(self):
        rng = np.random.RandomState(1)
        with tempfile.TemporaryDirectory() as d:
            for dtype in ["uint8", "int16", "uint16", "int32", "int64", "float32", "float64", "bool"]:
                with self.subTest(dtype):
                    a = (rng.rand(3, 4) * 100).astype(dtype)
                    path = os.path.join(d, dtype + ".npy")
                    np.save(path, a)
                    out = dt.LoadImage(path=path).resolve()
                    self.assertEqual(out.dtype, np.dtype(dtype))
                    self.assertEqual(out.shape, (3, 4, 1))
                    np.testing.assert_array_equal(out[..., 0], a)
            # Several files stacked keep the type they share.
            paths = [os.path.join(d, "uint8.npy")] * 2
            self.assertEqual(dt.LoadImage(path=paths).resolve().dtype, np.uint8)
            try:
                from PIL import Image as PILImage
            except ImportError:
                return
            a = rng.randint(0, 256, (4, 5)).astype(np.uint8)
            PILImage.fromarray(a).save(os.path.join(d, "g8.png"))
            out = dt.LoadImage(path=os.path.join(d, "g8.png")).resolve()
            self.assertEqual(out.dtype, np.uint8)
            np.testing.assert_array_equal(out[..., 0], a)


if __name__ == "__main__":
    unittest.main()
