"""Resize of float32, uint16 and int16 images: OpenCV's single-precision arithmetic (Intel IPP's for
1, 3 or 4 channels and more than one row and column, OpenCV's generic code for other channel counts
and single rows or columns), bit for bit against DeepTrack2 2.0.1's outputs
(tests/fixtures/deeptrack-2.0.1/resize_narrow), in the input's type, whether the image is in C order
or a view."""

import itertools
import json
import os
import unittest

import numpy as np

import deeptrack_native as dt

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "deeptrack-2.0.1", "resize_narrow")


class ResizeNarrowTests(unittest.TestCase):
    def test_every_case_is_opencvs_bit_for_bit(self):
        with open(os.path.join(FIXTURES, "manifest.json")) as f:
            cases = json.load(f)["cases"]
        self.assertGreaterEqual(len(cases), 54)
        for case in cases:
            with self.subTest(case["id"]):
                dtype = case["pipeline"][0]["properties"]["dtype"]
                dsize = tuple(case["pipeline"][1]["properties"]["dsize"])
                x = np.array(case["input"]["data"]).reshape(case["input"]["shape"])
                out = (dt.AsType(dtype=dtype) >> dt.Resize(dsize)).resolve(x)
                self.assertEqual(out.dtype, np.dtype(dtype))
                expected = np.load(os.path.join(FIXTURES, case["expected"]))
                np.testing.assert_array_equal(out.astype(np.float64), expected)

    def test_a_view_gives_what_its_copy_gives(self):
        # FlipLR makes a view (not in C order) of the typed samples, which Resize gathers first; 3
        # channels take IPP's arithmetic, 2 and 5 channels and a single row OpenCV's generic code.
        for shape in ((9, 14, 3), (9, 14, 2), (6, 10, 5), (1, 14)):
            x = (np.arange(np.prod(shape)) * 7919 % 1000).reshape(shape).astype(np.float64)
            for dtype, dsize in itertools.product(("float32", "uint16", "int16"), ((23, 5), (7, 4), (7, 3))):
                with self.subTest(shape=shape, dtype=dtype, dsize=dsize):
                    a = (dt.AsType(dtype=dtype) >> dt.FlipLR(p=1.0) >> dt.Resize(dsize)).resolve(x)
                    b = (dt.AsType(dtype=dtype) >> dt.Resize(dsize)).resolve(np.ascontiguousarray(x[:, ::-1]))
                    self.assertEqual((a.dtype, a.shape), (np.dtype(dtype), b.shape))
                    np.testing.assert_array_equal(a, b)

    def test_generic_code_halves_and_rounds_as_opencv(self):
        # Two channels take OpenCV's generic code: an exact halving is the mean of each 2 x 2 block
        # (its INTER_AREA fast path), integers rounded half to even (cvRound), not up as IPP's and the
        # 1-, 3- and 4-channel fast path's (s + 2) >> 2 would; float32 adds the block from a zero.
        x = np.array([[[1, 0], [2, 1]], [[2, 0], [1, 1]]], dtype=np.float64)  # sums 6 and 2
        for dtype, want in (("uint16", [2, 0]), ("int16", [2, 0])):
            with self.subTest(dtype=dtype):
                out = (dt.AsType(dtype=dtype) >> dt.Resize((1, 1))).resolve(x)
                self.assertEqual((out.dtype, out.shape), (np.dtype(dtype), (1, 1, 2)))
                np.testing.assert_array_equal(out[0, 0], want)
        out = (dt.AsType(dtype="int16") >> dt.Resize((1, 1))).resolve(-x)
        np.testing.assert_array_equal(out[0, 0], [-2, 0])
        zeros = (dt.AsType(dtype="float32") >> dt.Resize((1, 1))).resolve(np.full((2, 2, 2), -0.0))
        self.assertFalse(np.signbit(zeros).any())
        # A single row keeps its type and OpenCV's shape (the channel axis of one is dropped).
        row = (dt.AsType(dtype="uint16") >> dt.Resize((3, 2))).resolve(np.array([[0.0, 10.0, 20.0, 30.0, 40.0]]))
        self.assertEqual((row.dtype, row.shape), (np.dtype("uint16"), (2, 3)))
        np.testing.assert_array_equal(row, [[3, 20, 37], [3, 20, 37]])  # cv2.resize's

if __name__ == "__main__":
    unittest.main()
