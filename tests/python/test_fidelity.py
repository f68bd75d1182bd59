"""Fidelity to DeepTrack2 2.0.1 from Python: LoadImage of TIFFs with separate planes and of multi-series
files (against the fixtures DeepTrack2 read, tests/fixtures/deeptrack-2.0.1/files); 0-d complex inputs;
positional parameters as DeepTrack2's; Resize of narrow images keeps their type, as OpenCV; Pad(px=int); feature[...] with lists of integers
and boolean masks, as numpy."""

import inspect

import json
import os
import tempfile
import unittest

import numpy as np

import deeptrack_native as dt

FILES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "deeptrack-2.0.1", "files")


class LoadTiffTests(unittest.TestCase):
    def test_every_tiff_fixture_reads_as_deeptrack2(self):
        with open(os.path.join(FILES, "manifest.json")) as f:
            cases = json.load(f)["cases"]
        self.assertGreaterEqual(len(cases), 14)
        for case in cases:
            with self.subTest(case["id"]):
                got = np.asarray(dt.LoadImage(path=os.path.join(FILES, case["id"] + ".tif")).resolve())
                expected = np.load(os.path.join(FILES, case["id"] + ".npy"))
                self.assertEqual(got.shape, expected.shape)
                np.testing.assert_array_equal(got, expected)

    def test_planes_written_by_tifffile_here(self):
        try:
            import tifffile
        except ImportError:
            self.skipTest("tifffile is not installed")
        rng = np.random.default_rng(3)
        with tempfile.TemporaryDirectory() as d:
            for dtype, planes in ((np.uint8, 3), (np.uint16, 4), (np.float32, 3)):
                a = (rng.random((planes, 5, 6)) * 200).astype(dtype)
                path = os.path.join(d, f"p{planes}.tif")
                # tifffile's default for these shapes (explicit: its future default is pages).
                tifffile.imwrite(path, a, photometric="rgb" if planes == 3 else "minisblack", planarconfig="separate")
                with tifffile.TiffFile(path) as t:
                    self.assertEqual(t.pages[0].planarconfig, 2)
                np.testing.assert_array_equal(dt.LoadImage(path=path).resolve(), a.astype(np.float64))

    def test_a_cut_tiff_says_so(self):
        with open(os.path.join(FILES, "tiff_planar_u8_3.tif"), "rb") as f:
            head = f.read(40)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "cut.tif")
            with open(path, "wb") as f:
                f.write(head)
            with self.assertRaisesRegex(Exception, "cut.tif': a bad TIFF file"):
                dt.LoadImage(path=path).resolve()


class ZeroDComplexTests(unittest.TestCase):
    def test_zero_d_complex_inputs_give_deeptrack2s_values(self):
        # DeepTrack2 2.0.1's values; numpy could not view a 0-d complex array as floats (ValueError).
        for x in (np.array(1 - 2j), 1 - 2j, np.complex64(1 - 2j), np.array(1 - 2j, dtype=np.complex64)):
            with self.subTest(type(x).__name__):
                self.assertAlmostEqual(float(dt.Abs().resolve(x)), 5**0.5, places=6)
                self.assertEqual(complex(dt.Conjugate().resolve(x)), 1 + 2j)
                self.assertAlmostEqual(float(dt.Angle().resolve(x)), -1.1071487177940904, places=6)
                self.assertEqual(complex(dt.Add(value=1).resolve(x)), 2 - 2j)
                out = dt.Multiply(value=2).resolve(x)
                self.assertEqual(np.shape(out), ())
                self.assertTrue(np.iscomplexobj(out))
                self.assertEqual(complex(out), 2 - 4j)


class PositionalTests(unittest.TestCase):
    def test_crop_tight_takes_eps_positionally(self):
        self.assertEqual(str(inspect.signature(dt.CropTight)), "(eps=1e-10, **kwargs)")
        image = np.zeros((5, 6))
        image[1:3, 2:5] = [[0.2, 0.7, 0.2], [0.1, 0.9, 0.6]]
        out = dt.CropTight(0.5).resolve(image)
        np.testing.assert_array_equal(out, [[0.7, 0.2], [0.9, 0.6]])
        np.testing.assert_array_equal(out, dt.CropTight(eps=0.5).resolve(image))
        with self.assertRaises(TypeError):
            dt.CropTight(0.5, eps=0.5)


class ResizeNarrowTests(unittest.TestCase):
    FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "deeptrack-2.0.1")

    def test_integer_images_keep_their_type_rounded_as_opencv(self):
        with open(os.path.join(self.FIXTURES, "manifest.json")) as f:
            cases = [c for c in json.load(f)["cases"] if c["id"].startswith(("resize_uint", "resize_int"))]
        self.assertEqual(len(cases), 6)
        for case in cases:
            with self.subTest(case["id"]):
                dtype = case["pipeline"][0]["properties"]["dtype"]
                dsize = tuple(case["pipeline"][1]["properties"]["dsize"])
                x = np.array(case["input"]["data"]).reshape(case["input"]["shape"])
                out = (dt.AsType(dtype=dtype) >> dt.Resize(dsize)).resolve(x)
                self.assertEqual(out.dtype, np.dtype(dtype))
                expected = np.load(os.path.join(self.FIXTURES, case["expected"]))
                np.testing.assert_array_equal(out.astype(np.float64), expected)

    def test_floats_keep_their_type_and_bools_give_floats(self):
        x = np.arange(12.0).reshape(3, 4) / 7
        out = (dt.AsType(dtype="float32") >> dt.Resize((5, 4))).resolve(x)
        self.assertEqual(out.dtype, np.float32)
        # Computed in single precision as OpenCV computes float32 (bit for bit: test_resize_narrow.py),
        # so within a rounding of the float64 interpolation.
        np.testing.assert_allclose(out, dt.Resize((5, 4)).resolve(x), rtol=3e-7, atol=0)
        self.assertEqual((dt.AsType(dtype="bool") >> dt.Resize((5, 4))).resolve(x).dtype, np.float64)


class PadTests(unittest.TestCase):
    def test_one_number_pads_every_axis_on_both_sides(self):
        x = np.arange(6.0).reshape(2, 3)
        np.testing.assert_array_equal(dt.Pad(px=2).resolve(x), np.pad(x, 2))
        np.testing.assert_array_equal(dt.Pad(1, "edge").resolve(x), np.pad(x, 1, mode="edge"))
        with self.assertRaisesRegex(Exception, "property 'px' of feature 'Pad'"):
            dt.Pad(px=-1).resolve(x)


class AdvancedIndexTests(unittest.TestCase):
    def test_lists_and_masks_index_as_numpy(self):
        x = np.arange(60.0).reshape(3, 4, 5)
        f = dt.Value(value=x)
        mask = x[:, :, 0] > 20
        cases = [
            ([0, 2],),
            (slice(None), [3, 1]),
            ([0, 2], [1, 3]),
            (1, [0, 3]),
            ([0, 2], slice(None), [1, 3]),
            (slice(None), 1, [0, 4]),
            (None, [0, 2]),
            (Ellipsis, [0, 4]),
            ([-1, 0], slice(None, None, 2)),
            (np.array([2, 0, 0]),),
            ([True, False, True],),
            (np.array([True, False, True]),),
            (mask,),
            ([1], [0, 2, 3]),
            (np.zeros((3, 4), bool),),
            (slice(None), []),
            # Integer arrays of more than one axis: the indexed axis becomes the arrays' broadcast axes.
            (np.array([[0, 1], [2, 0]]),),
            ([[0, 1], [2, 1]],),
            (slice(None), np.array([[0, 3], [1, 2]])),
            (np.array([[0], [2]]), np.array([1, 3])),
            (np.array([0, 2]), slice(None), np.array([[1, 3]])),
            (1, np.array([[0, 3], [1, 2]])),
            (slice(0, 2), np.array([[0], [3]]), np.array([True, False, True, False, True])),
            (np.zeros((2, 0), int),),
        ]
        for index in cases:
            with self.subTest(index=index):
                got = np.asarray(f[index if len(index) > 1 else index[0]].resolve())
                expected = x[index if len(index) > 1 else index[0]]
                self.assertEqual(got.shape, expected.shape)
                np.testing.assert_array_equal(got, expected)

    def test_an_array_as_the_whole_slices_is_a_sequence_of_elements(self):
        # DeepTrack2 2.0.1's Slice indexes with tuple(slices): a numeric array is read as a list is,
        # one element per axis (`Slice(slices=np.array([2, 1]))` is `x[2, 1]`); a boolean array as
        # the whole index stays a mask (README: tuple of a mask indexes with its rows).
        x = np.arange(24.0).reshape(4, 6)
        for slices in [np.array([2, 1]), np.array([-1, -2]), np.array([3]), np.array([[0, 2], [1, 3]]), [2, 1]]:
            with self.subTest(slices=slices):
                got = np.asarray(dt.Slice(slices=slices).resolve(x))
                expected = x[tuple(slices)]
                self.assertEqual(got.shape, expected.shape)
                np.testing.assert_array_equal(got, expected)
        mask = np.array([True, False, True, False])
        np.testing.assert_array_equal(np.asarray(dt.Slice(slices=mask).resolve(x)), x[mask])
        # feature[array] is x[array], as in 2.0.1 (its __getitem__ wraps the index in a tuple).
        np.testing.assert_array_equal(np.asarray(dt.Value(x)[np.array([2, 1])].resolve()), x[np.array([2, 1])])

    def test_bad_advanced_indices_say_why(self):
        f = dt.Value(value=np.arange(12.0).reshape(3, 4))
        with self.assertRaisesRegex(Exception, "index 5 is out of bounds for axis 0 with size 3"):
            f[[0, 5]].resolve()
        with self.assertRaisesRegex(Exception, "cannot be broadcast together: shapes \\(2,\\) \\(3,\\)"):
            f[[0, 1], [1, 2, 3]].resolve()
        with self.assertRaisesRegex(Exception, "boolean index did not match the image along axis 0"):
            f[np.ones((2, 4), bool)].resolve()
        with self.assertRaisesRegex(Exception, "cannot be broadcast together: shapes \\(1, 2\\) \\(3,\\)"):
            f[np.array([[0, 1]]), np.array([0, 1, 2])].resolve()


if __name__ == "__main__":
    unittest.main()
